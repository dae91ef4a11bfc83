// The pieces of an end-to-end run: the Discord simulator, a shim in front of its REST API,
// and the real notes-bot binary pointed at both.

import { spawn } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import url from 'node:url'
import { DigitalDiscord } from 'discord-digital-twin'

export const REPO = path.resolve(path.dirname(url.fileURLToPath(import.meta.url)), '../..')
export const BIN = process.env.NOTES_BOT_BIN ?? path.join(REPO, 'target/debug/notes-bot')
// Shaped like a bot token (serenity checks the three dot-separated parts); never valid anywhere.
export const TOKEN = 'MTE4MDAwMDAwMDAwMDAwMDAwMQ.e2e-test.not-a-real-token-only-for-the-simulator'

/// Discord permission bits the scenario needs.
export const PERMISSIONS = {
  VIEW_CHANNEL: 1n << 10n,
  SEND_MESSAGES: 1n << 11n,
  MANAGE_MESSAGES: 1n << 13n,
  MANAGE_GUILD: 1n << 5n,
}

/// The simulator with one guild, one channel and three members: the asker, a plain member
/// (may only read and write) and an admin (every permission, the simulator's default).
export async function startDiscord() {
  const discord = new DigitalDiscord({
    guild: { name: 'notes-bot e2e' },
    channels: [{ name: 'general', type: 0 /* a guild text channel */ }],
    users: [{ username: 'asker' }, { username: 'plain' }, { username: 'admin' }],
    botUser: { username: 'notes-bot' },
    botToken: TOKEN,
  })
  await discord.start()
  const users = await discord.prisma.user.findMany({ where: { bot: false } })
  const id = (name) => users.find((u) => u.username === name).id
  const members = { asker: id('asker'), plain: id('plain'), admin: id('admin') }
  const plainPermissions = PERMISSIONS.VIEW_CHANNEL | PERMISSIONS.SEND_MESSAGES
  for (const name of ['asker', 'plain']) {
    await discord.prisma.guildMember.update({
      where: { guildId_userId: { guildId: discord.guildId, userId: members[name] } },
      data: { permissions: plainPermissions.toString() },
    })
  }
  const channelId = (await discord.prisma.channel.findFirstOrThrow()).id
  return { discord, members, channelId }
}

/// A pass-through HTTP server in front of the simulator's REST API. It serves
/// `GET /oauth2/applications/@me` (serenity's application-info call, which the simulator
/// lacks) from `GET /applications/@me`, records every request for assertions, and can
/// answer the next request matching a pattern with an error instead (`failNext`).
export async function startShim(target) {
  const requests = []
  const faults = []
  const server = http.createServer((req, res) => {
    const chunks = []
    req.on('data', (chunk) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const pathname = req.url.replace(/^\/api\/v10\/oauth2\/applications\/(@|%40)me/, '/api/v10/applications/@me')
      requests.push({
        method: req.method,
        path: req.url,
        authorization: req.headers['authorization'] !== undefined,
        body: body.length > 0 ? body.toString('utf8') : null,
        at: Date.now(),
      })
      const fault = faults.findIndex((f) => f.method === req.method && f.path.test(req.url))
      if (fault !== -1) {
        const [{ status, body: answer }] = faults.splice(fault, 1)
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(answer))
        return
      }
      const headers = { ...req.headers, host: `127.0.0.1:${target}` }
      const upstream = http.request(
        { host: '127.0.0.1', port: target, method: req.method, path: pathname, headers },
        (answer) => {
          res.writeHead(answer.statusCode, answer.headers)
          answer.pipe(res)
        },
      )
      upstream.on('error', (error) => {
        res.writeHead(502, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ message: `shim: ${error.message}`, code: 0 }))
      })
      upstream.end(body)
    })
  })
  // Discord's edge (Cloudflare: 400 s for an idle HTTP/1.1 connection) keeps a connection
  // longer than the bot's pool does (reqwest: 90 s), so the bot never reuses one it closed.
  // Node's default of 5 s could close a pooled connection just as the bot reused it: on a
  // loaded machine a request then failed with "error sending request" instead of meeting
  // the fault the test had set.
  server.keepAliveTimeout = 120_000
  server.headersTimeout = 121_000
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    failNext: (method, path, status, body) => faults.push({ method, path, status, body }),
    close: () =>
      new Promise((resolve) => {
        server.close(resolve)
        server.closeAllConnections()
      }),
  }
}

/// A working folder for the bot: a copy of the shipped notes and config (cooldown off, so
/// one member may click and ask in quick succession), and an empty data folder.
export function botFolder() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notes-bot-e2e-'))
  fs.cpSync(path.join(REPO, 'notes'), path.join(dir, 'notes'), { recursive: true })
  fs.mkdirSync(path.join(dir, 'config'))
  const config = fs
    .readFileSync(path.join(REPO, 'config/notes-bot.yaml'), 'utf8')
    .replace(/^cooldown_seconds: \d+$/m, 'cooldown_seconds: 0')
  if (!/^cooldown_seconds: 0$/m.test(config)) {
    throw new Error('config/notes-bot.yaml has no top-level cooldown_seconds line to turn off')
  }
  fs.writeFileSync(path.join(dir, 'config/notes-bot.yaml'), config)
  return dir
}

/// Runs `notes-bot ARGS` in `dir` against the shim and the simulator's gateway.
export function startBot({ dir, args, shim, discord, env = {} }) {
  if (!fs.existsSync(BIN)) {
    throw new Error(`${BIN} is missing: run \`cargo build\` first, or set NOTES_BOT_BIN`)
  }
  const child = spawn(BIN, args, {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      RUST_LOG: 'info',
      DISCORD_TOKEN: TOKEN,
      DISCORD_HTTP_PROXY: shim.url,
      DISCORD_GATEWAY_URL: discord.gatewayUrl,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  return {
    child,
    exited,
    output: () => output,
    async waitFor(pattern, timeout = 20_000) {
      await until(() => pattern.test(output), timeout, () => `bot output never matched ${pattern}:\n${output}`)
    },
  }
}

/// Polls `check` until it returns something truthy.
export async function until(check, timeout, describe) {
  const deadline = Date.now() + timeout
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) {
      throw new Error(typeof describe === 'function' ? describe() : describe)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
