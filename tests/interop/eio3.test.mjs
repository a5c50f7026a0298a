// socket.io-client 2.x (Engine.IO v3, Socket.IO protocol revision 4) against tests/interop/server
// started with --Interop:AllowEIO3=true (Eio3Profile.cs: ping interval 1 s, ping timeout 2 s, and a
// room 'eio3-watchers' that hears `gone` (id, reason) for every socket of '/' that disconnects), over
// polling only, WebSocket only, the upgrade path, and both transports with base64 framing
// (forceBase64: the b64 query of clients without binary support, which the 2.x client's polling in
// Node always is); Chromium runs the 2.x browser bundle for XHR2's binary polling payloads. The server's scenarios are those of
// socketio-client.test.mjs: echo, ask-client, binary-echo, join, to-room, fetch, disconnect-me,
// engine-id on '/', and '/admin', which needs auth { token: 'secret' } (for 2.x, the CONNECT query).
// A server without AllowEIO3 refuses these clients with Engine.IO's code 5. No sleeps: every wait
// is for an event, with a timeout.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import ioV2 from 'socket.io-client-v2';
import { INTEROP_DLL, INTEROP_PROJECT, errorLogEntries, waitFor, waitForLog, withTimeout } from './lib/socketio.mjs';
import { startServer } from './lib/server.mjs';
import { launchChromium } from './lib/browser.mjs';
import { createRequire } from 'node:module';

const TEST = { timeout: 15_000 };
const TIMEOUT = 3_000;
const PING_INTERVAL = 1_000;
const PING_TIMEOUT = 2_000;
const SERVER_BYTES = Buffer.from([0xde, 0xad, 0xbe, 0xef]);

const CONFIGURATIONS = [
  { name: 'polling only', key: 'polling', options: { transports: ['polling'] }, transport: 'polling' },
  { name: 'WebSocket only', key: 'websocket', options: { transports: ['websocket'] }, transport: 'websocket' },
  { name: 'polling upgraded to WebSocket', key: 'upgrade', options: {}, transport: 'websocket' },
  { name: 'polling with base64 binary', key: 'polling-b64', options: { transports: ['polling'], forceBase64: true }, transport: 'polling' },
  { name: 'WebSocket with base64 binary', key: 'websocket-b64', options: { transports: ['websocket'], forceBase64: true }, transport: 'websocket' },
];

function start(args = []) {
  return startServer({
    project: INTEROP_PROJECT,
    dll: INTEROP_DLL,
    args,
    env: { 'Logging__LogLevel__Microsoft.AspNetCore': 'Warning' },
  });
}

let server;
let sockets = [];

before(async () => {
  server = await start(['--Interop:AllowEIO3=true']);
}, { timeout: 40_000 });

after(async () => {
  await server?.stop();
  assert.deepEqual(errorLogEntries(server?.output() ?? ''), [], 'the server logged errors');
});

afterEach(() => {
  for (const socket of sockets) socket.close();
  sockets = [];
});

/** A 2.x socket with its own Manager, not reconnecting. */
function client(url, nsp = '/', options = {}) {
  const socket = ioV2(`${url}${nsp}`, { forceNew: true, reconnection: false, ...options });
  sockets.push(socket);
  return socket;
}

/** Resolves once connected; rejects with the connect_error or the ERROR packet's data. */
function connected(socket) {
  if (socket.connected) return Promise.resolve(socket);
  return withTimeout(new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
    socket.once('error', (data) => reject(new Error(`error packet: ${JSON.stringify(data)}`)));
  }), TIMEOUT, `connecting ${socket.nsp}`);
}

/** Emits with an acknowledgement (2.x has no timeout of its own) and resolves with the ack's arguments. */
function emitAck(socket, event, ...args) {
  return withTimeout(new Promise((resolve) => socket.emit(event, ...args, (...response) => resolve(response))), TIMEOUT, `ack of '${event}'`);
}

/** Resolves once the client is on the transport the configuration ends on. */
async function settled(socket, config) {
  const engine = socket.io.engine;
  if (engine.transport.name !== config.transport) {
    await waitFor(engine, 'upgrade', TIMEOUT);
  }
  assert.equal(engine.transport.name, config.transport);
}

for (const config of CONFIGURATIONS) {
  describe(`socket.io-client 2.x, ${config.name}`, () => {
    const open = (nsp = '/', options = {}) => client(server.url, nsp, { ...config.options, ...options });

    test('connects to / without sending CONNECT, with the Engine.IO id as socket id', TEST, async () => {
      const socket = open();
      await connected(socket);
      await settled(socket, config);
      const [engineId] = await emitAck(socket, 'engine-id');
      assert.equal(engineId, socket.io.engine.id);
      // Revision 4 gives the socket on / the Engine.IO id; the server agrees (its room of the socket).
      assert.equal(socket.id, engineId);
      assert.deepEqual(await emitAck(socket, 'join', `${config.key}-self`), ['ok']);
      assert.deepEqual(await emitAck(socket, 'fetch', `${config.key}-self`), [[engineId]]);
    });

    test('events and acknowledgements both ways', TEST, async () => {
      const socket = open();
      await connected(socket);
      await settled(socket, config);
      const payload = { text: 'héllo 🌍', list: [1, 2.5, null, true], nested: { deep: 'x'.repeat(300) } };
      assert.deepEqual(await emitAck(socket, 'echo', payload, 'second'), [payload, 'second']);

      // The server asks back and acknowledges with the client's answer.
      socket.on('question', (...args) => {
        const ack = args.pop();
        ack({ answered: args });
      });
      assert.deepEqual(await emitAck(socket, 'ask-client', 'q1', 2), [{ answered: ['q1', 2] }]);
    });

    test('binary both ways, nested in objects', TEST, async () => {
      const socket = open();
      await connected(socket);
      await settled(socket, config);
      const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
      const [echoed, made] = await emitAck(socket, 'binary-echo', bytes);
      assert.deepEqual(Buffer.from(echoed), bytes);
      assert.deepEqual(Buffer.from(made.made), SERVER_BYTES);
      assert.equal(made.nested[0], 'label');
      assert.deepEqual(Buffer.from(made.nested[1].inner), SERVER_BYTES);

      // A server event with a binary argument: echo sends back the client's own attachments.
      const [back] = await emitAck(socket, 'echo', { blob: Buffer.from('binary é') });
      assert.deepEqual(Buffer.from(back.blob), Buffer.from('binary é'));
    });

    test('a second namespace with a query, which the server reads as its auth', TEST, async () => {
      const socket = open('/admin', { query: { token: 'secret' } });
      const welcome = waitFor(socket, 'admin-welcome', TIMEOUT);
      await connected(socket);
      await settled(socket, config);
      assert.deepEqual(await welcome, ['/admin']);
      const [engineId] = await emitAck(socket, 'engine-id');
      assert.equal(socket.id, `/admin#${engineId}`);
      assert.deepEqual(await emitAck(socket, 'echo', 'on admin'), ['on admin']);
    });

    test('a middleware refusal reaches the client as an error with its data', TEST, async () => {
      const socket = open('/admin', { query: { token: 'wrong' } });
      const [data] = await waitFor(socket, 'error', TIMEOUT);
      assert.deepEqual(data, { reason: 'bad token' });
      assert.equal(socket.connected, false);
    });

    test('an unknown namespace is refused with an error of its own', TEST, async () => {
      const socket = open('/nowhere');
      const [data] = await waitFor(socket, 'error', TIMEOUT);
      assert.deepEqual(data, { message: 'Invalid namespace' });
      assert.equal(socket.connected, false);
    });

    test('rooms: a broadcast reaches the members only', TEST, async () => {
      const room = `${config.key}-room`;
      const [a, b, c] = [open(), open(), open()];
      await Promise.all([a, b, c].map(connected));
      await Promise.all([a, b, c].map((s) => settled(s, config)));
      await emitAck(a, 'join', room);
      await emitAck(b, 'join', room);
      const strays = [];
      c.on('room-message', (...args) => strays.push(args));
      const atB = waitFor(b, 'room-message', TIMEOUT);
      assert.deepEqual(await emitAck(a, 'to-room', room, { n: 1 }), ['ok']);
      assert.deepEqual(await atB, [{ n: 1 }]);
      // c's echo round trip starts after the broadcast was sent, so anything for c has arrived.
      await emitAck(c, 'echo', 'fence');
      assert.deepEqual(strays, []);
    });

    test('a server disconnect ends the socket with io server disconnect', TEST, async () => {
      const socket = open();
      await connected(socket);
      await settled(socket, config);
      const disconnected = waitFor(socket, 'disconnect', TIMEOUT);
      socket.emit('disconnect-me');
      assert.deepEqual(await disconnected, ['io server disconnect']);
    });

    // The heartbeat does not depend on how binary is framed: not repeated for the base64 variants.
    if (!config.options.forceBase64) {
      test('the client\'s heartbeat keeps the connection past several ping intervals', TEST, async () => {
        const socket = open();
        await connected(socket);
        await settled(socket, config);
        const disconnects = [];
        socket.on('disconnect', (reason) => disconnects.push(reason));
        // Four pongs answer four client pings: more than the server's deadline (interval + timeout,
        // 3 s) passes with the connection up, so each ping moved it on.
        for (let i = 0; i < 4; i++) {
          await waitFor(socket.io, 'pong', PING_INTERVAL + TIMEOUT);
        }
        assert.deepEqual(disconnects, []);
        assert.deepEqual(await emitAck(socket, 'echo', 'still here'), ['still here']);
      });

      test('a client that stops pinging is dropped after interval + timeout', TEST, async () => {
        const watcher = open();
        await connected(watcher);
        await emitAck(watcher, 'join', 'eio3-watchers');
        const socket = open();
        await connected(socket);
        await settled(socket, config);
        const id = socket.id;
        // Silence the client: no more pings, and no timer of its own that would close first.
        const engine = socket.io.engine;
        engine.removeListener('heartbeat', engine.onHeartbeat);
        engine.setPing = () => {};
        engine.onHeartbeat = () => {};
        clearTimeout(engine.pingIntervalTimer);
        clearTimeout(engine.pingTimeoutTimer);
        const disconnected = waitFor(socket, 'disconnect', PING_INTERVAL + PING_TIMEOUT + TIMEOUT);
        const started = Date.now();
        const gone = new Promise((resolve) => {
          watcher.on('gone', (goneId, reason) => { if (goneId === id) resolve(reason); });
        });
        const reason = await withTimeout(gone, PING_INTERVAL + PING_TIMEOUT + TIMEOUT, 'the server dropping the silent client');
        assert.equal(reason, 'ping timeout');
        // Not before the client's ping was due and its timeout had passed.
        assert.ok(Date.now() - started >= PING_TIMEOUT, `dropped after ${Date.now() - started} ms`);
        assert.deepEqual(await disconnected, ['transport close']);
      });
    }
  });
}

describe('Engine.IO v3, the wire', () => {
  test('a polling handshake answers in length-prefixed framing, the CONNECT of / included', TEST, async () => {
    const response = await fetch(`${server.url}/socket.io/?EIO=3&transport=polling&b64=1`);
    assert.equal(response.status, 200);
    const body = await response.text();
    const match = /^(\d+):(0\{.*?\})(.*)$/s.exec(body);
    assert.ok(match, body);
    assert.equal(Number(match[1]), match[2].length);
    const open = JSON.parse(match[2].slice(1));
    assert.deepEqual(open.upgrades, ['websocket']);
    assert.equal(open.pingInterval, PING_INTERVAL);
    assert.equal(open.pingTimeout, PING_TIMEOUT);
    // The main namespace is connected at once, and the reply has no payload (revision 4).
    let rest = match[3];
    if (rest === '') {
      rest = await (await fetch(`${server.url}/socket.io/?EIO=3&transport=polling&sid=${open.sid}`)).text();
    }
    assert.equal(rest, '2:40');
  });

  test('a v3 session is not taken over by a v4 request', TEST, async () => {
    const body = await (await fetch(`${server.url}/socket.io/?EIO=3&transport=polling`)).text();
    const sid = JSON.parse(/^\d+:0(\{.*?\})/.exec(body)[1]).sid;
    const response = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`);
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), { code: 3, message: 'Bad request' });
  });

  test('a malformed v3 payload closes the session with 400', TEST, async () => {
    const body = await (await fetch(`${server.url}/socket.io/?EIO=3&transport=polling`)).text();
    const sid = JSON.parse(/^\d+:0(\{.*?\})/.exec(body)[1]).sid;
    const url = `${server.url}/socket.io/?EIO=3&transport=polling&sid=${sid}`;
    // The length says 5 characters where 2 follow.
    const post = await fetch(url, { method: 'POST', body: '5:42' });
    assert.equal(post.status, 400);
    await waitForLog(server, new RegExp(`session ${sid}: malformed polling payload, session closed`));
    const after = await fetch(url);
    assert.equal(after.status, 400);
    assert.deepEqual(await after.json(), { code: 1, message: 'Session ID unknown' });
  });
});

// In Node the 2.x client polls without binary support (b64=1); a browser has XHR2, so its polling
// carries binary packets in v3's binary payloads (application/octet-stream) both ways.
describe('socket.io-client 2.x in Chromium, polling with binary payloads', () => {
  const clientScript = createRequire(import.meta.url).resolve('socket.io-client-v2/dist/socket.io.js');
  let browser;

  before(async () => {
    browser = await launchChromium();
  }, { timeout: 40_000 });

  after(async () => {
    await browser?.close();
  });

  test('binary events and acknowledgements travel in binary payloads', TEST, async () => {
    const page = await browser.newPage();
    try {
      // A page of the server's own origin (answered here), so the polling requests are same-origin.
      await page.route(`${server.url}/eio3-page`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>eio3</title>' }));
      const binaryResponses = [];
      const binaryPosts = [];
      page.on('request', (request) => {
        if (request.method() === 'POST' && request.headers()['content-type'] === 'application/octet-stream') binaryPosts.push(request.url());
      });
      page.on('response', (response) => {
        if (response.headers()['content-type'] === 'application/octet-stream') binaryResponses.push(response.url());
      });
      await page.goto(`${server.url}/eio3-page`);
      await page.addScriptTag({ path: clientScript });
      const result = await page.evaluate((timeout) => new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no answer in the page')), timeout);
        const socket = window.io({ transports: ['polling'], forceNew: true, reconnection: false });
        socket.on('connect', () => {
          socket.emit('binary-echo', new Uint8Array([9, 8, 7, 0, 255]).buffer, (echoed, made) => {
            clearTimeout(timer);
            resolve({
              echoed: Array.from(new Uint8Array(echoed)),
              made: Array.from(new Uint8Array(made.made)),
              inner: Array.from(new Uint8Array(made.nested[1].inner)),
              query: socket.io.engine.transport.query,
            });
            socket.close();
          });
        });
        socket.on('connect_error', (err) => reject(new Error(String(err))));
      }), TIMEOUT);
      assert.deepEqual(result.echoed, [9, 8, 7, 0, 255]);
      assert.deepEqual(result.made, [...SERVER_BYTES]);
      assert.deepEqual(result.inner, [...SERVER_BYTES]);
      assert.equal(result.query.b64, undefined);
      assert.ok(binaryPosts.length >= 1, 'the browser posted no binary payload');
      assert.ok(binaryResponses.length >= 1, 'the server answered no poll with a binary payload');
    } finally {
      await page.close();
    }
  });
});

describe('the standalone server configured for v3', () => {
  test('Switchboard:Engine:AllowEIO3 and Switchboard:Engine:Cookie bind from configuration', TEST, async () => {
    const standalone = await startServer({
      project: 'src/Switchboard.Server',
      args: ['--Switchboard:Engine:AllowEIO3=true', '--Switchboard:Engine:Cookie:Name=sb'],
    });
    try {
      const response = await fetch(`${standalone.url}/socket.io/?EIO=3&transport=polling&b64=1`);
      assert.equal(response.status, 200);
      const sid = JSON.parse(/^\d+:0(\{.*?\})/.exec(await response.text())[1]).sid;
      assert.equal(response.headers.get('set-cookie'), `sb=${sid}; path=/; samesite=lax; httponly`);
      const socket = client(standalone.url, '/', { transports: ['websocket'] });
      await connected(socket);
      assert.equal(socket.id, socket.io.engine.id);
    } finally {
      await standalone.stop();
    }
  });
});

describe('Engine.IO v3 without AllowEIO3', () => {
  let plain;

  before(async () => {
    plain = await start();
  }, { timeout: 40_000 });

  after(async () => {
    await plain?.stop();
  });

  test('the handshake is refused with code 5, Unsupported protocol version', TEST, async () => {
    const response = await fetch(`${plain.url}/socket.io/?EIO=3&transport=polling`);
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), { code: 5, message: 'Unsupported protocol version' });
  });

  test('a 2.x client gets connect_error and no connection', TEST, async () => {
    const socket = client(plain.url, '/', { transports: ['polling'] });
    const [err] = await waitFor(socket, 'connect_error', TIMEOUT);
    assert.match(String(err?.message ?? err), /xhr poll error/);
    assert.equal(socket.connected, false);
  });
});
