// The protection limits (docs/protection.md) with the direct WebSocket mode on (--Switchboard:DirectWebSockets=true,
// docs/decisions/0015-own-the-connection.md), against the standalone server, through ws (npm),
// socket.io-client and raw TCP: a stalled reader is cut at its byte budget while a reading subscriber gets
// every publication, connection and handshake floods are refused before the 101 with the HTTP path's
// statuses and bodies, and a slow-loris first request is closed at the handshake timeout.
// A 101 from the direct path carries no Date header (Kestrel's always does): each scenario checks that its
// WebSockets took the direct path, so none can pass on the ordinary one.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import WebSocket from 'ws';
import { ClientPool, connected, emitAck, waitForLog } from './lib/socketio.mjs';
import { startServer, waitFor, withTimeout } from './lib/server.mjs';

const WS_PATH = '/socket.io/?EIO=4&transport=websocket';
const API_KEY = 'direct-abuse-key';
const BUDGET = 256 * 1024;

function startDirectServer(args = []) {
  return startServer({
    project: 'src/Switchboard.Server',
    args: [
      '--Switchboard:DirectWebSockets=true',
      '--Switchboard:Demos:TickerInterval=00:00:00',
      '--Logging:LogLevel:Switchboard=Information',
      ...args,
    ],
    env: { 'Logging__LogLevel__Microsoft.AspNetCore': 'Warning' },
  });
}

/**
 * Opens a ws (npm) client on `path`; resolves with it, the 101's headers and its packet reader once open, or
 * with the refusal's status and body. The reader is attached first: the open packet comes with the 101.
 */
function openWs(server, path = WS_PATH) {
  const ws = new WebSocket(server.url.replace('http', 'ws') + path, { perMessageDeflate: false, handshakeTimeout: 5_000 });
  const next = packets(ws);
  return withTimeout(new Promise((resolve, reject) => {
    ws.once('upgrade', (response) => ws.once('open', () => resolve({ ws, next, status: 101, headers: response.headers })));
    ws.once('unexpected-response', (_, response) => {
      let body = '';
      response.on('data', (d) => { body += d; });
      response.on('end', () => { ws.on('error', () => {}); ws.terminate(); resolve({ ws, status: response.statusCode, headers: response.headers, body }); });
    });
    ws.once('error', reject);
  }), 5_000, 'a WebSocket handshake');
}

/** Reads Engine.IO / Socket.IO packets off a ws client: next() resolves with the next one that is not a ping (pings are answered). */
function packets(ws) {
  const queue = [];
  const waiters = [];
  ws.on('message', (data) => {
    const text = data.toString();
    if (text === '2') { ws.send('3'); return; }
    const waiter = waiters.shift();
    if (waiter) waiter(text); else queue.push(text);
  });
  return () => withTimeout(queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r)), 5_000, 'a packet');
}

function publish(server, agent, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.url}/api/publish`, {
      method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`publish ${res.statusCode}: ${text}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('a stalled reader on the direct path', () => {
  let server;
  let pool;
  before(async () => {
    server = await startDirectServer([`--Switchboard:Api:Keys:0=${API_KEY}`, `--Switchboard:Engine:MaxQueuedBytes=${BUDGET}`,
      '--Switchboard:Engine:SendTimeout=00:05:00']);
    pool = new ClientPool(server.url, { reconnection: false });
  });
  after(() => server?.stop());

  test('is cut at its byte budget while a reading subscriber gets every publication', { timeout: 90_000 }, async () => {
    const channel = 'chat.direct-flood';
    const healthy = pool.socket('/', { transports: ['websocket'] });
    await connected(healthy);
    const got = [];
    healthy.on('flood', (data) => got.push(data.n));
    assert.equal((await emitAck(healthy, 'subscribe', { channel }))[0].ok, true);

    // A Socket.IO client on a raw ws that subscribes, then stops reading (its TCP socket paused).
    const { ws, headers, next } = await openWs(server);
    assert.equal(headers.date, undefined, 'a Date header: Kestrel answered, not the direct path');
    const sid = JSON.parse((await next()).slice(1)).sid;
    ws.send('40');
    assert.match(await next(), /^40\{/);
    ws.send(`421["subscribe",${JSON.stringify({ channel })}]`);
    assert.match(await next(), /^431\[\{"ok":true/);
    ws._socket.pause();
    const closed = new Promise((resolve) => ws.once('close', resolve));
    ws.on('error', () => {});

    // 60 KB publications, each once the reading subscriber has the one before, until the server cuts the
    // stalled one: its kernel buffers (a few MB) and then its budget fill. At most 400 (24 MB).
    const pad = 'x'.repeat(60_000);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const cut = new RegExp(`session ${sid} is a slow consumer: \\d+ bytes queued would pass the budget of ${BUDGET}`);
    let sent = 0;
    try {
      while (sent < 400 && !cut.test(server.output())) {
        const n = sent++;
        await publish(server, agent, JSON.stringify({ channel, event: 'flood', data: { n, pad } }));
        const deadline = Date.now() + 5_000;
        while (got.length < sent && Date.now() < deadline) await new Promise((r) => setImmediate(r));
        assert.equal(got.length, sent, `the reading subscriber is missing publication ${n}`);
      }
    } finally {
      agent.destroy();
    }
    await waitForLog(server, cut);
    assert.ok(sent > 1, 'the budget was passed by the first publication: nothing was measured');
    // Once it reads again, what the server sent drains and its connection ends.
    ws._socket.resume();
    await withTimeout(closed, 15_000, 'the stalled reader\'s connection to end');
    assert.deepEqual(got, Array.from({ length: sent }, (_, i) => i));
    assert.equal(healthy.connected, true);
    pool.closeAll();
  });
});

describe('floods on the direct path', () => {
  let server;
  let pool;
  before(async () => {
    server = await startDirectServer(['--Switchboard:Limits:MaxConnectionsPerIp=3', '--Switchboard:Limits:HandshakeBurstPerIp=4',
      '--Switchboard:Limits:HandshakesPerSecondPerIp=0.01']);
    pool = new ClientPool(server.url, { reconnection: false });
  });
  afterEach(() => pool.closeAll());
  after(() => server?.stop());

  test('past the per-address limit, then past the handshake rate, handshakes are refused before the 101', { timeout: 30_000 }, async () => {
    const open = [];
    try {
      for (let i = 0; i < 3; i++) {
        const answer = await openWs(server);
        assert.equal(answer.status, 101);
        assert.equal(answer.headers.date, undefined, 'a Date header: Kestrel answered, not the direct path');
        open.push(answer);
      }
      // Three over the per-address limit: 429, Retry-After 10 and Engine.IO's JSON error.
      const refusals = await Promise.all([0, 1, 2].map(() => openWs(server)));
      for (const refused of refusals) {
        assert.equal(refused.status, 429);
        assert.equal(refused.headers['retry-after'], '10');
        assert.deepEqual(JSON.parse(refused.body), { code: 3, message: 'too_many_connections_per_ip' });
      }
      // socket.io-client sees the refusal as a connect_error, and the open connections go on.
      const client = pool.socket('/', { transports: ['websocket'] });
      const [error] = await waitFor(client, 'connect_error');
      assert.match(error.message, /websocket error/);
      assert.match(await open[0].next(), /^0\{/);
      open[0].ws.send('40');
      assert.match(await open[0].next(), /^40\{"sid":/);

      // A closed connection gives its slot back: a new handshake is admitted once the server has seen the
      // close (refusals take no token of the handshake rate). That spends the burst of 4.
      open.shift().ws.terminate();
      const deadline = Date.now() + 5_000;
      let again;
      while ((again = await openWs(server)).status !== 101) {
        assert.equal(again.status, 429);
        assert.ok(Date.now() < deadline, 'the closed connection\'s slot was not given back');
      }
      assert.equal(again.headers.date, undefined);
      open.push(again);
      // Past the burst the rate refuses first: 429, Retry-After 1.
      const limited = await openWs(server);
      assert.equal(limited.status, 429);
      assert.equal(limited.headers['retry-after'], '1');
      assert.deepEqual(JSON.parse(limited.body), { code: 3, message: 'rate_limited' });
      await waitForLog(server, /Connection refused: too_many_connections_per_ip/);
      await waitForLog(server, /Connection refused: rate_limited/);
    } finally {
      for (const { ws } of open) ws.terminate();
    }
  });
});

describe('a slow loris on the direct path', () => {
  let server;
  // The timeout comes from the configuration (Switchboard:Direct:HandshakeTimeout; 10 s by default).
  before(async () => { server = await startDirectServer(['--Switchboard:Direct:HandshakeTimeout=00:00:02']); });
  after(() => server?.stop());

  test('a first request dripped a byte at a time is closed at the configured 2 s handshake timeout', { timeout: 30_000 }, async () => {
    const head = Buffer.from(`GET ${WS_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
      + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    const socket = net.connect(server.port, '127.0.0.1');
    await waitFor(socket, 'connect');
    const started = Date.now();
    const ended = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => {});
    socket.on('data', () => {});
    // One byte every 120 ms: each far inside any idle timeout, the whole head (~150 bytes) in about 18 s.
    let sent = 0;
    const timer = setInterval(() => { if (sent < head.length && !socket.destroyed) socket.write(head.subarray(sent, ++sent)); }, 120);
    try {
      await withTimeout(ended, 20_000, 'the dripping connection to be closed');
    } finally {
      clearInterval(timer);
    }
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1_800, `closed after ${elapsed} ms, before the 2 s handshake timeout`);
    assert.ok(elapsed < 9_000, `closed after ${elapsed} ms: the configured timeout was not applied (the default is 10 s)`);
    assert.ok(sent < head.length, `the whole head (${sent} bytes) arrived before the connection was closed`);
    await waitForLog(server, /did not finish its handshake within 2 s, closed/);
  });
});
