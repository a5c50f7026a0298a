// Metrics (docs/metrics.md) on the standalone server, read the way Prometheus reads them: the official
// clients (socket.io-client over WebSocket and over polling, eventsource, ws, plain HTTP long-polls)
// connect, a publication goes to all of them, some disconnect, and each step's scrape of /metrics is
// parsed here (the text exposition format) and checked: connections by protocol and transport, messages
// out, the publication's fan-out, disconnects by code, refused handshakes, and Kestrel's own meters.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import WebSocket from 'ws';
import { ClientPool, connected, emitAck } from './lib/socketio.mjs';
import { startServer, waitFor, withTimeout } from './lib/server.mjs';

const TIMEOUT = 10_000;
const API_KEY = 'metrics-key';
const CHANNEL = 'chat.metrics';

/**
 * Parses Prometheus' text exposition format into samples {name, labels, value}. Comment lines (HELP,
 * TYPE) are kept apart as types; label values may hold escaped quotes, backslashes and newlines.
 */
export function parsePrometheus(text) {
  const samples = [];
  const types = new Map();
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (\S+)/.exec(line);
      if (type) types.set(type[1], type[2]);
      continue;
    }
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    assert.ok(name, `not a sample line: ${line}`);
    let rest = line.slice(name[0].length);
    const labels = {};
    if (rest.startsWith('{')) {
      rest = rest.slice(1);
      while (!rest.startsWith('}')) {
        const label = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(rest);
        assert.ok(label, `bad labels in: ${line}`);
        rest = rest.slice(label[0].length);
        let value = '';
        for (;;) {
          const c = rest[0];
          assert.ok(c !== undefined, `unterminated label value in: ${line}`);
          rest = rest.slice(1);
          if (c === '"') break;
          if (c === '\\') {
            const escaped = rest[0];
            rest = rest.slice(1);
            value += escaped === 'n' ? '\n' : escaped;
          } else {
            value += c;
          }
        }
        labels[label[1]] = value;
        rest = rest.replace(/^\s*,?/, '');
      }
      rest = rest.slice(1);
    }
    const fields = rest.trim().split(/\s+/);
    const value = fields[0] === '+Inf' ? Infinity : fields[0] === '-Inf' ? -Infinity : Number(fields[0]);
    assert.ok(!Number.isNaN(value) || fields[0] === 'NaN', `bad value in: ${line}`);
    samples.push({ name: name[0], labels, value });
  }
  return { samples, types };
}

/** One scrape: find(name, labels) sums the samples of `name` whose labels include `labels`. */
class Scrape {
  constructor(text) {
    const { samples, types } = parsePrometheus(text);
    this.samples = samples;
    this.types = types;
  }

  has(name) {
    return this.samples.some((s) => s.name === name);
  }

  sum(name, labels = {}) {
    let total = 0;
    for (const sample of this.samples) {
      if (sample.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => sample.labels[k] === v)) total += sample.value;
    }
    return total;
  }
}

async function scrape(server) {
  const response = await fetch(`${server.url}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^text\/plain/);
  return new Scrape(await response.text());
}

/** Scrapes until `check(scrape)` passes (a write is counted just after the client may have it); rethrows its last failure. */
async function scrapeUntil(server, check, timeoutMs = TIMEOUT) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await scrape(server);
    try {
      check(current);
      return current;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const connections = (protocol, transport) => ({ network_protocol_name: protocol, switchboard_transport: transport });

/** A plain WebSocket client of docs/protocols/websocket.md: requests by id, pushes in order. */
class PlainClient {
  static async open(url) {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`);
    const client = new PlainClient(ws);
    await waitFor(ws, 'open', TIMEOUT);
    client.welcome = await client.next();
    return client;
  }

  constructor(ws) {
    this.ws = ws;
    this.frames = [];
    this.waiters = [];
    this.nextId = 0;
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString('utf8'));
      const waiter = this.waiters.shift();
      if (waiter) waiter(frame); else this.frames.push(frame);
    });
  }

  next() {
    if (this.frames.length > 0) return Promise.resolve(this.frames.shift());
    return withTimeout(new Promise((resolve) => this.waiters.push(resolve)), TIMEOUT, 'a plain WebSocket frame');
  }

  async ok(op, fields) {
    const id = ++this.nextId;
    this.ws.send(JSON.stringify({ id, op, ...fields }));
    const reply = await this.next();
    assert.equal(reply.id, id, `expected the reply to ${op}, got ${JSON.stringify(reply)}`);
    assert.equal(reply.ok, true, `${op} failed: ${JSON.stringify(reply)}`);
    return reply;
  }
}

describe('metrics at /metrics of the standalone server', () => {
  let server;
  let pool;
  before(async () => {
    server = await startServer({
      project: 'src/Switchboard.Server',
      args: [
        // Nothing but this suite's clients publishes or pings while it counts.
        '--Switchboard:Demos:TickerInterval=00:00:00',
        '--Switchboard:Engine:PingInterval=00:02:00',
        `--Switchboard:Api:Keys:0=${API_KEY}`,
      ],
      env: { 'Logging__LogLevel__Microsoft.AspNetCore': 'Warning' },
    });
    pool = new ClientPool(server.url, { reconnection: false });
  }, { timeout: 40_000 });

  after(async () => {
    pool?.closeAll();
    await server?.stop();
  });

  test('connections, messages, fan-out, disconnects and Kestrel, as Prometheus sees them', { timeout: 60_000 }, async () => {
    const initial = await scrape(server);
    assert.ok(initial.has('target_info'), 'the OpenTelemetry resource is exported');

    // Refused handshakes are counted with their error, not as connections.
    const badVersion = await fetch(`${server.url}/socket.io/?EIO=5&transport=polling`);
    assert.equal(badVersion.status, 400);
    await badVersion.arrayBuffer();
    const noChannel = await fetch(`${server.url}/sse`);
    assert.equal(noChannel.status, 400);
    await noChannel.arrayBuffer();

    // One client of each protocol, every one subscribed to CHANNEL.
    const overWebSocket = pool.socket('/', { transports: ['websocket'] });
    const overPolling = pool.socket('/', { transports: ['polling'] });
    await Promise.all([connected(overWebSocket), connected(overPolling)]);
    for (const socket of [overWebSocket, overPolling]) {
      const [ack] = await emitAck(socket, 'subscribe', { channel: CHANNEL });
      assert.equal(ack.ok, true, JSON.stringify(ack));
    }
    const source = new EventSource(`${server.url}/sse?channel=${CHANNEL}`);
    const sseSubscribed = JSON.parse((await waitFor(source, 'subscribed', TIMEOUT)).data);
    const plain = await PlainClient.open(server.url);
    await plain.ok('subscribe', { channel: CHANNEL });
    // A first poll gives the cursor; the held poll resumes from it, so it cannot miss the publication.
    const first = await (await fetch(`${server.url}/poll?channel=${CHANNEL}&timeout=0`)).json();
    const held = fetch(`${server.url}/poll?channel=${CHANNEL}&timeout=30&cursor=${encodeURIComponent(first.cursor)}`).then((r) => r.json());

    const open = await scrapeUntil(server, (s) => {
      assert.equal(s.sum('switchboard_connections', connections('socket.io', 'websocket')), 1);
      assert.equal(s.sum('switchboard_connections', connections('socket.io', 'polling')), 1);
      assert.equal(s.sum('switchboard_connections', connections('sse', 'sse')), 1);
      assert.equal(s.sum('switchboard_connections', connections('websocket', 'websocket')), 1);
      assert.equal(s.sum('switchboard_connections', connections('longpoll', 'longpoll')), 1, 'the held poll');
    });
    assert.equal(open.types.get('switchboard_connections'), 'gauge');
    assert.equal(open.types.get('switchboard_messages_sent_total'), 'counter');
    assert.equal(open.sum('switchboard_connections', { network_protocol_name: 'sse', switchboard_namespace: '/' }), 1);
    assert.equal(open.sum('switchboard_socketio_sockets', { switchboard_namespace: '/' }), 2);
    assert.equal(open.sum('switchboard_handshakes_total', { network_protocol_name: 'socket.io', error_type: 'unsupported_protocol_version' }), 1);
    assert.equal(open.sum('switchboard_handshakes_total', { network_protocol_name: 'sse', error_type: 'invalid_channel' }), 1);
    // Successful handshakes carry no error.type.
    assert.equal(open.sum('switchboard_handshakes_total', { ...connections('socket.io', 'websocket'), error_type: undefined }), 1);
    assert.equal(open.sum('switchboard_handshakes_total', { ...connections('socket.io', 'polling'), error_type: undefined }), 1);
    assert.equal(open.sum('switchboard_handshakes_total', { ...connections('longpoll', 'longpoll'), error_type: undefined }), 2);
    // Kestrel's meter: the two WebSocket-only clients are answered by the direct mode (the server's default),
    // so they are Kestrel connections but not Kestrel upgrades (docs/metrics.md).
    assert.equal(open.sum('kestrel_upgraded_connections'), 0);
    assert.ok(open.sum('kestrel_active_connections') >= 4, 'each client holds a TCP connection');

    // One publication through the HTTP API reaches all five clients: one broadcast, five deliveries.
    const received = Promise.all([
      waitFor(overWebSocket, 'note', TIMEOUT),
      waitFor(overPolling, 'note', TIMEOUT),
      waitFor(source, 'note', TIMEOUT),
      plain.next(),
      withTimeout(held, TIMEOUT, 'the held poll'),
    ]);
    const published = await fetch(`${server.url}/api/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
      body: JSON.stringify({ channels: [CHANNEL], event: 'note', data: { n: 1 } }),
    });
    assert.equal(published.status, 200, await published.text());
    const [io1, io2, sse, push, poll] = await received;
    assert.deepEqual([io1, io2], [[{ n: 1 }], [{ n: 1 }]]);
    assert.equal(sse.type, 'note');
    assert.equal(push.type, 'pub');
    assert.equal(poll.publications.length, 1);

    const delivered = await scrapeUntil(server, (s) => {
      const sent = (protocol, transport) => s.sum('switchboard_messages_sent_total', connections(protocol, transport))
        - open.sum('switchboard_messages_sent_total', connections(protocol, transport));
      assert.equal(sent('socket.io', 'websocket'), 1, 'one Engine.IO message');
      assert.equal(sent('socket.io', 'polling'), 1, 'one packet in the poll answer');
      assert.equal(sent('websocket', 'websocket'), 1, 'one pub push');
      assert.equal(sent('longpoll', 'longpoll'), 1, 'one publication in the answer');
      // The SSE heartbeat (15 s) may add a ping comment between the two scrapes.
      assert.ok([1, 2].includes(sent('sse', 'sse')), `SSE events: ${sent('sse', 'sse')}`);
      assert.ok(s.sum('switchboard_io_sent_bytes_total', connections('websocket', 'websocket'))
        > open.sum('switchboard_io_sent_bytes_total', connections('websocket', 'websocket')));
    });
    const broadcasts = (s) => s.sum('switchboard_broadcast_deliveries_count', { switchboard_namespace: '/' });
    const deliveries = (s) => s.sum('switchboard_broadcast_deliveries_sum', { switchboard_namespace: '/' });
    assert.equal(delivered.types.get('switchboard_broadcast_deliveries'), 'histogram');
    assert.equal(broadcasts(delivered) - broadcasts(open), 1, 'one publication');
    assert.equal(deliveries(delivered) - deliveries(open), 5, 'to five recipients');
    assert.equal(delivered.sum('switchboard_publish_duration_seconds_count') - open.sum('switchboard_publish_duration_seconds_count'), 1);
    assert.ok(delivered.sum('switchboard_messages_received_total', connections('websocket', 'websocket')) >= 1, 'the subscribe request');
    assert.ok(delivered.sum('switchboard_history_size_bytes') > 0, 'the publication is kept in history');

    // Disconnects, by code: the server disconnects the SSE stream, the clients close the others.
    const closing = waitFor(source, 'close', TIMEOUT);
    const disconnected = await fetch(`${server.url}/api/disconnect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
      body: JSON.stringify({ connectionId: sseSubscribed.connectionId }),
    });
    assert.equal(disconnected.status, 200, await disconnected.text());
    assert.equal(JSON.parse((await closing).data).code, 'disconnected');
    source.close();
    plain.ws.close();
    overWebSocket.disconnect();

    const closed = await scrapeUntil(server, (s) => {
      assert.equal(s.sum('switchboard_connections', connections('sse', 'sse')), 0);
      assert.equal(s.sum('switchboard_connections', connections('websocket', 'websocket')), 0);
      assert.equal(s.sum('switchboard_connections', connections('socket.io', 'websocket')), 0);
      assert.equal(s.sum('switchboard_connections', connections('socket.io', 'polling')), 1, 'the polling client stays');
      assert.equal(s.sum('kestrel_upgraded_connections'), 0);
    });
    const disconnects = (protocol, code) => closed.sum('switchboard_disconnects_total', { network_protocol_name: protocol, switchboard_disconnect_code: code });
    assert.equal(disconnects('sse', 'disconnected'), 1);
    assert.equal(disconnects('websocket', 'client_closed'), 1);
    assert.equal(disconnects('socket.io', 'client_closed'), 1);
    assert.equal(disconnects('longpoll', 'client_closed'), 2, 'each answered poll ends its connection');
    assert.equal(closed.sum('switchboard_connection_duration_seconds_count', { network_protocol_name: 'sse', switchboard_disconnect_code: 'disconnected' }), 1);
    assert.ok(closed.sum('switchboard_connection_duration_seconds_sum', { network_protocol_name: 'sse' }) > 0);
    assert.equal(closed.sum('switchboard_socketio_sockets', { switchboard_namespace: '/' }), 1);
    assert.ok(closed.sum('kestrel_connection_duration_seconds_count') >= 2, 'Kestrel counted the closed connections too');
  });

  test('the scrape endpoint can be turned off', { timeout: 40_000 }, async () => {
    const quiet = await startServer({
      project: 'src/Switchboard.Server',
      args: ['--Switchboard:Demos:TickerInterval=00:00:00', '--Switchboard:Telemetry:Prometheus:Enabled=false'],
      env: { 'Logging__LogLevel__Microsoft.AspNetCore': 'Warning' },
    });
    try {
      const response = await fetch(`${quiet.url}/metrics`);
      assert.equal(response.status, 404);
      await response.arrayBuffer();
      // The server itself still works.
      const handshake = await fetch(`${quiet.url}/socket.io/?EIO=4&transport=polling`);
      assert.equal(handshake.status, 200);
      assert.match(await handshake.text(), /^0\{"sid"/);
    } finally {
      await quiet.stop();
    }
  });
});
