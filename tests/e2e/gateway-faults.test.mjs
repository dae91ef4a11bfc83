// `notes-bot run` when the gateway misbehaves in the two ways serenity 0.12 cannot recover
// from by itself, through a fault-injecting proxy in front of the simulator's gateway
// (`fake-gateway.mjs`):
// - a drop, then a gateway that takes TCP connections and never answers the WebSocket
//   upgrade: serenity's resume waits on that handshake for good, reporting the shard
//   connected; the bot's shard watch must end the process (exit 1) for its supervisor;
// - a Close frame without a status code: serenity loops on a worker without yielding until
//   the shard's next heartbeat, and the runtime hears no signal meanwhile; the stop guard's
//   thread must end the process at a SIGTERM anyway.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { startGateway } from './fake-gateway.mjs'
import { botFolder, startBot, startDiscord, startShim, until } from './harness.mjs'


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
  // The shard watch learns the interval from the acknowledgements it sees; a shard silent for
  // three intervals, and a minute at least, is stuck.
  const HEARTBEAT_MS = 1000
  // Deaf for longer than the test: serenity's resume waits on the first unanswered upgrade.
  const DEAF_MS = 180_000
  let run

  before(async () => {
    run = await start({ heartbeatMs: HEARTBEAT_MS })
  })
  after(() => stop(run))

  it('exits with 1 for its supervisor to start it again', async () => {
    const { bot, gateway } = run
    await bot.waitFor(/connected/, 30_000)
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
      10_000,
      () => `the bot did not try to connect again while the gateway was deaf:\n${bot.output()}`,
    )
    // serenity alone would wait on that upgrade for good, the shard "connected".
    const exit = await Promise.race([bot.exited, new Promise((resolve) => setTimeout(resolve, 90_000, null).unref())])
    assert.ok(exit !== null, `still running 90 s after the drop:\n${bot.output()}`)
    assert.deepEqual(exit, { code: 1, signal: null }, bot.output())
    assert.match(bot.output(), /gateway: shard 0 has had no heartbeat acknowledged for \d+ s though connected/)
    const waited = (Date.now() - dropped) / 1000
    assert.ok(waited >= 55, `exited ${waited} s after the drop: sooner than a minute of silence`)
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
