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
    assert.deepEqual(Object.keys(byName).sort(), ['Answer from notes', 'chatgpt', 'gaps', 'sources', 'topics'])
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
    for (const command of registered.filter((c) => c.type === 1)) {
      assert.ok(command.description.length > 0 && command.description.length <= 100, command.name)
    }
    // The message context-menu command (Apps → Answer from notes) has no description.
    assert.equal(byName['Answer from notes'].type, 3)
    assert.equal(byName['Answer from notes'].description, '')
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

  it('pages ▶ to the last page and ◀ back to the first, editing the same message', async () => {
    const pages = Number(rlhf.embeds[0].footer.text.match(/page 1\/(\d+)/)[1])
    assert.ok(pages >= 2, 'the RLHF section spans several pages')
    const seen = [rlhf.embeds[0].description]
    let current = rlhf
    for (let page = 2; page <= pages; page++) {
      const answer = await click('asker', rlhf.id, button(current, '▶').custom_id)
      assert.equal(answer.type, UPDATE_MESSAGE)
      assertNoPings(answer.data)
      current = await message(rlhf.id)
      assert.match(current.embeds[0].footer.text, new RegExp(`page ${page}/${pages}`))
      assert.equal(current.embeds[0].title, rlhf.embeds[0].title)
      assert.equal(button(current, '▶').disabled, page === pages)
      assert.equal(button(current, '◀').disabled, false)
      seen.push(current.embeds[0].description)
    }
    assert.equal(new Set(seen).size, pages, 'every page shows something new')
    for (let page = pages - 1; page >= 1; page--) {
      await click('asker', rlhf.id, button(current, '◀').custom_id)
      current = await message(rlhf.id)
      assert.match(current.embeds[0].footer.text, new RegExp(`page ${page}/${pages}`))
      assert.equal(current.embeds[0].description, seen[page - 1])
    }
    assert.equal(button(current, '◀').disabled, true)
    assert.equal(deleteButton(current).custom_id, `rm|${members.asker}`, 'paging keeps the asker')
  })

  it('counts 👍 / 👎 once per member, acknowledging each click privately', async () => {
    assert.ok(buttons(rlhf).length <= 5, 'one row of at most 5 buttons')
    const down = buttons(rlhf).find((b) => b.emoji?.name === '👎')
    const up = buttons(rlhf).find((b) => b.emoji?.name === '👍')
    assert.ok(down?.custom_id.startsWith('dn|chatgpt|') && down.custom_id.endsWith('|rlhf'), JSON.stringify(rlhf.components))
    assert.ok(up?.custom_id.startsWith('up|chatgpt|'))
    const first = await click('plain', rlhf.id, down.custom_id)
    assert.equal(first.type, CHANNEL_MESSAGE)
    assert.ok(first.data.flags & EPHEMERAL, 'only the voter sees the thanks')
    assertNoPings(first.data)
    assert.match(first.data.content, /👎 counted for “拆解追溯 GPT-3\.5 各项能力的起源”/)
    const again = await click('plain', rlhf.id, up.custom_id)
    assert.equal(again.data.content, 'Your vote on this answer is already counted.')
    const other = await click('asker', rlhf.id, down.custom_id)
    assert.match(other.data.content, /👎 counted/)
    const shown = await message(rlhf.id)
    assert.deepEqual(shown.embeds, rlhf.embeds, 'the answer itself is not edited')
  })

  it('shows another match chosen from the menu in place', async () => {
    const answer = await ask('asker', 'chatgpt', query('思维链'))
    const asked = await message(answer.messageId)
    assert.equal(asked.embeds[0].title, '深入理解语言模型的突现能力')
    const menu = asked.components.flatMap((row) => row.components).find((c) => c.type === 3)
    assert.ok(menu, 'a menu of other matches')
    const option = menu.options.find((o) => o.label === '拆解追溯 GPT-3.5 各项能力的起源')
    assert.ok(option, JSON.stringify(menu.options))
    const chosen = await answerTo(
      as('plain').selectMenu({ messageId: asked.id, customId: menu.custom_id, values: [option.value] }),
    )
    assert.equal(chosen.type, UPDATE_MESSAGE)
    assertNoPings(chosen.data)
    const shown = await message(asked.id)
    assert.equal(shown.embeds[0].title, option.label)
    assert.match(shown.embeds[0].url, /^https:\/\/yaofu\.notion\.site\//)
    assert.equal(deleteButton(shown).custom_id, `rm|${members.asker}`, 'the asker still owns the reply')
  })

  it('refuses 🗑 to a plain member and deletes the reply for its asker', async () => {
    const refused = await click('plain', rlhf.id, deleteButton(rlhf).custom_id)
    assert.equal(refused.type, CHANNEL_MESSAGE)
    assert.ok(refused.data.flags & EPHEMERAL, 'the refusal is private')
    assertNoPings(refused.data)
    assert.ok(await message(rlhf.id), 'the reply is still there')

    const deleted = await click('asker', rlhf.id, deleteButton(rlhf).custom_id)
    assert.equal(deleted.type, DEFERRED_UPDATE)
    await until(async () => (await message(rlhf.id)) === null, 5_000, 'the reply was not deleted')
    const call = shim.requests.find(
      (r) => r.method === 'DELETE' && r.path.includes(`/${deleted.token}/messages/@original`),
    )
    assert.ok(call, 'deleted with the click interaction token')
    assert.equal(call.authorization, false, 'an interaction-token call carries no bot token')
  })

  it('lets an admin (Manage Messages) delete anyone’s reply', async () => {
    const answer = await ask('asker', 'chatgpt', query('gpt'))
    const reply = await message(answer.messageId)
    const deleted = await click('admin', reply.id, deleteButton(reply).custom_id)
    assert.equal(deleted.type, DEFERRED_UPDATE)
    await until(async () => (await message(reply.id)) === null, 5_000, 'the admin could not delete')
  })

  it('answers a miss privately, quoting the query without pinging anyone', async () => {
    const answer = await ask('plain', 'chatgpt', query('@everyone 量子计算'))
    assert.equal(answer.type, CHANNEL_MESSAGE)
    assert.ok(answer.data.flags & EPHEMERAL, 'only the asker sees a miss')
    assertNoPings(answer.data)
    assert.equal(answer.data.embeds?.length ?? 0, 0)
    assert.match(answer.data.content, /量子计算/)
  })

  it('lists /sources page by page and /topics', async () => {
    const sources = await ask('plain', 'sources')
    assertNoPings(sources.data)
    let current = await message(sources.messageId)
    const links = (msg) => msg.embeds[0].description.match(/\]\(https?:\/\/[^)]+\)/g) ?? []
    const all = new Set(links(current))
    const pages = Number(current.embeds[0].footer?.text.match(/1\/(\d+)/)?.[1] ?? 1)
    for (let page = 2; page <= pages; page++) {
      await click('plain', current.id, button(current, '▶').custom_id)
      current = await message(current.id)
      assert.match(current.embeds[0].footer.text, new RegExp(`${page}/${pages}`))
      for (const link of links(current)) all.add(link)
    }
    const headings = fs
      .readFileSync(path.join(dir, 'notes/chatgpt.md'), 'utf8')
      .match(/^#+ \[[^\]]+\]\(https?:[^)]+\)/gm)
    assert.ok(all.size >= headings.length, `${all.size} links listed, ${headings.length} headings with one`)
    assert.ok(all.has('](https://yaofu.notion.site/514f4e63918749398a1a8a4c660e0d5b)'))

    const topics = await ask('plain', 'topics')
    assertNoPings(topics.data)
    const listed = await message(topics.messageId)
    assert.match(listed.embeds[0].description, /chatgpt/)
    assert.match(listed.embeds[0].description, /ChatGPT 资料梳理/)
    // A clickable mention with the id the simulator gave the command at registration.
    const chatgpt = (await commands()).find((c) => c.name === 'chatgpt')
    assert.ok(listed.embeds[0].description.includes(`</chatgpt:${chatgpt.id}>`), listed.embeds[0].description)
  })

  it('answers privately with private:True, and Post shares the answer publicly', async () => {
    const options = [...query('rlhf'), { name: 'private', type: 5, value: true }]
    const answer = await ask('asker', 'chatgpt', options)
    assert.equal(answer.type, CHANNEL_MESSAGE)
    assert.ok(answer.data.flags & EPHEMERAL, 'only the asker sees it')
    assertNoPings(answer.data)
    const post = answer.data.components.flatMap((row) => row.components).find((c) => c.label === 'Post')
    assert.ok(post?.custom_id.startsWith('post|chatgpt|'), JSON.stringify(answer.data.components))
    const posted = await click('plain', answer.messageId, post.custom_id)
    assert.equal(posted.type, CHANNEL_MESSAGE)
    assert.ok(!(posted.data.flags & EPHEMERAL), 'posted for everyone')
    assertNoPings(posted.data)
    const shown = await message(posted.messageId)
    assert.equal(shown.embeds[0].title, answer.data.embeds[0].title)
    assert.equal(deleteButton(shown).custom_id, `rm|${members.plain}`)
  })

  it('offers the closest sections of a weak match privately, and Post shares one publicly', async () => {
    // `wolfram` in one section, `豆腐脑` in another: half the query each, no confident hit.
    const answer = await ask('asker', 'chatgpt', query('wolfram 豆腐脑'))
    assert.equal(answer.type, CHANNEL_MESSAGE)
    assert.ok(answer.data.flags & EPHEMERAL, 'only the asker sees the closest sections')
    assertNoPings(answer.data)
    assert.match(answer.data.content, /^No section of \/chatgpt clearly matches “wolfram 豆腐脑”/)
    const posts = answer.data.components.flatMap((row) => row.components)
    assert.deepEqual(
      posts.map((c) => c.label),
      ['Post 1: 原理解析/科普', 'Post 2: 拆解追溯 GPT-3.5 各项能力的起源'],
    )
    const posted = await click('plain', answer.messageId, posts[1].custom_id)
    assert.equal(posted.type, CHANNEL_MESSAGE)
    assert.ok(!(posted.data.flags & EPHEMERAL), 'posted for everyone')
    assertNoPings(posted.data)
    const shown = await message(posted.messageId)
    assert.equal(shown.embeds[0].title, '拆解追溯 GPT-3.5 各项能力的起源')
    assert.match(shown.embeds[0].description, /豆腐脑/)
    assert.equal(deleteButton(shown).custom_id, `rm|${members.plain}`)
  })

  it('posts an "Answer from notes" answer as a reply to the message, pinging no one', async () => {
    const asked = await as('plain').sendMessage({ content: 'How does RLHF unlock what ChatGPT can do? @everyone' })
    const command = (await commands()).find((c) => c.name === 'Answer from notes')
    const answerFromNotes = (member) =>
      answerTo(
        discord.simulateInteraction({
          type: 2, // application command
          channelId,
          userId: members[member],
          data: {
            id: command.id,
            name: 'Answer from notes',
            type: 3, // message command
            target_id: asked.id,
            resolved: { messages: { [asked.id]: { components: [], ...asked } } },
          },
        }),
      )
    const postButton = (answer) => answer.data.components.flatMap((row) => row.components).find((c) => c.label === 'Post')
    const answer = await answerFromNotes('asker')
    assert.equal(answer.type, CHANNEL_MESSAGE)
    assert.ok(answer.data.flags & EPHEMERAL, 'answered privately first')
    const post = postButton(answer)
    assert.ok(post?.custom_id.includes(`|${asked.id}|`), JSON.stringify(answer.data.components))

    const clicked = await click('asker', answer.messageId, post.custom_id)
    assert.equal(clicked.type, UPDATE_MESSAGE, 'the private answer says it was posted')
    assertNoPings(clicked.data)
    const isReply = (m) => m.messageReference && JSON.parse(m.messageReference).message_id === asked.id
    let reply
    await until(
      async () => (reply = (await discord.prisma.message.findMany({ where: { channelId } })).find(isReply)),
      5_000,
      () => `no reply to the message:\n${bot.output()}`,
    )
    assert.equal(JSON.parse(reply.embeds)[0].title, answer.data.embeds[0].title)
    const call = shim.requests.find((r) => r.method === 'POST' && r.path === `/api/v10/channels/${channelId}/messages`)
    assert.ok(call?.authorization, 'posted by the bot, with its token')
    const sent = JSON.parse(call.body)
    assert.deepEqual(sent.allowed_mentions, { parse: [], users: [], roles: [], replied_user: false })
    assert.equal(sent.message_reference.fail_if_not_exists, false)

    // Where Discord refuses the bot (no Send Messages there): a follow-up with a link instead.
    shim.failNext('POST', /^\/api\/v10\/channels\/\d+\/messages$/, 403, { message: 'Missing Permissions', code: 50013 })
    const again = await answerFromNotes('plain')
    const clicked2 = await click('plain', again.messageId, postButton(again).custom_id)
    const followUp = () =>
      shim.requests.find((r) => r.method === 'POST' && r.path.startsWith('/api/v10/webhooks/') && r.path.endsWith(`/${clicked2.token}`))
    await until(async () => followUp(), 5_000, () => `no follow-up:\n${bot.output()}`)
    assert.equal(followUp().authorization, false, 'a follow-up needs no bot token')
    const body = JSON.parse(followUp().body)
    assert.deepEqual(body.allowed_mentions?.parse, [])
    assert.ok(body.content.includes(`/${channelId}/${asked.id}`), body.content)
    assert.match(bot.output(), /could not post a reply; posting a follow-up instead/)
  })

  it('shows /gaps to an admin with the question that was missed', async () => {
    const answer = await ask('admin', 'gaps')
    assert.ok(answer.data.flags & EPHEMERAL)
    assertNoPings(answer.data)
    assert.match(answer.data.content, /\/chatgpt/)
    assert.match(answer.data.content, /量子计算/)
    // Beside the misses: the answer that drew two 👎, with what was asked.
    assert.match(answer.data.content, /\*\*Worst-rated answers\*\*/)
    assert.match(answer.data.content, /👎 2 · 👍 0 · \/chatgpt · 拆解追溯 GPT-3\.5 各项能力的起源 ← “rlhf” ×2/)
  })

  it('registers a note added while running, and answers from it', async () => {
    const before = shim.requests.filter((r) => r.method === 'PUT' && /\/commands$/.test(r.path)).length
    fs.writeFileSync(
      path.join(dir, 'notes/routers.md'),
      '---\ntitle: Home routers\n---\n## [Resetting a router](https://example.com/reset)\n- Hold the reset button for ten seconds\n- The lights blink twice\n',
    )
    await until(
      async () => (await commands()).some((c) => c.name === 'routers'),
      15_000,
      () => `routers was not registered:\n${bot.output()}`,
    )
    const after = shim.requests.filter((r) => r.method === 'PUT' && /\/commands$/.test(r.path)).length
    assert.equal(after, before + 1, 'registered once more')
    const names = (await commands()).map((c) => c.name).sort()
    assert.deepEqual(names, ['Answer from notes', 'chatgpt', 'gaps', 'routers', 'sources', 'topics'])
    const answer = await ask('plain', 'routers', query('reset button'))
    const reply = await message(answer.messageId)
    assert.equal(reply.embeds[0].title, 'Resetting a router')
    assert.equal(reply.embeds[0].url, 'https://example.com/reset')
    assert.match(reply.embeds[0].description, /Hold the reset button/)
  })

  it('logs a 5xx on re-registration with its route, keeps serving, and registers on the retry', async () => {
    const puts = () => shim.requests.filter((r) => r.method === 'PUT' && /\/commands$/.test(r.path)).length
    const before = puts()
    shim.failNext('PUT', /\/commands$/, 500, { message: 'Internal Server Error', code: 0 })
    fs.writeFileSync(path.join(dir, 'notes/printers.md'), '---\ntitle: Printers\n---\n## Paper jam\n- Open tray two\n')
    await bot.waitFor(/could not register the commands; trying again.*PUT http:\/\/127\.0\.0\.1:\d+\/api\/v10\/applications\/\d+\/commands answered 500/)
    assert.ok(!bot.output().includes('panicked'))
    const answer = await ask('plain', 'routers', query('reset button'))
    assert.equal(answer.type, CHANNEL_MESSAGE, 'still serving')
    // The retry, a second later, registers the new note's command; then no more requests.
    await until(
      async () => (await commands()).some((c) => c.name === 'printers'),
      15_000,
      () => `printers was not registered on the retry:\n${bot.output()}`,
    )
    await new Promise((resolve) => setTimeout(resolve, 3000))
    assert.equal(puts(), before + 2, 'one failed PUT, one retry, then none')
  })

  it('autocompletes section titles, and a chosen one answers with that section', async () => {
    const { id } = await discord.simulateInteraction({
      type: 4, // application command autocomplete
      channelId,
      userId: members.plain,
      data: { id: '1', name: 'chatgpt', type: 1, options: [{ name: 'query', type: STRING, value: 'gpt', focused: true }] },
    })
    const typed = await answerTo(Promise.resolve({ id }))
    assert.equal(typed.type, 8) // autocomplete result
    const { choices } = typed.data
    assert.ok(choices.length >= 1 && choices.length <= 25, JSON.stringify(choices))
    for (const choice of choices) {
      assert.ok(choice.name.length >= 1 && choice.name.length <= 100, choice.name)
      assert.match(choice.value, /^section:[0-9a-f]+$/)
    }
    const chosen = choices.find((c) => c.name.startsWith('拆解追溯 GPT-3.5 各项能力的起源'))
    assert.ok(chosen, JSON.stringify(choices))
    const answer = await ask('plain', 'chatgpt', query(chosen.value))
    assert.equal((await message(answer.messageId)).embeds[0].title, '拆解追溯 GPT-3.5 各项能力的起源')
  })

  it('retries a callback Discord rate-limits briefly, and logs a 5xx with its route and keeps serving', async () => {
    const callback = /^\/api\/v10\/interactions\/\d+\/[^/]+\/callback$/
    shim.failNext('POST', callback, 429, { message: 'You are being rate limited.', retry_after: 0.4, global: false })
    const started = Date.now()
    const answer = await ask('plain', 'topics')
    assert.equal(answer.type, CHANNEL_MESSAGE)
    assert.ok(Date.now() - started >= 400, 'answered after retry_after')
    const tries = shim.requests.filter((r) => r.method === 'POST' && r.path.includes(`/${answer.token}/callback`))
    assert.equal(tries.length, 2)

    shim.failNext('POST', callback, 500, { message: 'Internal Server Error', code: 0 })
    const { id } = await as('plain').runSlashCommand({ name: 'topics', options: [] })
    await bot.waitFor(/could not answer an interaction.*POST \/api\/v10\/interactions\/\d+\/…\/callback answered 500/)
    assert.equal((await channel().getInteractionResponse(id)).acknowledged, false)
    assert.ok(!bot.output().includes('test-interaction-token-'), 'the interaction token is not logged')
    const after = await ask('plain', 'topics')
    assert.equal(after.type, CHANNEL_MESSAGE, 'still serving')
  })

  it('stops with exit code 0 on SIGTERM', async () => {
    bot.child.kill('SIGTERM')
    const exit = await Promise.race([
      bot.exited,
      new Promise((resolve) => setTimeout(() => resolve({ code: 'timeout' }), 10_000)),
    ])
    assert.deepEqual(exit, { code: 0, signal: null }, bot.output())
    // The votes were saved at shutdown beside the gap counts.
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'data/feedback.json'), 'utf8'))
    // Counted under the server they were given in (`chatgpt@<guild id>`).
    const counted = Object.keys(saved.topics)
    assert.deepEqual(counted.map((key) => key.split('@')[0]), ['chatgpt'], counted.join(', '))
    const [rating] = Object.values(saved.topics[counted[0]])
    assert.equal(rating.down, 2)
    assert.deepEqual(rating.queries, { rlhf: 2 })
    assert.equal(saved.voters.length, 2)
    assert.match(bot.output(), /stopping; send the signal again to stop at once/)
  })
})
