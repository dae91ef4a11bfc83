// `notes-bot run` end to end: the real binary on the simulator's gateway and REST API, with
// members asking, paging, choosing, deleting; a note added while it runs; SIGTERM.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { PERMISSIONS, botFolder, startBot, startDiscord, startShim, until } from './harness.mjs'

const STRING = 3 // application command option type
const EPHEMERAL = 1 << 6
const CHANNEL_MESSAGE = 4
const UPDATE_MESSAGE = 7
const DEFERRED_UPDATE = 6

describe('notes-bot run against the Discord simulator', () => {
  let discord, members, channelId, shim, bot, dir

  before(async () => {
    ;({ discord, members, channelId } = await startDiscord())
    shim = await startShim(discord.port)
    dir = botFolder()
    bot = startBot({ dir, args: ['run'], shim, discord })
    await bot.waitFor(/connected/)
  })

  after(async () => {
    if (bot && bot.child.exitCode === null) bot.child.kill('SIGKILL')
    await shim?.close()
    await discord?.stop()
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })

  const channel = () => discord.channel(channelId)
  const as = (member) => channel().user(members[member])

  /// The bot's answer to one interaction: the callback type and body, and the message.
  async function answerTo(started) {
    const { id } = await started
    await channel().waitForInteractionAck({ interactionId: id, timeout: 10_000 })
    const row = await channel().getInteractionResponse(id)
    return {
      token: row.interactionToken,
      type: row.type,
      data: row.data === null ? null : JSON.parse(row.data),
      messageId: row.messageId,
    }
  }

  async function message(id) {
    const row = await discord.prisma.message.findUnique({ where: { id } })
    if (row === null) return null
    return { ...row, embeds: JSON.parse(row.embeds), components: JSON.parse(row.components) }
  }

  const ask = (member, name, options = []) => answerTo(as(member).runSlashCommand({ name, options }))
  const query = (value) => [{ name: 'query', type: STRING, value }]
  const click = (member, messageId, customId) => answerTo(as(member).clickButton({ messageId, customId }))
  const buttons = (msg) => msg.components.flatMap((row) => row.components).filter((c) => c.type === 2)
  const button = (msg, label) => buttons(msg).find((b) => b.label === label)
  const deleteButton = (msg) => buttons(msg).find((b) => b.custom_id.startsWith('rm|'))
  const commands = () => discord.prisma.applicationCommand.findMany({ where: { guildId: null } })

  /// Every message the bot sends must ping no one.
  function assertNoPings(data) {
    assert.deepEqual(data.allowed_mentions?.parse, [], JSON.stringify(data.allowed_mentions))
    assert.ok(!data.allowed_mentions.users?.length && !data.allowed_mentions.roles?.length)
  }

  it('registers one command per note plus /sources, /topics and /gaps', async () => {
    const registered = await commands()
    const byName = Object.fromEntries(registered.map((c) => [c.name, c]))
    assert.deepEqual(Object.keys(byName).sort(), ['chatgpt', 'gaps', 'sources', 'topics'])
    assert.equal(byName.chatgpt.description, 'ChatGPT 资料梳理')
    const [queryOption] = JSON.parse(byName.chatgpt.options)
    assert.equal(queryOption.name, 'query')
    assert.equal(queryOption.type, STRING)
    assert.equal(queryOption.required, true)
    assert.equal(queryOption.autocomplete, true)
    assert.ok(queryOption.description.length > 0 && queryOption.description.length <= 100)
    for (const name of ['sources', 'gaps']) {
      const [topic] = JSON.parse(byName[name].options)
      assert.equal(topic.name, 'topic')
      assert.equal(topic.autocomplete, true)
      assert.equal(topic.required, false)
    }
    assert.deepEqual(JSON.parse(byName.topics.options), [])
    for (const command of registered) {
      assert.ok(command.description.length > 0 && command.description.length <= 100, command.name)
    }
    // Only Manage Server may see /gaps; the others are for everyone.
    assert.equal(byName.gaps.defaultMemberPermissions, PERMISSIONS.MANAGE_GUILD.toString())
    for (const name of ['chatgpt', 'sources', 'topics']) assert.equal(byName[name].defaultMemberPermissions, null)
    // serenity asked for the application through the shim's stand-in route.
    assert.ok(shim.requests.some((r) => r.method === 'GET' && r.path === '/api/v10/oauth2/applications/@me'))
  })

  let rlhf // the message answering /chatgpt query:rlhf

  it('answers /chatgpt query:rlhf with the section, its source and the RLHF points', async () => {
    const answer = await ask('asker', 'chatgpt', query('rlhf'))
    assert.equal(answer.type, CHANNEL_MESSAGE)
    assertNoPings(answer.data)
    assert.ok(!(answer.data.flags & EPHEMERAL), 'a hit is public')
    rlhf = await message(answer.messageId)
    const [embed] = rlhf.embeds
    assert.equal(embed.title, '拆解追溯 GPT-3.5 各项能力的起源')
    assert.equal(
      embed.url,
      'https://yaofu.notion.site/GPT-3-5-360081d91ec245f29029d37b54573756#cf00f4e11d974187956122ce7d534386',
    )
    const bullets = embed.description.split('\n').filter((line) => /^\s*- /.test(line))
    assert.ok(bullets.filter((line) => line.includes('RLHF')).length >= 3, embed.description)
    assert.ok(embed.description.split('\n')[1].includes('Reinforcement Learning from Human Feedback, RLHF'))
    assert.match(embed.footer.text, /^\/chatgpt · 原理解析\/论文综述 · page 1\/\d+/)
    assert.equal(button(rlhf, '◀').disabled, true)
    assert.equal(button(rlhf, '▶').disabled, false)
    assert.equal(deleteButton(rlhf).custom_id, `rm|${members.asker}`)
  })
})
