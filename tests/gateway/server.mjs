// A loopback Wechaty puppet-service gateway for Gridbot's adapter tests.
//
// It serves the official PuppetServer (gRPC, TLS off) backed by PuppetMock, so the real
// python-wechaty client talks to the real TypeScript stack; only WeChat itself is mocked.
// A small HTTP JSON control API on a second loopback port lets a test create contacts and
// rooms, make mock members talk, and read back what the bot sent.
// Besides the routes in README.md: `/say` and `/file` also answer when the message was posted
// (`at`, ms on the gateway's clock; `/say` to the microsecond, as is each sent message's `at`); `POST /redeliver {id}` emits an existing message's event again; `GET
// /wait?after=N&timeout=MS` long-polls for the bot's sends after its first N.
//
//   node server.mjs --port 8788 --control-port 8789 [--token T] [--spec spec.json]
//
// Prints one line `READY {"port":..,"controlPort":..}` on stdout once both ports listen,
// and exits when stdin closes, so a crashed test run leaves no gateway behind.

import fs from 'node:fs'
import http from 'node:http'
import { parseArgs } from 'node:util'

import { FileBox } from 'file-box'
import { createHash } from 'node:crypto'
import * as PUPPET from 'wechaty-puppet'
import { log } from 'wechaty-puppet'
import { mock, PuppetMock } from 'wechaty-puppet-mock'
import { PuppetServer } from 'wechaty-puppet-service'

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.GATEWAY_PORT },
    'control-port': { type: 'string', default: process.env.GATEWAY_CONTROL_PORT },
    token: { type: 'string', default: process.env.GATEWAY_TOKEN || 'gridbot-test-token' },
    spec: { type: 'string', default: process.env.GATEWAY_SPEC },
  },
})
if (!args.port || !args['control-port']) {
  console.error('usage: node server.mjs --port N --control-port M [--token T] [--spec FILE]')
  process.exit(2)
}
log.level(process.env.WECHATY_LOG || 'warn')

const mocker = new mock.Mocker()
const sent = [] // what the bot said, in order: the test's view of "delivered to WeChat"
let botId // the logged-in account; set by the spec

class GatewayPuppet extends PuppetMock {
  // The client always sends Stop then Start, and Stop logs the mock account out:
  // log it back in once the mocker runs again after Start.
  async onStart () {
    await super.onStart()
    setImmediate(() => this.loginBot())
  }

  loginBot () {
    if (botId && this.isLoggedIn === false && this.state.active()) {
      mocker.login(mocker.ContactMock.load(botId))
    }
  }

  // The stock method drops mentionIdList and returns no id: keep both, and record
  // the message for the test before echoing it as the bot's own message event.
  async messageSendText (conversationId, text, mentionIdList = []) {
    if (!this.isLoggedIn) throw new Error('not logged in')
    const conversation = conversationId.includes('@')
      ? mocker.RoomMock.load(conversationId)
      : mocker.ContactMock.load(conversationId)
    const mentions = mentionIdList.filter(id => mocker.cacheContactPayload.has(id))
      .map(id => mocker.ContactMock.load(id))
    const id = newMessageId(() => mocker.ContactMock.load(this.currentUserId).say(text, mentions).to(conversation))
    sent.push({
      id,
      conversationId,
      roomId: conversationId.includes('@') ? conversationId : null,
      text,
      mentionIds: [...mentionIdList],
      at: preciseNow(),
    })
    notifyWaiters()
    return id
  }

  // A file the bot sends (a report's chart, a ledger): recorded with its name and bytes'
  // digest, so a test can check what reached "WeChat" byte for byte.
  async messageSendFile (conversationId, fileBox) {
    if (!this.isLoggedIn) throw new Error('not logged in')
    const data = await fileBox.toBuffer()
    const id = `file-${sent.length + 1}`
    sent.push({
      id,
      conversationId,
      roomId: conversationId.includes('@') ? conversationId : null,
      text: '',
      file: { name: fileBox.name, size: data.length, sha256: createHash('sha256').update(data).digest('hex') },
      mentionIds: [],
      at: preciseNow(),
    })
    notifyWaiters()
    return id
  }

  // Real puppets return the picture itself; the mock returns a QR code. Serve the stored file
  // so the client's streaming download can be checked byte for byte.
  async messageImage (messageId, _imageType) {
    return this.messageFile(messageId)
  }
}

const puppet = new GatewayPuppet({ mocker })

function applySpec (spec) {
  for (const c of spec.contacts || []) {
    if (mocker.cacheContactPayload.has(c.id)) continue
    mocker.createContact({
      id: c.id,
      name: c.name,
      alias: c.alias,
      weixin: c.weixin,
      friend: true,
      type: PUPPET.types.Contact.Individual,
    })
  }
  if (spec.bot) {
    if (!mocker.cacheContactPayload.has(spec.bot.id)) {
      mocker.createContact({ id: spec.bot.id, name: spec.bot.name, type: PUPPET.types.Contact.Individual })
    }
    botId = spec.bot.id
  }
  for (const r of spec.rooms || []) {
    if (!r.id.includes('@')) throw new Error(`room id must contain @: ${r.id}`)
    if (mocker.cacheRoomPayload.has(r.id)) continue
    const members = [...new Set([...(r.members || []), ...(botId ? [botId] : [])])]
    mocker.createRoom({ id: r.id, topic: r.topic, memberIdList: members, adminIdList: [], ownerId: members[0] })
  }
  puppet.loginBot()
}

function conversationOf (body) {
  if (body.room) return mocker.RoomMock.load(body.room)
  if (!botId) throw new Error('no bot: post a spec first')
  return mocker.ContactMock.load(body.to || botId)
}

// The id of the message `say` creates: the mock announces it with a message event, at once.
// (Copying and scanning the whole message cache for the new key took time that grew with
// every message, inside the measured window, so each bot the bench ran later paid more.)
function newMessageId (say) {
  let id
  const grab = event => { id = event.messageId }
  mocker.puppet.once('message', grab)
  try {
    say()
  } finally {
    mocker.puppet.off('message', grab)
  }
  return id
}

// Milliseconds on the gateway's clock to the microsecond (a message's own timestamp is whole
// milliseconds, too coarse for replies of a few milliseconds).
function preciseNow () {
  return performance.timeOrigin + performance.now()
}

// Long-polls waiting for the bot's sends: each resolves once more than `after` messages were
// sent, or when its timeout passes (the answer is then empty).
const waiters = new Set()
function notifyWaiters () {
  for (const waiter of [...waiters]) if (sent.length > waiter.after) waiter.done()
}

function waitSent (after, timeoutMs) {
  if (sent.length > after) return Promise.resolve()
  return new Promise(resolve => {
    const waiter = { after, done: () => { clearTimeout(timer); waiters.delete(waiter); resolve() } }
    const timer = setTimeout(waiter.done, timeoutMs)
    waiters.add(waiter)
  })
}

function timestampOf (id) {
  const payload = mocker.cacheMessagePayload.get(id)
  return payload ? payload.timestamp : null
}

const routes = {
  'GET /status': () => ({ loggedIn: puppet.isLoggedIn, botId, sent: sent.length }),
  'GET /sent': () => sent,
  // ?after=N&timeout=MS: long-poll for what the bot sent after its first N messages
  'GET /wait': async (_body, query) => {
    const after = Number(query.get('after') || 0)
    await waitSent(after, Math.min(Number(query.get('timeout') || 5000), 9000))
    return sent.slice(after)
  },
  'POST /setup': body => { applySpec(body); return { ok: true } },
  // {from, room?|to?, text, mentions?: [id]}; no room and no `to` means a private chat with the bot
  'POST /say': body => {
    const talker = mocker.ContactMock.load(body.from)
    const mentions = (body.mentions || []).map(id => mocker.ContactMock.load(id))
    const conversation = conversationOf(body)
    const at = preciseNow()
    const id = newMessageId(() => talker.say(body.text, mentions).to(conversation))
    return { id, at }
  },
  // {from, room?|to?, path, name?}: the extension (.jpg .png .mp4 .pdf ...) decides the type
  'POST /file': body => {
    const talker = mocker.ContactMock.load(body.from)
    const name = body.name || body.path.split('/').pop()
    const box = FileBox.fromBase64(fs.readFileSync(body.path).toString('base64'), name)
    const conversation = conversationOf(body)
    const id = newMessageId(() => talker.say(box).to(conversation))
    return { id, at: timestampOf(id) }
  },
  // {id}: emit the message event for an existing message again, as a flaky network would
  'POST /redeliver': body => {
    if (!mocker.cacheMessagePayload.has(body.id)) throw new Error(`no message ${body.id}`)
    puppet.emit('message', { messageId: body.id })
    return { ok: true }
  },
  // {room, topic, by}
  'POST /topic': body => {
    mocker.RoomMock.load(body.room).topic(body.topic).by(mocker.ContactMock.load(body.by))
    return { ok: true }
  },
  'POST /logout': async () => { await puppet.logout('logged out by the test'); return { ok: true } },
  'POST /login': () => { puppet.loginBot(); return { ok: puppet.isLoggedIn } },
}

function readBody (req) {
  return new Promise((resolve, reject) => {
    const chunks = []
    req.on('data', c => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      try { resolve(raw ? JSON.parse(raw) : {}) } catch (e) { reject(e) }
    })
    req.on('error', reject)
  })
}

const control = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1')
  const route = routes[`${req.method} ${url.pathname}`]
  let status = 200
  let result
  try {
    if (!route) { status = 404; result = { error: 'no such route' } } else result = await route(await readBody(req), url.searchParams)
  } catch (e) {
    status = 400
    result = { error: String(e && e.message || e) }
  }
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(result))
})

if (args.spec) applySpec(JSON.parse(fs.readFileSync(args.spec, 'utf8')))

const server = new PuppetServer({
  endpoint: `127.0.0.1:${args.port}`,
  puppet,
  token: args.token,
  tls: { disable: true }, // the Python client speaks plain HTTP/2 only
})

process.on('unhandledRejection', e => console.error('unhandledRejection', e))
await server.start()
await new Promise((resolve, reject) => {
  control.once('error', reject)
  control.listen(Number(args['control-port']), '127.0.0.1', resolve)
})
console.log(`READY ${JSON.stringify({ port: Number(args.port), controlPort: Number(args['control-port']) })}`)

async function shutdown () {
  for (const waiter of [...waiters]) waiter.done()
  control.close()
  await Promise.race([server.stop(), new Promise(resolve => setTimeout(resolve, 1000))])
  process.exit(0)
}
process.stdin.on('end', shutdown)
process.stdin.on('close', shutdown)
process.stdin.resume()
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
