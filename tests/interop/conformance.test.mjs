// Engine.IO v4 / Socket.IO v5 wire conformance of samples/ProtocolConformance, driven by raw
// HTTP requests and raw WebSocket frames so every byte the server sends is checked.
//
// The sample's profile: /engine.io/ echoes every message to its sender; /socket.io/ has the
// namespaces '/' and '/custom', emits 'auth' with the CONNECT payload on every connection, answers
// 'message' with 'message-back' and acks 'message-with-ack', both with the same arguments.
// pingInterval 300 ms, pingTimeout 200 ms, maxPayload 1000000, connectTimeout 1000 ms.
//
// Set SWITCHBOARD_CONFORMANCE_URL (e.g. http://127.0.0.1:3000) to run against a server that is
// already running instead of starting the sample.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, withTimeout } from './lib/server.mjs';
import { PollingSession, RECORD_SEPARATOR, WireSocket, httpText, openEngineSocket, rawRequest } from './lib/wire.mjs';

const PING_INTERVAL = 300;
const PING_TIMEOUT = 200;
const MAX_PAYLOAD = 1_000_000;
const CONNECT_TIMEOUT = 1_000;
const TEST = { timeout: 5_000 };

const ErrorCode = { UnknownTransport: 0, UnknownSid: 1, BadHandshakeMethod: 2, BadRequest: 3, UnsupportedProtocolVersion: 5 };

let server;
let httpBase;
let wsBase;
const sockets = new Set();

before(async () => {
  if (process.env.SWITCHBOARD_CONFORMANCE_URL) {
    httpBase = process.env.SWITCHBOARD_CONFORMANCE_URL.replace(/\/$/, '');
  } else {
    server = await startServer({ project: 'samples/ProtocolConformance' });
    httpBase = server.url;
  }
  wsBase = httpBase.replace(/^http/, 'ws');
}, { timeout: 40_000 });

after(async () => {
  await server?.stop();
});

afterEach(() => {
  for (const socket of sockets) socket.close();
  sockets.clear();
});

const engineUrl = () => `${httpBase}/engine.io/`;
const socketIoUrl = () => `${httpBase}/socket.io/`;

function track(socket) {
  sockets.add(socket);
  return socket;
}

function wireSocket(url, options) {
  return track(new WireSocket(url, options));
}

async function engineSocket(path, query = '', options = {}) {
  const opened = await openEngineSocket(`${wsBase}${path}?EIO=4&transport=websocket${query}`, options);
  track(opened.socket);
  return opened;
}

function assertHandshake(handshake, upgrades) {
  assert.deepEqual(Object.keys(handshake).sort(), ['maxPayload', 'pingInterval', 'pingTimeout', 'sid', 'upgrades']);
  assert.equal(typeof handshake.sid, 'string');
  assert.match(handshake.sid, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(handshake.upgrades, upgrades);
  assert.equal(handshake.pingInterval, PING_INTERVAL);
  assert.equal(handshake.pingTimeout, PING_TIMEOUT);
  assert.equal(handshake.maxPayload, MAX_PAYLOAD);
}

function assertEngineError(res, code) {
  assert.equal(res.status, 400, `expected 400, got ${res.status} ${JSON.stringify(res.text)}`);
  let body;
  assert.doesNotThrow(() => { body = JSON.parse(res.text); }, `error body is not JSON: ${JSON.stringify(res.text)}`);
  assert.deepEqual(Object.keys(body).sort(), ['code', 'message']);
  assert.equal(typeof body.message, 'string');
  assert.ok(body.message.length > 0, 'error message is empty');
  if (code !== undefined) assert.equal(body.code, code, `expected code ${code} in ${res.text}`);
  else assert.equal(typeof body.code, 'number');
}

/** Waits until a refused or dropped WebSocket is closed; asserts no open packet reached it. */
async function assertRefused(socket) {
  await socket.waitClosed(3_000);
  const opens = socket.queue.filter((m) => !m.binary && m.data.startsWith('0'));
  assert.deepEqual(opens, [], 'a refused WebSocket received an open packet');
}

async function assertServerStillServes() {
  const session = await PollingSession.open(engineUrl());
  assertHandshake(session.handshake, ['websocket']);
}

const delay = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

describe('Engine.IO handshake', () => {
  test('polling handshake returns the open packet with sid, upgrades and timings', TEST, async () => {
    const res = await httpText(`${engineUrl()}?EIO=4&transport=polling`);
    assert.equal(res.status, 200);
    assert.ok(res.text.startsWith('0'), `body does not start with 0: ${JSON.stringify(res.text)}`);
    assertHandshake(JSON.parse(res.text.slice(1)), ['websocket']);
  });

  test('handshake without EIO is rejected with code 5', TEST, async () => {
    assertEngineError(await httpText(`${engineUrl()}?transport=polling`), ErrorCode.UnsupportedProtocolVersion);
  });

  test('handshake with a non-numeric EIO is rejected with code 5', TEST, async () => {
    assertEngineError(await httpText(`${engineUrl()}?EIO=abc&transport=polling`), ErrorCode.UnsupportedProtocolVersion);
  });

  test('handshake without transport is rejected with code 0', TEST, async () => {
    assertEngineError(await httpText(`${engineUrl()}?EIO=4`), ErrorCode.UnknownTransport);
  });

  test('handshake with an unknown transport is rejected with code 0', TEST, async () => {
    assertEngineError(await httpText(`${engineUrl()}?EIO=4&transport=tobi`), ErrorCode.UnknownTransport);
  });

  for (const method of ['POST', 'PUT']) {
    test(`${method} without sid is rejected with code 2`, TEST, async () => {
      const res = await httpText(`${engineUrl()}?EIO=4&transport=polling`, { method, body: '4hello' });
      assertEngineError(res, ErrorCode.BadHandshakeMethod);
    });
  }

  test('WebSocket handshake returns the open packet with no further upgrades', TEST, async () => {
    const { handshake } = await engineSocket('/engine.io/');
    assertHandshake(handshake, []);
  });

  for (const [label, query] of [
    ['a non-numeric EIO', 'EIO=abc&transport=websocket'],
    ['no EIO', 'transport=websocket'],
    ['an unknown transport', 'EIO=4&transport=tobi'],
  ]) {
    test(`WebSocket handshake with ${label} is refused and the server keeps serving`, TEST, async () => {
      const socket = wireSocket(`${wsBase}/engine.io/?${query}`);
      await assertRefused(socket);
      await assertServerStillServes();
    });
  }
});

describe('Engine.IO messages over polling', () => {
  async function echoOverPolling(payload) {
    const session = await PollingSession.open(engineUrl());
    const posted = await session.post(payload);
    assert.equal(posted.status, 200);
    assert.equal(posted.text, 'ok');
    return session.poll();
  }

  test('a POSTed text message is acknowledged with ok and echoed on the next GET', TEST, async () => {
    assert.deepEqual(await echoOverPolling('4hello'), ['4hello']);
  });

  test('a Unicode text message round-trips unchanged', TEST, async () => {
    assert.deepEqual(await echoOverPolling('4€丨傷ΟΨ'), ['4€丨傷ΟΨ']);
  });

  test('a base64 binary message round-trips unchanged', TEST, async () => {
    assert.deepEqual(await echoOverPolling('bAQIDBA=='), ['bAQIDBA==']);
  });

  test('packets joined by a record separator come back joined in one GET, in order', TEST, async () => {
    const packets = ['4first', '4€second', 'bAQIDBA==', '4last'];
    assert.deepEqual(await echoOverPolling(packets.join(RECORD_SEPARATOR)), packets);
  });

  test('an unknown sid is rejected with code 1 on GET and POST', TEST, async () => {
    const url = `${engineUrl()}?EIO=4&transport=polling&sid=doesnotexist`;
    assertEngineError(await httpText(url), ErrorCode.UnknownSid);
    assertEngineError(await httpText(url, { method: 'POST', body: '4hello' }), ErrorCode.UnknownSid);
  });

  test('a POST larger than maxPayload is rejected with 413', TEST, async () => {
    const session = await PollingSession.open(engineUrl());
    const res = await session.post(`4${'a'.repeat(MAX_PAYLOAD + 1)}`);
    assert.equal(res.status, 413);
  });
});

describe('Engine.IO messages over WebSocket', () => {
  test('a text message is echoed as text', TEST, async () => {
    const { socket } = await engineSocket('/engine.io/');
    socket.sendText('4hello');
    assert.equal(await socket.nextText(), '4hello');
  });

  test('a binary frame is echoed as a binary frame', TEST, async () => {
    const { socket } = await engineSocket('/engine.io/');
    socket.sendBinary([1, 2, 3, 4]);
    assert.deepEqual([...await socket.nextBinary()], [1, 2, 3, 4]);
  });

  test('a Unicode text message is echoed unchanged', TEST, async () => {
    const { socket } = await engineSocket('/engine.io/');
    socket.sendText('4€丨傷ΟΨ');
    assert.equal(await socket.nextText(), '4€丨傷ΟΨ');
  });
});

describe('Engine.IO heartbeat', () => {
  const beat = PING_INTERVAL + PING_TIMEOUT + 1_000;

  test('over polling, three pings in a row are each answered by a pong', TEST, async () => {
    const session = await PollingSession.open(engineUrl());
    for (let i = 0; i < 3; i++) {
      const ping = await session.get(beat);
      assert.equal(ping.status, 200);
      assert.equal(ping.text, '2', `ping ${i + 1}`);
      const pong = await session.post('3');
      assert.equal(pong.status, 200, `pong ${i + 1}`);
      assert.equal(pong.text, 'ok', `pong ${i + 1}`);
    }
  });

  test('a silent polling session is closed after pingInterval + pingTimeout', TEST, async () => {
    const session = await PollingSession.open(engineUrl());
    // The elapsed time is the behaviour under test, so this is the one timer the suite waits on.
    await delay(session.handshake.pingInterval + session.handshake.pingTimeout);
    assertEngineError(await session.get(), ErrorCode.UnknownSid);
  });

  test('over WebSocket, three pings in a row are each answered by a pong', TEST, async () => {
    const { socket } = await engineSocket('/engine.io/', '', { autoPong: false });
    for (let i = 0; i < 3; i++) {
      assert.equal(await socket.nextText(beat), '2', `ping ${i + 1}`);
      socket.sendText('3');
    }
    assert.ok(socket.isOpen, 'the socket closed although every ping was answered');
  });

  test('a silent WebSocket is closed by the server', TEST, async () => {
    const { socket } = await engineSocket('/engine.io/', '', { autoPong: false });
    assert.equal(await socket.nextText(beat), '2');
    await socket.waitClosed(beat);
    assert.deepEqual(socket.queue.filter((m) => m.binary || m.data !== '2'), [], 'only pings were expected');
  });
});

describe('Engine.IO close', () => {
  test('over polling, a close packet releases the pending GET with a noop and ends the session', TEST, async () => {
    // As the socket.io-protocol suite's "should forcefully close the session": the GET and the POST
    // go out at once. Whichever the server handles first, the GET gets the noop (a close with no poll
    // held keeps the session for that one poll), so this needs no retry.
    for (let round = 0; round < 5; round++) {
      const session = await PollingSession.open(engineUrl());
      const [released, closed] = await Promise.all([rawRequest(session.url).response, session.post('1')]);
      assert.equal(closed.status, 200, `POST 1 answered ${closed.status} ${closed.text}`);
      assert.equal(released.status, 200, `pending GET answered ${released.status} ${released.text}`);
      assert.equal(released.text, '6');
      assertEngineError(await session.get(), ErrorCode.UnknownSid);
    }
  });

  test('over WebSocket, a close packet makes the server close the socket', TEST, async () => {
    const { socket } = await engineSocket('/engine.io/');
    socket.sendText('1');
    await socket.waitClosed();
    assert.equal(socket.queue.length, 0, `unexpected messages: ${JSON.stringify(socket.queue)}`);
  });
});

describe('Engine.IO upgrade from polling to WebSocket', () => {
  async function upgrade(session) {
    const socket = wireSocket(`${wsBase}/engine.io/?EIO=4&transport=websocket&sid=${encodeURIComponent(session.sid)}`);
    await withTimeout(socket.opened, 3_000, 'opening the upgrade WebSocket');
    socket.sendText('2probe');
    return { socket, probe: await socket.nextText() };
  }

  test('probe, upgrade and echo over the new WebSocket without a second open packet', TEST, async () => {
    const session = await PollingSession.open(engineUrl());
    const { socket, probe } = await upgrade(session);
    assert.equal(probe, '3probe');
    socket.sendText('5');
    socket.sendText('4hello');
    assert.equal(await socket.nextText(), '4hello');
  });

  test('after the upgrade a polling GET for the session is rejected with 400', TEST, async () => {
    const session = await PollingSession.open(engineUrl());
    const { socket, probe } = await upgrade(session);
    assert.equal(probe, '3probe');
    socket.sendText('5');
    // The echo proves the server has processed the upgrade packet before polling again.
    socket.sendText('4sync');
    assert.equal(await socket.nextText(), '4sync');
    assertEngineError(await session.get());
  });

  test('after the upgrade a second WebSocket with the same sid is closed', TEST, async () => {
    const session = await PollingSession.open(engineUrl());
    const { socket, probe } = await upgrade(session);
    assert.equal(probe, '3probe');
    socket.sendText('5');
    socket.sendText('4sync');
    assert.equal(await socket.nextText(), '4sync');
    const second = wireSocket(`${wsBase}/engine.io/?EIO=4&transport=websocket&sid=${encodeURIComponent(session.sid)}`);
    await assertRefused(second);
    socket.sendText('4still here');
    assert.equal(await socket.nextText(), '4still here', 'the upgraded socket stopped working');
  });

  test('a GET pending during the upgrade is released with a noop after the probe', TEST, async () => {
    const session = await PollingSession.open(engineUrl());
    const pending = rawRequest(session.url);
    await pending.sent;
    const { socket, probe } = await upgrade(session);
    assert.equal(probe, '3probe');
    const released = await pending.response;
    assert.equal(released.status, 200);
    assert.equal(released.text, '6');
    socket.sendText('5');
  });
});

describe('Socket.IO over a raw WebSocket', () => {
  const openSocketIo = (options) => engineSocket('/socket.io/', '', options);

  /** Sends CONNECT for nsp and checks the reply and the auth event; returns the namespace sid. */
  async function connect(socket, nsp = '/', payload, expectedAuth = payload ?? {}) {
    const prefix = nsp === '/' ? '' : `${nsp},`;
    socket.sendText(`40${prefix}${payload === undefined ? '' : JSON.stringify(payload)}`);
    const reply = await socket.nextText();
    assert.ok(reply.startsWith(`40${prefix}`), `CONNECT reply ${JSON.stringify(reply)}`);
    const body = JSON.parse(reply.slice(2 + prefix.length));
    assert.deepEqual(Object.keys(body), ['sid']);
    assert.equal(typeof body.sid, 'string');
    assert.equal(await socket.nextText(), `42${prefix}${JSON.stringify(['auth', expectedAuth])}`);
    return body.sid;
  }

  test('CONNECT to the main namespace answers with exactly a sid and emits auth {}', TEST, async () => {
    const { socket } = await openSocketIo();
    await connect(socket);
  });

  test('the CONNECT payload of the main namespace is emitted back as auth', TEST, async () => {
    const { socket } = await openSocketIo();
    await connect(socket, '/', { token: '123' });
  });

  test('CONNECT to /custom answers with a sid and emits auth {}', TEST, async () => {
    const { socket } = await openSocketIo();
    await connect(socket, '/custom');
  });

  test('the CONNECT payload of /custom is emitted back as auth', TEST, async () => {
    const { socket } = await openSocketIo();
    await connect(socket, '/custom', { token: 'abc' });
  });

  test('CONNECT to an unknown namespace is refused with CONNECT_ERROR', TEST, async () => {
    const { socket } = await openSocketIo();
    socket.sendText('40/random');
    assert.equal(await socket.nextText(), '44/random,{"message":"Invalid namespace"}');
  });

  test('a connection that sends no CONNECT is closed after connectTimeout', TEST, async () => {
    const { socket } = await openSocketIo();
    const opened = Date.now();
    await socket.waitClosed(CONNECT_TIMEOUT + 2_000);
    const elapsed = Date.now() - opened;
    assert.ok(elapsed >= CONNECT_TIMEOUT - 100, `closed after ${elapsed} ms, before connectTimeout`);
  });

  test('before CONNECT the server sends nothing but pings', TEST, async () => {
    const { socket } = await openSocketIo({ autoPong: false });
    assert.equal(await socket.nextText(PING_INTERVAL + 1_000), '2');
    socket.sendText('3');
    socket.sendText('40');
    assert.ok((await socket.nextText()).startsWith('40{'));
  });

  test('DISCONNECT from the main namespace gets no reply and keeps the connection', TEST, async () => {
    const { socket } = await openSocketIo();
    await connect(socket);
    // From here on every frame is checked, pings included.
    socket.autoPong = false;
    socket.sendText('41');
    assert.equal(await socket.nextText(PING_INTERVAL + 1_000), '2');
    socket.sendText('3');
    socket.autoPong = true;
    await connect(socket);
  });

  test('DISCONNECT from /custom leaves the main namespace working', TEST, async () => {
    const { socket } = await openSocketIo();
    await connect(socket);
    await connect(socket, '/custom');
    socket.sendText('41/custom');
    socket.sendText('42["message","message to main namespace"]');
    assert.equal(await socket.nextText(), '42["message-back","message to main namespace"]');
  });

  test('an event is answered with the same arguments, byte for byte', TEST, async () => {
    const { socket } = await openSocketIo();
    await connect(socket);
    socket.sendText('42["message",1,"2",{"3":[true]}]');
    assert.equal(await socket.nextText(), '42["message-back",1,"2",{"3":[true]}]');
  });

  test('a binary event is answered with the same placeholders and attachments', TEST, async () => {
    const { socket } = await openSocketIo();
    await connect(socket);
    socket.sendText('452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    socket.sendBinary([1, 2, 3]);
    socket.sendBinary([4, 5, 6]);
    assert.equal(await socket.nextText(), '452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    assert.deepEqual([...await socket.nextBinary()], [1, 2, 3]);
    assert.deepEqual([...await socket.nextBinary()], [4, 5, 6]);
  });

  test('an event with an ack id is acknowledged with the same arguments', TEST, async () => {
    const { socket } = await openSocketIo();
    await connect(socket);
    socket.sendText('42456["message-with-ack",1,"2",{"3":[false]}]');
    assert.equal(await socket.nextText(), '43456[1,"2",{"3":[false]}]');
  });

  test('a binary event with an ack id gets a binary ack with the same attachments', TEST, async () => {
    const { socket } = await openSocketIo();
    await connect(socket);
    socket.sendText('452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    socket.sendBinary([1, 2, 3]);
    socket.sendBinary([4, 5, 6]);
    assert.equal(await socket.nextText(), '462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    assert.deepEqual([...await socket.nextBinary()], [1, 2, 3]);
    assert.deepEqual([...await socket.nextBinary()], [4, 5, 6]);
  });

  for (const [label, packet] of [
    ['an unknown packet type', '4abc'],
    ['an event whose payload is not an array', '42{}'],
    ['an event with a broken ack id', '42abc["message-with-ack",1]'],
  ]) {
    test(`${label} (${packet}) closes the connection`, TEST, async () => {
      const { socket } = await openSocketIo();
      await connect(socket);
      socket.sendText(packet);
      await socket.waitClosed();
      assert.deepEqual(socket.queue, [], 'nothing was expected in reply to an invalid packet');
    });
  }
});

describe('Socket.IO over polling', () => {
  test('CONNECT, auth event and message-back work over long-polling', TEST, async () => {
    const session = await PollingSession.open(socketIoUrl());
    assertHandshake(session.handshake, ['websocket']);
    const connected = await session.post('40');
    assert.equal(connected.status, 200);
    const received = [];
    while (received.length < 2) received.push(...await session.poll());
    assert.equal(received.length, 2, `unexpected packets ${JSON.stringify(received)}`);
    assert.ok(received[0].startsWith('40{'), `CONNECT reply ${JSON.stringify(received[0])}`);
    assert.deepEqual(Object.keys(JSON.parse(received[0].slice(2))), ['sid']);
    assert.equal(received[1], '42["auth",{}]');

    const sent = await session.post('42["message","over polling"]');
    assert.equal(sent.status, 200);
    assert.deepEqual(await session.poll(), ['42["message-back","over polling"]']);
  });
});
