// The direct WebSocket mode (UseSwitchboardWebSockets, docs/decisions/0015-own-the-connection.md): the
// interop app started with --Interop:Direct=true answers Socket.IO's WebSocket-only handshakes on the
// connection itself and frames RFC 6455 by hand. The matrix runs independent clients against that framing
// — ws (npm), Chromium, Python's websockets (Debian's python3-websockets) and the official socket.io-client —
// plus malformed frames from a raw TCP socket and the requests that must still reach Kestrel.
// A 101 from the direct path carries no Date header (Kestrel's always does): every scenario checks which
// path answered, so none can pass on the ordinary one.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import WebSocket from 'ws';
import { launchChromium } from './lib/browser.mjs';
import { startServer, withTimeout } from './lib/server.mjs';
import { ClientPool, INTEROP_DLL, INTEROP_PROJECT, PROFILE, connected, emitAck, waitFor } from './lib/socketio.mjs';

const TEST = { timeout: 20_000 };
const WS_PATH = '/socket.io/?EIO=4&transport=websocket';
let server;
let wsUrl;

before(async () => {
  server = await startServer({
    project: INTEROP_PROJECT,
    dll: INTEROP_DLL,
    args: ['--Interop:Direct=true'],
    env: { 'Logging__LogLevel__Microsoft.AspNetCore': 'Warning' },
  });
  wsUrl = server.url.replace('http', 'ws') + WS_PATH;
}, { timeout: 40_000 });

after(() => server?.stop());

/** Opens a ws (npm) client; resolves with it, the 101's headers, and a queue of its messages. */
function openWs(url = wsUrl, protocols = []) {
  const ws = new WebSocket(url, protocols, { handshakeTimeout: 5_000, perMessageDeflate: false });
  const messages = [];
  const waiters = [];
  ws.on('message', (data, isBinary) => {
    const message = isBinary ? Buffer.from(data) : data.toString('utf8');
    if (message === '2') { ws.send('3'); return; } // Engine.IO ping
    const waiter = waiters.shift();
    if (waiter) waiter(message); else messages.push(message);
  });
  const next = () => withTimeout(messages.length > 0 ? Promise.resolve(messages.shift())
    : new Promise((resolve) => waiters.push(resolve)), 5_000, 'a WebSocket message');
  return new Promise((resolve, reject) => {
    ws.once('upgrade', (response) => ws.once('open', () => resolve({ ws, headers: response.headers, next })));
    ws.once('error', reject);
  });
}

describe('ws (npm) on the direct path', () => {
  test('handshake, CONNECT, echo with ack at every length form, binary', TEST, async () => {
    const { ws, headers, next } = await openWs();
    try {
      assert.equal(headers.date, undefined, 'a Date header: Kestrel answered, not the direct path');
      assert.equal(headers['sec-websocket-extensions'], undefined, 'no permessage-deflate on this path');
      const open = JSON.parse((await next()).slice(1));
      assert.deepEqual(open.upgrades, []);
      ws.send('40');
      assert.match(await next(), /^40\{"sid":"[^"]+"\}$/);
      let id = 1;
      for (const length of [1, 120, 126, 65_535 - 20, 70_000]) {
        const payload = 'é'.repeat(Math.floor(length / 2));
        ws.send(`42${id}["echo",${JSON.stringify(payload)}]`);
        assert.equal(await next(), `43${id}[${JSON.stringify(payload)}]`);
        id++;
      }
      // A binary event: the packet, then its attachment as a binary frame of its own.
      ws.send(`451-${id}["binary-echo",{"_placeholder":true,"num":0}]`);
      ws.send(Buffer.from([1, 2, 3]));
      // The ack is a BINARY_ACK with three attachments: the bytes sent, then the server's own, twice.
      const header = await next();
      assert.match(header, new RegExp(`^463-${id}\\[`));
      assert.deepEqual([...await next()], [1, 2, 3]);
      assert.deepEqual([...await next()], [...PROFILE.serverBytes]);
      assert.deepEqual([...await next()], [...PROFILE.serverBytes]);
    } finally {
      ws.terminate();
    }
  });

  test('a ping is answered with a pong carrying its payload; a close is echoed', TEST, async () => {
    const { ws, next } = await openWs();
    await next();
    const pong = waitFor(ws, 'pong');
    ws.ping(Buffer.from('are you there'));
    const [payload] = await pong;
    assert.equal(payload.toString(), 'are you there');
    const closed = waitFor(ws, 'close');
    ws.close(4000, 'bye');
    const [code] = await closed;
    assert.equal(code, 4000);
  });

  test('a fragmented message is reassembled', TEST, async () => {
    const { ws, next } = await openWs();
    try {
      await next();
      ws.send('40');
      await next();
      ws.send('42["echo",', { fin: false });
      ws.send('"in three', { fin: false });
      ws.send(' parts"]', { fin: true });
      // echo without an ack id: no answer; with one it answers, and the fragments above were one message.
      ws.send('427["echo","after"]');
      assert.equal(await next(), '437["after"]');
    } finally {
      ws.terminate();
    }
  });
});

/** A raw TCP client: sends the handshake, then `frames`; resolves with the close frame's code, and whether the connection ended. */
function rawExchange(frames, { target = WS_PATH, afterOpen = true } = {}) {
  return withTimeout(new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    let headDone = false;
    let opened = false;
    let closeCode = null;
    socket.on('error', () => { /* a reset after the close frame is fine */ });
    socket.on('close', () => resolve({ closeCode, ended: true }));
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!headDone) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString();
        if (!head.startsWith('HTTP/1.1 101') || /\r\ndate:/i.test(head)) {
          reject(new Error(`not a direct 101: ${head}`));
          socket.destroy();
          return;
        }
        headDone = true;
        buffer = buffer.subarray(end + 4);
        if (!afterOpen) socket.write(frames);
      }
      while (buffer.length >= 2) {
        const length = buffer[1] & 0x7f;
        const at = length === 126 ? 4 : 2;
        const size = length === 126 ? buffer.readUInt16BE(2) : length;
        if (buffer.length < at + size) return;
        const opcode = buffer[0] & 0x0f;
        const payload = buffer.subarray(at, at + size);
        buffer = buffer.subarray(at + size);
        if (opcode === 1 && !opened && afterOpen) {
          opened = true;
          socket.write(frames);
        } else if (opcode === 8) {
          closeCode = payload.readUInt16BE(0);
        }
      }
    });
    socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
      + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
  }), 8_000, 'a raw WebSocket exchange');
}

/** A client frame: masked unless told otherwise. */
function frame(opcode, payload, { fin = true, mask = true, rsv = 0 } = {}) {
  const body = Buffer.from(payload);
  const length = body.length;
  const header = [((fin ? 0x80 : 0) | (rsv << 4) | opcode)];
  if (length < 126) header.push((mask ? 0x80 : 0) | length);
  else if (length < 65_536) header.push((mask ? 0x80 : 0) | 126, length >> 8, length & 0xff);
  else header.push((mask ? 0x80 : 0) | 127, 0, 0, 0, 0, (length >>> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff);
  if (!mask) return Buffer.concat([Buffer.from(header), body]);
  const key = Buffer.from([0xa1, 0xb2, 0xc3, 0xd4]);
  const masked = Buffer.from(body.map((b, i) => b ^ key[i % 4]));
  return Buffer.concat([Buffer.from(header), key, masked]);
}

describe('malformed frames from a raw TCP socket', () => {
  const cases = [
    ['an unmasked client frame', frame(1, '40', { mask: false }), 1002],
    ['reserved bits', frame(1, '40', { rsv: 2 }), 1002],
    ['a reserved opcode', frame(0xb, ''), 1002],
    ['a fragmented control frame', frame(9, 'x', { fin: false }), 1002],
    ['a control frame over 125 bytes', frame(9, Buffer.alloc(126)), 1002],
    ['invalid UTF-8 in a text frame', frame(1, Buffer.from([0x34, 0xed, 0xa0, 0x80])), 1007],
    ['a message over MaxPayload', frame(2, Buffer.alloc(PROFILE.maxPayload + 1)), 1009],
  ];
  for (const [name, bytes, code] of cases) {
    test(`${name} closes with ${code}`, TEST, async () => {
      const result = await rawExchange(bytes);
      assert.equal(result.closeCode, code);
      assert.ok(result.ended);
    });
  }

  test('a slow-loris handshake is closed after the timeout', TEST, async () => {
    const started = Date.now();
    const ended = await withTimeout(new Promise((resolve) => {
      const socket = net.connect(server.port, '127.0.0.1', () => socket.write(`GET ${WS_PATH} HTTP/1.1\r\nHost: 127.0`));
      socket.on('error', () => {});
      socket.on('close', () => resolve(Date.now() - started));
    }), 8_000, 'the server to close a slow handshake');
    assert.ok(ended >= 900, `closed after ${ended} ms, before the 1 s timeout`);
  });
});

describe('the plain WebSocket protocol on the direct path (ws, npm)', () => {
  test('subprotocol, welcome, subscribe, publish, pub', TEST, async () => {
    const { ws, headers, next } = await openWs(`${server.url.replace('http', 'ws')}/ws`, ['switchboard.v1']);
    try {
      assert.equal(headers.date, undefined, 'a Date header: Kestrel answered, not the direct path');
      assert.equal(ws.protocol, 'switchboard.v1');
      assert.equal(JSON.parse(await next()).type, 'welcome');
      ws.send(JSON.stringify({ id: 1, op: 'subscribe', channel: 'direct-prices' }));
      assert.equal(JSON.parse(await next()).ok, true);
      ws.send(JSON.stringify({ id: 2, op: 'publish', channel: 'direct-prices', event: 'tick', data: { px: 7 } }));
      const replies = [JSON.parse(await next()), JSON.parse(await next())];
      const pub = replies.find((m) => m.type === 'pub');
      assert.deepEqual([pub.channel, pub.event, pub.data], ['direct-prices', 'tick', { px: 7 }]);
      assert.ok(replies.some((m) => m.id === 2 && m.ok === true));
    } finally {
      ws.terminate();
    }
  });
});

describe('the same port still serves HTTP', () => {
  test('a polling handshake and /health go through Kestrel', TEST, async () => {
    const health = await fetch(`${server.url}/health`);
    assert.equal(await health.text(), 'ok');
    assert.ok(health.headers.get('date'));
    const polling = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(polling.status, 200);
    assert.match(await polling.text(), /^0\{"sid"/);
  });
});

describe('Python websockets (Debian) on the direct path', () => {
  test('handshake, CONNECT, echo with ack, a 70 kB message, ping, close', TEST, async () => {
    const script = `
import asyncio, json, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1], compression=None, max_size=None) as ws:
        out = {"date": ws.response_headers.get("Date")}
        out["open"] = json.loads((await ws.recv())[1:])
        await ws.send("40")
        out["connect"] = await ws.recv()
        big = "x" * 70000
        await ws.send('421["echo","' + big + '"]')
        reply = await ws.recv()
        while reply == "2":
            await ws.send("3"); reply = await ws.recv()
        out["echo"] = reply == '431["' + big + '"]'
        pong = await ws.ping(b"hello")
        await asyncio.wait_for(pong, 5)
        out["pong"] = True
        await ws.close(code=4001)
        out["close"] = ws.close_code
        print(json.dumps(out))
asyncio.run(main())
`;
    const child = spawn('/usr/bin/python3', ['-c', script, wsUrl], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const [code] = await waitFor(child, 'exit', 15_000);
    assert.equal(code, 0, stderr);
    const out = JSON.parse(stdout);
    assert.equal(out.date, null, 'a Date header: Kestrel answered, not the direct path');
    assert.deepEqual(out.open.upgrades, []);
    assert.match(out.connect, /^40\{"sid"/);
    assert.equal(out.echo, true);
    assert.equal(out.pong, true);
    assert.equal(out.close, 4001);
  });
});

describe('Chromium on the direct path', () => {
  let browser;
  before(async () => { browser = await launchChromium(); }, { timeout: 40_000 });
  after(() => browser?.close());

  test('a page opens a WebSocket, connects, echoes text and binary, closes', TEST, async () => {
    const page = await browser.newPage();
    try {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.enable');
      const handshake = new Promise((resolve) => cdp.on('Network.webSocketHandshakeResponseReceived', (e) => resolve(e.response)));
      await page.goto(`${server.url}/health`);
      const result = await page.evaluate(async (url) => {
        const ws = new WebSocket(url);
        ws.binaryType = 'arraybuffer';
        const queue = [];
        const waiters = [];
        ws.onmessage = (e) => {
          if (e.data === '2') { ws.send('3'); return; }
          const w = waiters.shift(); if (w) w(e.data); else queue.push(e.data);
        };
        const next = () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r)));
        const out = {};
        out.open = await next();
        ws.send('40');
        out.connect = await next();
        const big = 'ü'.repeat(40000);
        ws.send(`421["echo","${big}"]`);
        out.echo = (await next()) === `431["${big}"]`;
        ws.send('451-2["binary-echo",{"_placeholder":true,"num":0}]');
        ws.send(new Uint8Array([9, 8, 7]));
        out.binaryHeader = await next();
        out.binary = Array.from(new Uint8Array(await next()));
        await next();
        await next();
        const closed = new Promise((r) => { ws.onclose = (e) => r(e.code); });
        ws.close(4002);
        out.close = await closed;
        return out;
      }, wsUrl);
      const response = await withTimeout(handshake, 5_000, 'the handshake response');
      assert.equal(response.status, 101);
      assert.ok(!Object.keys(response.headers).some((h) => h.toLowerCase() === 'date'), 'a Date header: Kestrel answered');
      assert.match(result.open, /^0\{"sid"/);
      assert.match(result.connect, /^40\{"sid"/);
      assert.equal(result.echo, true);
      assert.match(result.binaryHeader, /^463-2\[/);
      assert.deepEqual(result.binary, [9, 8, 7]);
      assert.equal(result.close, 4002);
    } finally {
      await page.close();
    }
  });
});

describe('socket.io-client over the direct path', () => {
  let clients;
  before(() => {
    clients = new ClientPool(server.url, { transports: ['websocket'], reconnection: false });
  });
  afterEach(() => clients.closeAll());

  test('connects, emits with ack, binary both ways', TEST, async () => {
    const socket = await connected(clients.socket());
    assert.equal(socket.io.engine.transport.name, 'websocket');
    assert.deepEqual(await emitAck(socket, 'echo', 'hi', { n: 1 }), ['hi', { n: 1 }]);
    const [bytes] = await emitAck(socket, 'binary-echo', Buffer.from([5, 6, 7]));
    assert.deepEqual([...bytes], [5, 6, 7]);
  });

  test('a broadcast reaches 100 sockets', { timeout: 40_000 }, async () => {
    const sockets = await Promise.all(Array.from({ length: 100 }, () => connected(clients.socket(), 15_000)));
    await Promise.all(sockets.map((s) => emitAck(s, 'join', 'direct-room')));
    const received = Promise.all(sockets.map((s) => waitFor(s, 'room-message', 10_000)));
    const sender = await connected(clients.socket());
    await emitAck(sender, 'to-room-all', 'direct-room', { seq: 42 });
    const messages = await received;
    assert.equal(messages.length, 100);
    for (const [payload] of messages) assert.deepEqual(payload, { seq: 42 });
  });

  test('disconnect reasons: server side and client side', TEST, async () => {
    const socket = await connected(clients.socket());
    const gone = waitFor(socket, 'disconnect');
    socket.emit('disconnect-me');
    assert.equal((await gone)[0], 'io server disconnect');
    const other = await connected(clients.socket());
    const left = waitFor(other, 'disconnect');
    other.disconnect();
    assert.equal((await left)[0], 'io client disconnect');
  });

  test('the default path (polling, then upgrade) still works beside it', TEST, async () => {
    const pool = new ClientPool(server.url, { reconnection: false });
    try {
      const socket = await connected(pool.socket());
      await withTimeout(new Promise((resolve) => {
        if (socket.io.engine.transport.name === 'websocket') resolve(); else socket.io.engine.once('upgrade', resolve);
      }), 5_000, 'the upgrade');
      assert.deepEqual(await emitAck(socket, 'echo', 'upgraded'), ['upgraded']);
    } finally {
      pool.closeAll();
    }
  });
});

describe('the standalone server (src/Switchboard.Server) and the direct mode', () => {
  /** The 101's headers for a WebSocket-only Socket.IO handshake (and `extra` request headers) to `url`. */
  async function upgradeHeaders(url, headers = {}) {
    const ws = new WebSocket(`${url.replace('http', 'ws')}${WS_PATH}`, [], { handshakeTimeout: 5_000, perMessageDeflate: false, headers });
    try {
      return await withTimeout(new Promise((resolve, reject) => {
        ws.once('upgrade', (response) => resolve(response.headers));
        ws.once('error', reject);
      }), 5_000, 'the 101');
    } finally {
      ws.terminate();
    }
  }

  test('takes WebSocket-only handshakes by default; a proxied one and every one with DirectWebSockets=false take Kestrel\'s path', TEST, async () => {
    const standalone = await startServer({ project: 'src/Switchboard.Server', args: ['--Switchboard:Demos:TickerInterval=00:00:00'] });
    try {
      assert.equal((await upgradeHeaders(standalone.url)).date, undefined, 'a Date header: Kestrel answered, not the direct path');
      // Through a proxy, the forwarded-headers middleware must see it: Kestrel's path (which sends a Date).
      assert.notEqual((await upgradeHeaders(standalone.url, { 'X-Forwarded-For': '203.0.113.7' })).date, undefined);
    } finally {
      await standalone.stop();
    }
    const off = await startServer({ project: 'src/Switchboard.Server', args: ['--Switchboard:Demos:TickerInterval=00:00:00', '--Switchboard:DirectWebSockets=false'] });
    try {
      assert.notEqual((await upgradeHeaders(off.url)).date, undefined, 'no Date header: the direct path answered although it is off');
    } finally {
      await off.stop();
    }
  });
});
