// Garbage on every endpoint and transport of tests/interop/server: each case must get the
// protocol's answer (an Engine.IO error body, a 413, a closed WebSocket), end only the offending
// connection, and leave everyone else working. Two healthy official clients (one polling, one
// WebSocket) stay connected through the whole suite; every case ends by proving they still do an
// ack round trip and were never disconnected.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ClientPool, EventRecorder, PROFILE, connectError, connected, emitAck, errorLogEntries,
  startInteropServer, waitForLog,
} from './lib/socketio.mjs';
import { PollingSession, WireSocket, httpText, openEngineSocket, rawRequest } from './lib/wire.mjs';

const TEST = { timeout: 10_000 };
const ErrorCode = { UnknownTransport: 0, UnknownSid: 1, BadHandshakeMethod: 2, BadRequest: 3, UnsupportedProtocolVersion: 5 };
const ErrorMessage = {
  0: 'Transport unknown',
  1: 'Session ID unknown',
  2: 'Bad handshake method',
  3: 'Bad request',
  5: 'Unsupported protocol version',
};

let server;
let endpoint;
let wsEndpoint;
let healthyClients;
const healthy = [];
const rawSockets = new Set();
const pollingSessions = new Set();

before(async () => {
  server = await startInteropServer();
  endpoint = `${server.url}/socket.io/`;
  wsEndpoint = endpoint.replace(/^http/, 'ws');
  healthyClients = new ClientPool(server.url, { reconnection: false });
  for (const transport of ['polling', 'websocket']) {
    const socket = healthyClients.socket('/', { transports: [transport] });
    healthy.push({ transport, socket, disconnects: new EventRecorder(socket, 'disconnect') });
  }
  await Promise.all(healthy.map(({ socket }) => connected(socket)));
}, { timeout: 40_000 });

after(async () => {
  healthyClients?.closeAll();
  await server?.stop();
});

afterEach(async () => {
  for (const socket of rawSockets) socket.close();
  rawSockets.clear();
  // An Engine.IO close packet ends a polling session; one the server already closed refuses it.
  await Promise.all([...pollingSessions].map((session) => session.post('1').catch(() => {})));
  pollingSessions.clear();
});

/** The healthy clients were never disconnected and still get their acks. */
async function assertOthersUndisturbed() {
  for (const { transport, socket, disconnects } of healthy) {
    assert.deepEqual(disconnects.events, [], `the healthy ${transport} client was disconnected`);
    assert.deepEqual(await emitAck(socket, 'echo', transport), [transport], `the healthy ${transport} client got no ack`);
  }
}

function assertEngineError(res, code) {
  assert.equal(res.status, 400, `expected 400, got ${res.status} ${JSON.stringify(res.text)}`);
  assert.match(res.headers['content-type'] ?? res.headers.get?.('content-type') ?? '', /application\/json/);
  assert.deepEqual(JSON.parse(res.text), { code, message: ErrorMessage[code] });
}

/** Asserts that the polling session is gone: a GET for it is refused as unknown. */
async function assertSessionGone(sid) {
  assertEngineError(await httpText(`${endpoint}?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`), ErrorCode.UnknownSid);
}

function track(socket) {
  rawSockets.add(socket);
  return socket;
}

/** A raw WebSocket session connected to namespace '/', as the official client would be. */
async function rawSocketIo() {
  const { socket, handshake } = await openEngineSocket(`${wsEndpoint}?EIO=4&transport=websocket`);
  track(socket);
  socket.sendText('40');
  assert.match(await socket.nextText(), /^40\{"sid":"[^"]+"\}$/);
  return { socket, sid: handshake.sid };
}

async function openPolling() {
  const session = await PollingSession.open(endpoint);
  pollingSessions.add(session);
  return session;
}

/** A raw polling session connected to namespace '/'. */
async function rawPollingSocketIo() {
  const session = await openPolling();
  assert.equal((await session.post('40')).text, 'ok');
  const [connect] = await session.poll();
  assert.match(connect, /^40\{"sid":"[^"]+"\}$/);
  return session;
}

test('GET and POST with a bad EIO get 400 "Unsupported protocol version"', TEST, async () => {
  for (const eio of ['3', '5', 'abc', '']) {
    assertEngineError(await httpText(`${endpoint}?EIO=${eio}&transport=polling`), ErrorCode.UnsupportedProtocolVersion);
  }
  assertEngineError(await httpText(`${endpoint}?transport=polling`), ErrorCode.UnsupportedProtocolVersion);
  const session = await openPolling();
  assertEngineError(
    await httpText(`${endpoint}?EIO=3&transport=polling&sid=${session.sid}`, { method: 'POST', body: '40' }),
    ErrorCode.UnsupportedProtocolVersion);
  await assertOthersUndisturbed();
});

test('GET and POST with a bad transport get 400 "Transport unknown"', TEST, async () => {
  for (const query of ['EIO=4&transport=carrier-pigeon', 'EIO=4&transport=', 'EIO=4', 'EIO=4&transport=webtransport']) {
    assertEngineError(await httpText(`${endpoint}?${query}`), ErrorCode.UnknownTransport);
    assertEngineError(await httpText(`${endpoint}?${query}`, { method: 'POST', body: '40' }), ErrorCode.UnknownTransport);
  }
  await assertOthersUndisturbed();
});

test('GET and POST with an unknown sid get 400 "Session ID unknown"', TEST, async () => {
  const url = `${endpoint}?EIO=4&transport=polling&sid=not-a-session`;
  assertEngineError(await httpText(url), ErrorCode.UnknownSid);
  assertEngineError(await httpText(url, { method: 'POST', body: '40' }), ErrorCode.UnknownSid);
  // The healthy WebSocket client's sid is not a polling session anyone else may use either.
  await assertOthersUndisturbed();
});

test('a POST without a sid gets 400 "Bad handshake method"', TEST, async () => {
  assertEngineError(await httpText(`${endpoint}?EIO=4&transport=polling`, { method: 'POST', body: '40' }), ErrorCode.BadHandshakeMethod);
  await assertOthersUndisturbed();
});

for (const [label, body] of [['b!!!notbase64', 'b!!!notbase64'], ['an empty body', ''], ['9xyz', '9xyz'], ['a bad second record', '40\x1e!']]) {
  test(`a POST of ${label} gets 400 "Bad request" and closes that session`, TEST, async () => {
    const session = await rawPollingSocketIo();
    assertEngineError(await session.post(body), ErrorCode.BadRequest);
    await assertSessionGone(session.sid);
    await assertOthersUndisturbed();
  });
}

test('an oversized POST gets 413 and closes that session', TEST, async () => {
  const session = await rawPollingSocketIo();
  const payload = `42["echo","${'x'.repeat(PROFILE.maxPayload)}"]`;
  const res = await session.post(payload);
  assert.equal(res.status, 413);
  await assertSessionGone(session.sid);
  await waitForLog(server, new RegExp(`${session.sid}: POST larger than ${PROFILE.maxPayload} bytes`));
  await assertOthersUndisturbed();
});

test('an oversized chunked POST (no Content-Length) gets 413 and closes that session', TEST, async () => {
  const session = await rawPollingSocketIo();
  const payload = `42["echo","${'x'.repeat(PROFILE.maxPayload)}"]`;
  const { response } = rawRequest(session.url, {
    method: 'POST',
    body: payload,
    headers: { 'content-type': 'text/plain;charset=UTF-8', 'transfer-encoding': 'chunked' },
  });
  assert.equal((await response).status, 413);
  await assertSessionGone(session.sid);
  await assertOthersUndisturbed();
});

test('an invalid Socket.IO packet over polling closes that session', TEST, async () => {
  const session = await rawPollingSocketIo();
  await session.post('4abc');
  // As Node's conn.close(): the next poll gets the close packet, then the session is gone.
  assert.deepEqual(await session.poll(), ['1']);
  await assertSessionGone(session.sid);
  await waitForLog(server, new RegExp(`Session ${session.sid} sent an invalid Socket.IO packet`));
  await assertOthersUndisturbed();
});

test('an oversized WebSocket message closes that socket with 1009 and is logged', TEST, async () => {
  for (const binary of [false, true]) {
    const { socket, sid } = await rawSocketIo();
    if (binary) {
      socket.sendText('451-["echo",{"_placeholder":true,"num":0}]');
      socket.sendBinary(Buffer.alloc(PROFILE.maxPayload + 1, 1));
    } else {
      socket.sendText(`42["echo","${'x'.repeat(PROFILE.maxPayload)}"]`);
    }
    const { code } = await socket.waitClosed();
    assert.equal(code, 1009, `${binary ? 'binary' : 'text'} message: close code`);
    await waitForLog(server, new RegExp(`${sid}: WebSocket message larger than ${PROFILE.maxPayload} bytes`));
  }
  await assertOthersUndisturbed();
});

const INVALID_SOCKET_IO = [
  ['4abc (unknown packet type)', ['4abc']],
  ['4 (empty packet)', ['4']],
  ['42{} (event data not an array)', ['42{}']],
  ['42abc["echo"] (garbage before the JSON)', ['42abc["echo"]']],
  ['42["echo" (truncated JSON)', ['42["echo"']],
  ['42["connect"] (reserved event name)', ['42["connect"]']],
  ['43["x"] (ack without an id)', ['43["x"]']],
  ['452-[...] followed by text instead of binary', ['452-["echo",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]', '42["echo"]']],
  ['a binary frame with no pending binary packet', [Buffer.from([1, 2, 3])]],
];

for (const [label, frames] of INVALID_SOCKET_IO) {
  test(`invalid Socket.IO packet over WebSocket: ${label}`, TEST, async () => {
    const { socket, sid } = await rawSocketIo();
    for (const frame of frames) {
      if (Buffer.isBuffer(frame)) socket.sendBinary(frame); else socket.sendText(frame);
    }
    await socket.waitClosed();
    await waitForLog(server, new RegExp(`Session ${sid} sent an invalid Socket.IO packet`));
    await assertOthersUndisturbed();
  });
}

test('a non-Engine.IO WebSocket frame ("hello") closes that socket', TEST, async () => {
  const { socket, sid } = await rawSocketIo();
  socket.sendText('hello');
  await socket.waitClosed();
  await waitForLog(server, new RegExp(`${sid}: invalid packet on WebSocket`));
  await assertOthersUndisturbed();
});

test('an empty WebSocket text frame closes that socket', TEST, async () => {
  const { socket, sid } = await rawSocketIo();
  socket.sendText('');
  await socket.waitClosed();
  await waitForLog(server, new RegExp(`${sid}: invalid packet on WebSocket`));
  await assertOthersUndisturbed();
});

test('a WebSocket upgrade for an unknown sid gets 400 "Session ID unknown"', TEST, async () => {
  const { response } = rawRequest(`${endpoint}?EIO=4&transport=websocket&sid=not-a-session`, {
    headers: {
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-version': '13',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    },
  });
  assertEngineError(await response, ErrorCode.UnknownSid);

  // The same through a WebSocket client: the upgrade is refused, nothing opens.
  const socket = track(new WireSocket(`${wsEndpoint}?EIO=4&transport=websocket&sid=not-a-session`));
  await socket.waitClosed();
  assert.match(socket.errors.map((err) => err.message).join('; '), /Unexpected server response: 400/);
  await assertOthersUndisturbed();
});

test('a WebSocket handshake without an upgrade gets 400 "Bad request"', TEST, async () => {
  assertEngineError(await httpText(`${endpoint}?EIO=4&transport=websocket`), ErrorCode.BadRequest);
  await assertOthersUndisturbed();
});

test('garbage instead of the probe fails the upgrade only; the polling session goes on', TEST, async () => {
  const session = await rawPollingSocketIo();
  const probe = track(new WireSocket(`${wsEndpoint}?EIO=4&transport=websocket&sid=${session.sid}`));
  await probe.opened;
  probe.sendText('hello');
  await probe.waitClosed();
  assert.equal((await session.post('421["echo","still polling"]')).text, 'ok');
  assert.deepEqual(await session.poll(), ['431["still polling"]']);
  await assertOthersUndisturbed();
});

test('polling requests and a second WebSocket for a WebSocket session are refused, the session stays', TEST, async () => {
  const victim = healthy.find(({ transport }) => transport === 'websocket').socket.io.engine.id;
  const url = `${endpoint}?EIO=4&transport=polling&sid=${victim}`;
  assertEngineError(await httpText(url), ErrorCode.BadRequest);
  assertEngineError(await httpText(url, { method: 'POST', body: '42["echo"]' }), ErrorCode.BadRequest);
  const intruder = track(new WireSocket(`${wsEndpoint}?EIO=4&transport=websocket&sid=${victim}`));
  intruder.sendText('2probe');
  await intruder.waitClosed();
  await assertOthersUndisturbed();
});

test('an overlapping GET poll gets 400 "Bad request" and closes that session', TEST, async () => {
  const session = await rawPollingSocketIo();
  // Both polls are held or refused; whichever the server sees second overlaps the first.
  const polls = await Promise.all([session.get(), session.get()]);
  const refused = polls.filter((res) => res.status === 400);
  const answered = polls.filter((res) => res.status === 200);
  assert.equal(refused.length, 1, `statuses ${polls.map((res) => res.status)}`);
  assertEngineError(refused[0], ErrorCode.BadRequest);
  // The held poll is released with the close packet.
  assert.equal(answered.length, 1);
  assert.equal(answered[0].text, '1');
  await assertSessionGone(session.sid);
  await assertOthersUndisturbed();
});

// The interop app keeps the default event rate (docs/protection.md: 100 packets/s, burst 200), so a
// flood is what it protects against: the first burst is handled, the rest dropped, and a client that
// goes on at more than twice its rate is disconnected (DISCONNECT, then the Engine.IO close).
test('a flood of 2000 events from one raw client: its burst handled, then it is disconnected; others keep being answered', TEST, async () => {
  const { socket } = await rawSocketIo();
  const flood = 2_000;
  for (let i = 0; i < flood; i++) socket.sendText('42["count"]');
  socket.sendText('421["get-count"]');
  // The healthy clients' round trips race the flood.
  await assertOthersUndisturbed();
  // The DISCONNECT is queued before the close, but a client still sending may see the connection
  // end before it reads it: either way, nothing after the burst is answered.
  const first = await socket.nextText(5_000).catch(() => null);
  assert.ok(first === null || first === '41', `expected the DISCONNECT or nothing, got ${first}`);
  await socket.waitClosed();
  await waitForLog(server, /stayed over its event rate/);
});

test('a polling payload of 2000 events: its burst handled, then the session is disconnected; others keep being answered', TEST, async () => {
  const session = await rawPollingSocketIo();
  const flood = 2_000;
  const posted = session.post(`${Array(flood).fill('42["count"]').join('\x1e')}\x1e421["get-count"]`);
  await assertOthersUndisturbed();
  assert.equal((await posted).text, 'ok');
  // The DISCONNECT alone, then the close packet in the next poll's answer, as Node sends them.
  assert.deepEqual(await session.poll(), ['41']);
  assert.deepEqual(await session.poll(), ['1']);
  await assertSessionGone(session.sid);
});

for (const transport of ['polling', 'websocket']) {
  test(`an auth object 100 levels deep gets a connect_error at once (${transport}), a shallow one connects`, TEST, async () => {
    let auth = {};
    for (let i = 1; i < 100; i++) auth = { a: auth };
    const pool = new ClientPool(server.url, { reconnection: false, transports: [transport] });
    try {
      const started = Date.now();
      const err = await connectError(pool.socket('/', { auth }), 3_000);
      assert.equal(err.message, 'Invalid payload: JSON nested deeper than 64 levels');
      assert.ok(Date.now() - started < 3_000);
      await waitForLog(server, /refused on \/: Invalid payload: JSON nested deeper than 64 levels/);
      await connected(pool.socket('/', { auth: { a: { b: { c: {} } } } }));
    } finally {
      pool.closeAll();
    }
    await assertOthersUndisturbed();
  });
}

// Declared last, so it runs after every case above.
test('the server is still running and logged no errors', () => {
  assert.equal(server.process.exitCode, null, 'the server exited');
  assert.equal(server.process.signalCode, null, 'the server was killed');
  assert.deepEqual(errorLogEntries(server.output()), []);
});
