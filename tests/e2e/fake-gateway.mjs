// A gateway that misbehaves on demand: a WebSocket proxy in front of the simulator's gateway
// (one upstream connection per bot connection, frames passed through) that sets the HELLO
// heartbeat interval, acknowledges heartbeats itself, records what the bot sends, and can
// drop the bot, go deaf (take TCP connections and never answer the upgrade) or close a
// connection with a Close frame that has no status code.

import http from 'node:http'
import { WebSocket, WebSocketServer } from 'ws'

const HELLO = 10
const HEARTBEAT = 1
const HEARTBEAT_ACK = 11
const IDENTIFY = 2
const RESUME = 6
const DISPATCH = 0

/// Starts the proxy in front of `upstream` (the simulator's `ws://…/gateway`), announcing
/// `heartbeatMs` in HELLO. `events` records, in order, `{ kind, at }` for each `upgrade`
/// (answered), `held` (an upgrade left unanswered), `identify`, `resume` and `heartbeat`.
export async function startGateway({ upstream, heartbeatMs }) {
  const events = []
  const note = (kind) => events.push({ kind, at: Date.now() })
  const live = new Set() // { bot, sim } pairs
  const held = new Set() // sockets whose upgrade is never answered
  let deafUntil = 0

  const server = http.createServer((req, res) => {
    res.writeHead(404)
    res.end()
  })
  const wss = new WebSocketServer({ noServer: true })
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {})
    if (Date.now() < deafUntil) {
      // The TCP connection is taken and the request read; no answer ever comes.
      note('held')
      held.add(socket)
      return
    }
    note('upgrade')
    wss.handleUpgrade(req, socket, head, (bot) => pipe(bot))
  })

  function pipe(bot) {
    const sim = new WebSocket(upstream)
    const pair = { bot, sim }
    live.add(pair)
    const waiting = [] // what the bot sent before the simulator's side opened
    bot.on('error', () => {})
    sim.on('error', () => {})
    sim.on('open', () => waiting.splice(0).forEach((raw) => sim.send(raw)))
    sim.on('message', (raw) => {
      const payload = JSON.parse(raw.toString())
      if (payload.op === HEARTBEAT_ACK) return // the proxy acknowledges the bot's heartbeats itself
      if (payload.op === HELLO) payload.d = { ...payload.d, heartbeat_interval: heartbeatMs }
      if (payload.op === DISPATCH && payload.t === 'READY') {
        payload.d = { ...payload.d, resume_gateway_url: url }
      }
      if (bot.readyState === WebSocket.OPEN) bot.send(JSON.stringify(payload))
    })
    bot.on('message', (raw) => {
      const payload = JSON.parse(raw.toString())
      if (payload.op === HEARTBEAT) {
        note('heartbeat')
        bot.send(JSON.stringify({ op: HEARTBEAT_ACK, s: null, t: null }))
        return
      }
      if (payload.op === IDENTIFY) note('identify')
      if (payload.op === RESUME) note('resume') // the simulator has no RESUME: it ignores it
      if (sim.readyState === WebSocket.OPEN) sim.send(raw.toString())
      else waiting.push(raw.toString())
    })
    const end = () => {
      live.delete(pair)
      sim.terminate()
      bot.terminate()
    }
    bot.on('close', end)
    sim.on('close', end)
  }

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `ws://127.0.0.1:${server.address().port}/gateway`
  return {
    url,
    events,
    /// How many events of `kind` since `since` (a Date.now() value).
    count: (kind, since = 0) => events.filter((e) => e.kind === kind && e.at >= since).length,
    /// How many bot connections are open now.
    connections: () => live.size,
    /// Drops every live connection at the TCP level (no Close frame), then leaves every
    /// upgrade that arrives in the next `ms` unanswered for good.
    deafFor(ms) {
      deafUntil = Date.now() + ms
      for (const { bot } of live) bot._socket?.destroy()
    },
    /// Sends every live connection a Close frame without a status code (1005 to the bot).
    closeWithoutCode() {
      for (const { bot } of live) bot.close()
    },
    close() {
      for (const { bot, sim } of live) {
        bot.terminate()
        sim.terminate()
      }
      for (const socket of held) socket.destroy()
      wss.close()
      return new Promise((resolve) => {
        server.close(resolve)
        server.closeAllConnections()
      })
    },
  }
}
