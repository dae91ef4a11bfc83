// `notes-bot register` against the simulator: the command set it PUTs is what the
// simulator then serves, globally or in one guild; `--dry-run` prints that same body.

import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { BIN, botFolder, startBot, startDiscord, startShim } from './harness.mjs'

describe('notes-bot register against the Discord simulator', () => {
  let discord, shim, dir

  before(async () => {
    ;({ discord } = await startDiscord())
    shim = await startShim(discord.port)
    dir = botFolder()
  })

  after(async () => {
    await shim?.close()
    await discord?.stop()
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })

  async function register(args) {
    const bot = startBot({ dir, args: ['register', ...args], shim, discord })
    const exit = await bot.exited
    assert.deepEqual(exit, { code: 0, signal: null }, bot.output())
  }

  const dryRun = () =>
    JSON.parse(execFileSync(BIN, ['register', '--dry-run'], { cwd: dir, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] }))

  it('replaces the global command set with the one --dry-run prints', async () => {
    await register([])
    const puts = shim.requests.filter((r) => r.method === 'PUT')
    assert.equal(puts.length, 1)
    assert.match(puts[0].path, /^\/api\/v10\/applications\/\d+\/commands$/)
    assert.deepEqual(JSON.parse(puts[0].body), dryRun())
    const stored = await discord.prisma.applicationCommand.findMany({ where: { guildId: null } })
    assert.deepEqual(stored.map((c) => c.name).sort(), ['Answer from notes', 'chatgpt', 'gaps', 'sources', 'topics'])
  })

  it('registers in one guild with --guild', async () => {
    await register(['--guild', discord.guildId])
    const put = shim.requests.filter((r) => r.method === 'PUT').at(-1)
    assert.match(put.path, new RegExp(`/guilds/${discord.guildId}/commands$`))
    const stored = await discord.prisma.applicationCommand.findMany({ where: { guildId: discord.guildId } })
    assert.deepEqual(stored.map((c) => c.name).sort(), ['Answer from notes', 'chatgpt', 'gaps', 'sources', 'topics'])
  })
})
