// `notes-bot run` when Discord fails the command registration at start: the bot connects
// and serves anyway (Discord keeps the commands it had), and registers on its retry.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { botFolder, startBot, startDiscord, startShim, until } from './harness.mjs'

describe('notes-bot run when registering fails at start', () => {
  let discord, shim, bot, dir

  before(async () => {
    ;({ discord } = await startDiscord())
    shim = await startShim(discord.port)
    shim.failNext('PUT', /\/commands$/, 503, { message: 'upstream connect error', code: 0 })
    dir = botFolder()
    bot = startBot({ dir, args: ['run'], shim, discord })
  })

  after(async () => {
    if (bot && bot.child.exitCode === null) bot.child.kill('SIGKILL')
    await shim?.close()
    await discord?.stop()
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })

  const puts = () => shim.requests.filter((r) => r.method === 'PUT' && /\/commands$/.test(r.path)).length
  const commands = () => discord.prisma.applicationCommand.findMany({ where: { guildId: null } })

  it('connects to the gateway although the first registration got a 503', async () => {
    await bot.waitFor(/could not register the commands; trying again in the background.*answered 503/)
    await bot.waitFor(/connected/)
    assert.equal(bot.child.exitCode, null, 'still running')
    assert.ok(!bot.output().includes('panicked'))
  })

  it('registers on the retry a second later, then sends no more registrations', async () => {
    await until(
      async () => (await commands()).some((c) => c.name === 'chatgpt'),
      15_000,
      () => `the commands were not registered on the retry:\n${bot.output()}`,
    )
    await new Promise((resolve) => setTimeout(resolve, 3000))
    assert.equal(puts(), 2, 'the failed PUT and one retry')
  })
})
