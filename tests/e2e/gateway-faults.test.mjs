// `notes-bot run` when the gateway misbehaves in the two ways serenity 0.12 cannot recover
// from by itself, through a fault-injecting proxy in front of the simulator's gateway
// (`fake-gateway.mjs`):
// - a drop, then a gateway that takes TCP connections and never answers the WebSocket
//   upgrade: serenity's resume waits on that handshake for good, reporting the shard
//   connected; the bot's shard watch must start the shard again;
// - a Close frame without a status code: serenity loops on a worker without yielding until
//   the shard's next heartbeat, and the runtime hears no signal meanwhile; the stop guard's
//   thread must end the process at a SIGTERM anyway.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { startGateway } from './fake-gateway.mjs'
import { botFolder, startBot, startDiscord, startShim, until } from './harness.mjs'

const STRING = 3 // application command option type

// One simulator for the file (two in one process share its database), a gateway proxy and a
// bot for each scenario.
let sim
before(async () => {
  const { discord, members, channelId } = await startDiscord()
  sim = { discord, members, channelId, shim: await startShim(discord.port) }
})
after(async () => {
  await sim?.shim.close()
  await sim?.discord.stop()
})

/// The gateway proxy and `notes-bot run` behind it.
async function start({ heartbeatMs }) {
  const { discord, shim } = sim
  const gateway = await startGateway({ upstream: discord.gatewayUrl, heartbeatMs })
  const dir = botFolder()
  const bot = startBot({ dir, args: ['run'], shim, discord, env: { DISCORD_GATEWAY_URL: gateway.url } })
  return { gateway, dir, bot }
}

async function stop(run) {
  if (!run) return
  if (run.bot.child.exitCode === null && run.bot.child.signalCode === null) run.bot.child.kill('SIGKILL')
  await run.bot.exited
  await run.gateway.close()
  fs.rmSync(run.dir, { recursive: true, force: true })
}

describe('notes-bot run when the gateway goes deaf after a drop', () => {
  // Three heartbeat intervals of silence make a connected shard stuck: ~3 s here.
  const HEARTBEAT_MS = 1000
  // The restart waits 5 s for the stuck runner to stop (serenity's shutdown timeout) before
  // it connects again, so an upgrade left unanswered for 5 s catches serenity's resume (at
  // once) and not the restart's new connection (which has no timeout either).
  const DEAF_MS = 5000
  let run

  before(async () => {
    run = await start({ heartbeatMs: HEARTBEAT_MS })
  })
  after(() => stop(run))

  it('starts the stuck shard again and answers afterwards', async () => {
    const { bot, gateway } = run
    await bot.waitFor(/connected/, 30_000)
    // The shard watch learns the heartbeat interval from the acknowledgements it sees.
    await until(
      () => gateway.count('heartbeat') >= 4,
      20_000,
      () => `fewer than 4 heartbeats reached the gateway (${gateway.count('heartbeat')}):\n${bot.output()}`,
    )
    assert.equal(gateway.count('identify'), 1)

    const dropped = Date.now()
    gateway.deafFor(DEAF_MS)
    await until(
      () => gateway.count('held', dropped) >= 1,
      DEAF_MS,
      () => `the bot did not try to connect again while the gateway was deaf:\n${bot.output()}`,
    )

    // serenity alone never connects again: its resume waits on the unanswered upgrade.
    await until(
      () => gateway.count('identify', dropped) >= 1,
      45_000,
      () => `no IDENTIFY within 45 s of the drop:\n${bot.output()}`,
    )
    assert.match(bot.output(), /no heartbeat acknowledged for three intervals; starting the shard again/)
    await bot.waitFor(/gateway: reconnected with a new session/, 20_000)

    const { discord, members, channelId } = sim
    const channel = discord.channel(channelId)
    const { id } = await channel
      .user(members.asker)
      .runSlashCommand({ name: 'chatgpt', options: [{ name: 'query', type: STRING, value: 'rlhf' }] })
    await channel.waitForInteractionAck({ interactionId: id, timeout: 15_000 })
    const answer = await channel.getInteractionResponse(id)
    assert.equal(JSON.parse(answer.data).embeds[0].title, '拆解追溯 GPT-3.5 各项能力的起源')
    assert.equal(bot.child.exitCode, null, 'still running')
    assert.ok(!bot.output().includes('panicked'))
  })
})

describe('notes-bot run at a SIGTERM while serenity spins after a close without a code', () => {
  // serenity spins until the shard's next heartbeat, due one interval after IDENTIFY: with
  // Discord's interval, a close just after READY spins for ~40 s, long enough to stall the
  // runtime for the guard's 5 s and to see a SIGTERM wait without it. With a short interval
  // the spin would end before anything could be observed.
  const HEARTBEAT_MS = 41_250
  let run

  before(async () => {
    run = await start({ heartbeatMs: HEARTBEAT_MS })
  })
  after(() => stop(run))

  it('exits at once, after saying the runtime is stalled', async () => {
    const { bot, gateway } = run
    await bot.waitFor(/connected/, 30_000)

    const closed = Date.now()
    gateway.closeWithoutCode()
    // The guard logs a stall after 5 s without a tick of the runtime; don't wait past
    // what docker stop would.
    const deadline = closed + 12_000
    while (!/the async runtime has given no tick/.test(bot.output()) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }

    const signalled = Date.now()
    bot.child.kill('SIGTERM')
    const exit = await Promise.race([bot.exited, new Promise((resolve) => setTimeout(resolve, 3000, null).unref())])
    const took = Date.now() - signalled
    assert.ok(
      exit !== null,
      `still running 3 s after SIGTERM (${Math.round((signalled - closed) / 1000)} s after the close):\n${bot.output()}`,
    )
    assert.match(bot.output(), /the async runtime has given no tick for 5 s/)
    assert.match(bot.output(), /not stopped after SIGTERM: the async runtime is stalled/)
    assert.deepEqual(exit, { code: 143, signal: null }, `exited after ${took} ms`)
  })
})
