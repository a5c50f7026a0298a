// The connection and rate limits (docs/protection.md) against the standalone server with low limits,
// through the official clients: socket.io-client (WebSocket and polling), eventsource and ws. A client
// past a limit is refused with the protocol's own error, and the connections already open go on.
// Every connection comes from 127.0.0.1, so the per-address limit covers them all.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import WebSocket from 'ws';
import { ClientPool, connectError, connected, emitAck, waitForLog } from './lib/socketio.mjs';
import { startServer, waitFor, withTimeout } from './lib/server.mjs';

const MAX_PER_IP = 3;

function startLimitedServer(limits, args = []) {
  return startServer({
    project: 'src/Switchboard.Server',
    args: [
      '--Switchboard:Demos:TickerInterval=00:00:00',
      ...Object.entries(limits).map(([key, value]) => `--Switchboard:Limits:${key}=${value}`),
      ...args,
    ],
    env: { 'Logging__LogLevel__Microsoft.AspNetCore': 'Warning' },
  });
}

/** Polls until `condition()` holds; the server gives a slot back a moment after the client closes. */
async function eventually(condition, label, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not in time: ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('connections per address', () => {
  let server;
  let pool;
  before(async () => {
    server = await startLimitedServer({ MaxConnectionsPerIp: MAX_PER_IP });
    pool = new ClientPool(server.url, { reconnection: false });
  });
  afterEach(() => pool.closeAll());
  after(() => server?.stop());

  test('past the limit every protocol is refused with its own error, and open connections go on', async () => {
    const open = [
      pool.socket('/', { transports: ['websocket'] }),
      pool.socket('/', { transports: ['polling'] }),
      pool.socket('/', { transports: ['websocket'] }),
    ];
    await Promise.all(open.map((socket) => connected(socket)));

    // socket.io-client, over each transport: the handshake is refused before any session exists.
    const refusedWs = await connectError(pool.socket('/', { transports: ['websocket'] }));
    const refusedPolling = await connectError(pool.socket('/', { transports: ['polling'] }));
    assert.match(refusedWs.message, /websocket error/);
    assert.match(refusedPolling.message, /xhr poll error/);
    assert.equal(refusedPolling.description, 429);

    // The Engine.IO answer itself: 429, Retry-After and {code, message}.
    const engine = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(engine.status, 429);
    assert.equal(engine.headers.get('retry-after'), '10');
    assert.deepEqual(await engine.json(), { code: 3, message: 'too_many_connections_per_ip' });

    // eventsource: the stream is refused with 429 and the channel protocols' JSON error.
    const source = new EventSource(`${server.url}/sse?channel=chat.limits`);
    try {
      const error = await waitFor(source, 'error');
      assert.equal(error.code, 429);
    } finally {
      source.close();
    }
    const sse = await fetch(`${server.url}/sse?channel=chat.limits`);
    assert.equal(sse.status, 429);
    assert.equal((await sse.json()).error.code, 'too_many_connections_per_ip');

    // ws: the upgrade is answered 429.
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws`);
    const [, response] = await waitFor(ws, 'unexpected-response');
    assert.equal(response.statusCode, 429);
    ws.on('error', () => {}); // terminating a refused handshake reports that it never opened
    ws.terminate();

    // The three open connections are undisturbed.
    for (const socket of open) {
      const [ack] = await emitAck(socket, 'subscribe', { channel: 'chat.limits' });
      assert.equal(ack.ok, true);
      assert.equal(socket.connected, true);
    }
    await waitForLog(server, /Connection refused: too_many_connections_per_ip/);

    // A closed connection gives its slot back (a polling session once its session is gone, a moment
    // after the client's close packet).
    open[1].disconnect();
    await eventually(async () => {
      const again = pool.socket('/', { transports: ['polling'] });
      return connected(again).then(() => true, () => false);
    }, 'a new connection is admitted once a slot is free');
  });
});

describe('Socket.IO event rate', () => {
  let server;
  let pool;
  before(async () => {
    server = await startLimitedServer({ EventsPerSecond: 2, EventBurst: 6 });
    pool = new ClientPool(server.url, { reconnection: false });
  });
  afterEach(() => pool.closeAll());
  after(() => server?.stop());

  test('acks past the burst say rate_limited; a flood is disconnected; other sockets go on', async () => {
    const socket = pool.socket('/', { transports: ['websocket'] });
    const other = pool.socket('/', { transports: ['websocket'] });
    await Promise.all([connected(socket), connected(other)]);

    const acks = [];
    for (let i = 0; i < 8; i++) {
      const [ack] = await emitAck(socket, 'subscribe', { channel: `chat.rate.${i}` });
      acks.push(ack.ok ? 'ok' : ack.error.code);
    }
    // The CONNECT took one token of the six; the refill (2/s) may add one while the acks travel.
    const accepted = acks.filter((a) => a === 'ok').length;
    assert.ok(accepted >= 5 && accepted <= 6, `accepted ${accepted}: ${acks}`);
    assert.ok(acks.slice(accepted).every((a) => a === 'rate_limited'), `${acks}`);

    const disconnected = waitFor(socket, 'disconnect');
    for (let i = 0; i < 50; i++) socket.emit('typing', { room: 'x' });
    const [reason] = await disconnected;
    assert.equal(reason, 'io server disconnect');
    await waitForLog(server, /stayed over its event rate/);

    const [ack] = await emitAck(other, 'subscribe', { channel: 'chat.rate.other' });
    assert.equal(ack.ok, true);
  });
});

describe('behind a trusted proxy', () => {
  const untrusted = ['--Switchboard:ForwardedHeaders:TrustLoopback=false'];
  let server;
  before(async () => {
    server = await startLimitedServer({ MaxConnectionsPerIp: 1 }, untrusted);
  });
  after(() => server?.stop());

  /** Opens an SSE stream as if relayed by a proxy for `client`; resolves with its status and a way to end it. */
  async function streamFor(url, client) {
    const controller = new AbortController();
    const response = await fetch(`${url}/sse?channel=chat.proxy`, {
      headers: { 'X-Forwarded-For': client }, signal: controller.signal,
    });
    return { status: response.status, end: () => controller.abort() };
  }

  async function statuses(url) {
    const streams = [
      await streamFor(url, '203.0.113.1'),
      await streamFor(url, '203.0.113.2'),
      await streamFor(url, '203.0.113.1'),
    ];
    for (const stream of streams) stream.end();
    return streams.map((s) => s.status);
  }

  test('X-Forwarded-For is ignored from a sender that is not trusted (TrustLoopback=false, no KnownProxies)', async () => {
    const first = await streamFor(server.url, '203.0.113.1');
    const second = await streamFor(server.url, '203.0.113.2');
    try {
      assert.equal(first.status, 200);
      assert.equal(second.status, 429, 'both count as 127.0.0.1');
    } finally {
      first.end();
      second.end();
    }
  });

  test('with the proxy in KnownProxies each forwarded address has its own limit', async () => {
    await server.stop();
    server = await startLimitedServer({ MaxConnectionsPerIp: 1 }, [...untrusted, '--Switchboard:ForwardedHeaders:KnownProxies:0=127.0.0.1']);
    assert.deepEqual(await statuses(server.url), [200, 200, 429]);
  });

  test('by default a proxy on loopback is trusted (docs/proxies.md)', async () => {
    await server.stop();
    server = await startLimitedServer({ MaxConnectionsPerIp: 1 });
    assert.deepEqual(await statuses(server.url), [200, 200, 429]);
  });
});

