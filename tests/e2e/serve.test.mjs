// `notes-bot serve` without a bot token: the simulator's interactions are signed and POSTed
// to the endpoint as Discord would, its answers handed back to the simulator, and 🗑
// deletes the reply through the simulator's webhook route with no Authorization header.

import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import { after, before, describe, it } from 'node:test'
import { botFolder, startBot, startDiscord, startShim, until } from './harness.mjs'

const STRING = 3
const EPHEMERAL = 1 << 6

async function freePort() {
  const server = net.createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('notes-bot serve without a bot token against the Discord simulator', () => {
  let discord, members, channelId, shim, bot, dir, endpoint
  const interactions = new Map() // id → the INTERACTION_CREATE payload the simulator made
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519')
  const publicHex = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url').toString('hex')

  before(async () => {
    ;({ discord, members, channelId } = await startDiscord())
    // Capture what the simulator would send over the gateway; here Discord POSTs it instead.
    const gateway = discord['server'].gateway
    const broadcast = gateway.broadcast.bind(gateway)
    gateway.broadcast = (event, data) => {
      if (event === 'INTERACTION_CREATE') interactions.set(data.id, data)
      return broadcast(event, data)
    }
    shim = await startShim(discord.port)
    dir = botFolder()
    endpoint = `127.0.0.1:${await freePort()}`
    bot = startBot({
      dir,
      args: ['serve', '--listen', endpoint],
      shim,
      discord,
      env: { DISCORD_TOKEN: '', DISCORD_PUBLIC_KEY: publicHex },
    })
    await bot.waitFor(/serving interactions/)
  })

  after(async () => {
    if (bot && bot.child.exitCode === null) bot.child.kill('SIGKILL')
    await shim?.close()
    await discord?.stop()
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })

  const as = (member) => discord.channel(channelId).user(members[member])

  /// Does what Discord does: POSTs the signed interaction to the endpoint, then applies the
  /// answer (the simulator's callback route creates or edits the message).
  async function deliver(started) {
    const { id } = await started
    const interaction = interactions.get(id)
    assert.ok(interaction, `the simulator made no interaction ${id}`)
    const body = JSON.stringify(interaction)
    const timestamp = String(Math.floor(Date.now() / 1000))
    const signature = crypto.sign(null, Buffer.from(timestamp + body), privateKey).toString('hex')
    const response = await fetch(`http://${endpoint}/interactions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-signature-ed25519': signature,
        'x-signature-timestamp': timestamp,
      },
      body,
    })
    assert.equal(response.status, 200, await response.clone().text())
    const answer = await response.json()
    const applied = await fetch(`${discord.restUrl}/v10/interactions/${id}/${interaction.token}/callback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(answer),
    })
    assert.equal(applied.status, 204, await applied.text())
    const row = await discord.channel(channelId).getInteractionResponse(id)
    return { answer, messageId: row.messageId }
  }

  const exists = async (id) => (await discord.prisma.message.findUnique({ where: { id } })) !== null

  it('offers 🗑 without a token, refuses it to a plain member, deletes for the asker', async () => {
    const asked = await deliver(
      as('asker').runSlashCommand({ name: 'chatgpt', options: [{ name: 'query', type: STRING, value: 'rlhf' }] }),
    )
    assert.equal(asked.answer.type, 4)
    assert.equal(asked.answer.data.embeds[0].title, '拆解追溯 GPT-3.5 各项能力的起源')
    const remove = asked.answer.data.components
      .flatMap((row) => row.components)
      .find((c) => c.custom_id?.startsWith('rm|'))
    assert.equal(remove?.custom_id, `rm|${members.asker}`, 'the 🗑 button is there without DISCORD_TOKEN')

    const refused = await deliver(as('plain').clickButton({ messageId: asked.messageId, customId: remove.custom_id }))
    assert.equal(refused.answer.type, 4)
    assert.ok(refused.answer.data.flags & EPHEMERAL)
    await new Promise((resolve) => setTimeout(resolve, 500))
    assert.ok(await exists(asked.messageId), 'a plain member cannot delete')

    const deleted = await deliver(as('asker').clickButton({ messageId: asked.messageId, customId: remove.custom_id }))
    assert.equal(deleted.answer.type, 6)
    await until(async () => !(await exists(asked.messageId)), 5_000, () => `not deleted:\n${bot.output()}`)
    const deletes = shim.requests.filter((r) => r.method === 'DELETE')
    assert.equal(deletes.length, 1)
    assert.match(deletes[0].path, /^\/api\/v10\/webhooks\/\d+\/[^/]+\/messages\/@original$/)
    assert.equal(deletes[0].authorization, false, 'no Authorization header')
    assert.ok(shim.requests.every((r) => !r.authorization), 'serve without a token never sends one')
  })

  it('posts an "Answer from notes" answer as a follow-up with a link to the message, without a token', async () => {
    const asked = await as('plain').sendMessage({ content: 'How does RLHF unlock what ChatGPT can do?' })
    const answer = await deliver(
      discord.simulateInteraction({
        type: 2, // application command
        channelId,
        userId: members.asker,
        data: {
          id: '1',
          name: 'Answer from notes',
          type: 3, // message command
          target_id: asked.id,
          resolved: { messages: { [asked.id]: { components: [], ...asked } } },
        },
      }),
    )
    assert.equal(answer.answer.type, 4)
    assert.ok(answer.answer.data.flags & EPHEMERAL)
    const post = answer.answer.data.components.flatMap((row) => row.components).find((c) => c.label === 'Post')
    assert.ok(post?.custom_id.includes(`|${asked.id}|`), JSON.stringify(answer.answer.data.components))
    const posted = await deliver(as('asker').clickButton({ messageId: answer.messageId, customId: post.custom_id }))
    assert.equal(posted.answer.type, 7, 'the private answer says it was posted')
    const followUp = () => shim.requests.find((r) => r.method === 'POST' && /^\/api\/v10\/webhooks\/\d+\/[^/]+$/.test(r.path))
    await until(async () => followUp(), 5_000, () => `no follow-up:\n${bot.output()}`)
    assert.equal(followUp().authorization, false, 'no Authorization header')
    const body = JSON.parse(followUp().body)
    assert.deepEqual(body.allowed_mentions.parse, [])
    assert.ok(body.content.includes(`/${channelId}/${asked.id}`), body.content)
    assert.equal(body.embeds[0].title, answer.answer.data.embeds[0].title)
    assert.ok(shim.requests.every((r) => !r.authorization), 'serve without a token never sends one')
  })

  it('stops with exit code 0 on SIGTERM', async () => {
    bot.child.kill('SIGTERM')
    assert.deepEqual(await bot.exited, { code: 0, signal: null }, bot.output())
  })
})
