// The paced drain on shutdown (docs/drain.md), with real processes. First, one standalone server told
// to stop (SIGTERM) while clients are connected: new connections on every protocol get the clear
// refusal, open ones are closed with the shutdown code. Then a rolling restart of a three-node cluster
// (redis-server, nginx as round-robin balancer from deploy/nginx-cluster.conf) while a publisher
// publishes through the HTTP API at ~20/s: official clients of every protocol connected through the
// balancer (socket.io-client with connection state recovery, EventSource, plain WebSocket, long-poll)
// end with every acknowledged publication exactly once; each node's clients are disconnected spread
// over the drain window, and socket.io-client reconnects by itself with `recovered`. Needs redis-server
// and nginx (test.sh installs them).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { API_KEY, locate, startCluster, startNode } from './lib/cluster.mjs';
import { startServer, waitFor, withTimeout } from './lib/server.mjs';
import { errorLogEntries, waitForLog } from './lib/socketio.mjs';

const TIMEOUT = 15_000;
const WINDOW_MS = 3_000;
const WINDOW = `--Switchboard:Drain:Window=00:00:0${WINDOW_MS / 1000}`;
const CHANNEL = 'drain.feed';
const EVENT = 'tick';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once the process has exited, with its exit code. */
function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('a server told to stop drains: new connections are refused clearly, open ones closed with shutdown', { timeout: 60_000 }, () => {
  let server;
  const sockets = [];

  before(async () => {
    server = await startServer({ project: 'src/Switchboard.Server', args: ['--Switchboard:Drain:Window=00:00:03'] });
  });

  after(async () => {
    for (const ws of sockets) ws.terminate();
    await server?.stop();
  });

  test('during the drain: Engine.IO handshake, plain WebSocket and long-poll answer 503 shutting_down with Retry-After, SSE ends at once with retry and close shutdown', async () => {
    const wsUrl = `${server.url.replace(/^http/, 'ws')}/ws`;
    // Three open connections keep the drain going for about two seconds (closed at 0, 1 and 2 s).
    const closes = [];
    for (let i = 0; i < 3; i++) {
      const ws = new WebSocket(wsUrl);
      sockets.push(ws);
      const frames = [];
      ws.on('message', (raw) => frames.push(JSON.parse(raw.toString())));
      closes.push(waitFor(ws, 'close', TIMEOUT).then(([code, reason]) => ({ code, reason: reason.toString(), frames })));
      await waitFor(ws, 'open', TIMEOUT);
    }
    server.process.kill('SIGTERM');
    await waitForLog(server, /Draining 3 connections over 00:00:03/, TIMEOUT);

    const handshake = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { signal: AbortSignal.timeout(TIMEOUT) });
    assert.equal(handshake.status, 503, 'Engine.IO handshake');
    assert.equal(handshake.headers.get('retry-after'), '1');
    assert.deepEqual(await handshake.json(), { code: 3, message: 'shutting_down' });

    const poll = await fetch(`${server.url}/poll?channel=${CHANNEL}`, { signal: AbortSignal.timeout(TIMEOUT) });
    assert.equal(poll.status, 503, 'long-poll');
    assert.equal(poll.headers.get('retry-after'), '1');
    assert.equal((await poll.json()).error.code, 'shutting_down');

    const refusedWs = new WebSocket(wsUrl);
    sockets.push(refusedWs);
    const [, response] = await waitFor(refusedWs, 'unexpected-response', TIMEOUT);
    assert.equal(response.statusCode, 503, 'plain WebSocket handshake');
    assert.equal(response.headers['retry-after'], '1');
    const body = await new Promise((resolve) => {
      let text = '';
      response.on('data', (chunk) => { text += chunk; });
      response.on('end', () => resolve(JSON.parse(text)));
    });
    assert.equal(body.error.code, 'shutting_down');
    refusedWs.on('error', () => { /* the refusal above */ });

    // Not a 503 for EventSource: it would give up for good. The stream ends at once and it reconnects.
    const sse = await fetch(`${server.url}/sse?channel=${CHANNEL}`, { signal: AbortSignal.timeout(TIMEOUT) });
    assert.equal(sse.status, 200, 'SSE');
    assert.equal(sse.headers.get('content-type'), 'text/event-stream');
    assert.equal(await sse.text(),
      'retry: 3000\n\nevent: close\ndata: {"code":"shutdown","reason":"server shutting down","reconnect":true}\n\n');

    // Every open connection got the close frame and the close status of `shutdown`, spread over the window.
    const ended = await Promise.all(closes);
    for (const { code, reason, frames } of ended) {
      assert.equal(code, 1001);
      assert.equal(reason, 'shutdown');
      assert.equal(frames.at(-1).type, 'close');
      assert.equal(frames.at(-1).code, 'shutdown');
    }
    assert.equal(await withTimeout(exited(server.process), TIMEOUT, 'exit after the drain'), 0, 'a clean exit');
    assert.match(server.output(), /Drained 3 connections/);
    assert.deepEqual(errorLogEntries(server.output()), [], `errors logged:\n${server.output()}`);
  });
});

describe('a rolling restart of three nodes behind a balancer, every protocol connected, a publisher at ~20/s', { timeout: 120_000 }, () => {
  let cluster;
  const closers = [];

  before(async () => {
    cluster = await startCluster({ nodes: 3, args: [WINDOW] });
  });

  after(async () => {
    for (const close of closers.splice(0)) {
      try { close(); } catch { /* already closed */ }
    }
    await cluster?.stop();
  });

  /** What one client received and when it was disconnected; `wait(predicate)` resolves once it holds. */
  class Client {
    constructor(label) {
      this.label = label;
      this.received = [];
      this.log = [];
      this.generation = 0;
      this.disconnects = [];
      this.waiters = new Set();
    }

    push(n, detail) {
      this.received.push(n);
      this.log.push([n, this.generation, Date.now(), detail]);
      for (const waiter of this.waiters) waiter();
    }

    wait(predicate, timeoutMs, what) {
      if (predicate()) return Promise.resolve();
      let waiter;
      const met = new Promise((resolve) => {
        waiter = () => { if (predicate()) resolve(); };
        this.waiters.add(waiter);
      });
      return withTimeout(met, timeoutMs, `${this.label}: ${what} (received ${JSON.stringify(this.received)})`)
        .finally(() => this.waiters.delete(waiter));
    }
  }

  /** socket.io-client with its own reconnection and connection state recovery (on in every node). */
  async function socketClient(i, transports) {
    const client = new Client(`socket.io client ${i} (${transports.join('+')})`);
    const socket = io(cluster.url, {
      transports, forceNew: true, reconnectionDelay: 200, reconnectionDelayMax: 1_000,
    });
    closers.push(() => socket.disconnect());
    client.socket = socket;
    client.recoveries = [];
    socket.on(EVENT, (data) => client.push(data.n));
    socket.on('disconnect', (reason) => client.disconnects.push({ at: Date.now(), reason }));
    await waitFor(socket, 'connect', TIMEOUT);
    socket.on('connect', () => client.recoveries.push(socket.recovered));
    const ack = await socket.timeout(TIMEOUT).emitWithAck('subscribe', { channel: CHANNEL });
    assert.equal(ack.ok, true, `subscribe acknowledged: ${JSON.stringify(ack)}`);
    client.where = async () => (await locate(cluster, socket.id)).map((n) => n.id);
    return client;
  }

  /** EventSource on the feed and a channel of its own (to find its node); it reconnects with Last-Event-ID by itself. */
  async function sseClient(i) {
    const client = new Client(`EventSource ${i}`);
    const own = `drain.where.sse.${i}`;
    const es = new EventSource(`${cluster.url}/sse?channel=${CHANNEL}&channel=${own}`);
    closers.push(() => es.close());
    client.resumes = [];
    es.addEventListener(EVENT, (e) => client.push(JSON.parse(e.data).data.n, e.lastEventId));
    es.addEventListener('close', (e) => client.disconnects.push({ at: Date.now(), reason: JSON.parse(e.data).code }));
    const first = waitFor(es, 'subscribed', TIMEOUT);
    es.addEventListener('subscribed', (e) => { client.generation += 1; client.resumes.push(JSON.parse(e.data).resumed); client.log.push(['subscribed', e.data, e.lastEventId]); });
    await first;
    client.resumes.length = 0;
    client.where = async () => (await locate(cluster, own)).map((n) => n.id);
    return client;
  }

  /**
   * A plain WebSocket client as docs/protocols/websocket.md tells one to be: it remembers the position of
   * the last `pub`, and after a close that says reconnect (1001 shutdown) it opens a new WebSocket through
   * the balancer and subscribes with `since`.
   */
  async function plainClient(i) {
    const client = new Client(`plain WebSocket ${i}`);
    const own = `drain.where.ws.${i}`;
    let position = null;
    let stopped = false;
    client.resumes = [];
    closers.push(() => { stopped = true; client.ws?.close(); });
    const open = async () => {
      const ws = new WebSocket(`${cluster.url.replace(/^http/, 'ws')}/ws`, { handshakeTimeout: TIMEOUT });
      client.ws = ws;
      const replies = new Map();
      let nextId = 0;
      ws.on('message', (raw) => {
        const frame = JSON.parse(raw.toString());
        if (frame.type === 'pub' && frame.channel === CHANNEL) {
          position = { offset: frame.offset, epoch: frame.epoch };
          client.push(frame.data.n, frame.offset);
        } else if (frame.type === undefined) {
          replies.get(frame.id)?.(frame);
        }
      });
      const request = (body) => {
        const id = ++nextId;
        const reply = new Promise((resolve) => replies.set(id, resolve));
        ws.send(JSON.stringify({ id, ...body }));
        return withTimeout(reply, TIMEOUT, `${client.label}: reply to ${body.op}`);
      };
      await waitFor(ws, 'open', TIMEOUT);
      client.generation += 1;
      const resuming = position !== null;
      const subscribed = await request({ op: 'subscribe', channel: CHANNEL, since: position });
      client.log.push(['subscribed', JSON.stringify(position), JSON.stringify(subscribed)]);
      assert.equal(subscribed.ok, true, JSON.stringify(subscribed));
      if (!resuming) position = { offset: subscribed.offset, epoch: subscribed.epoch };
      assert.equal((await request({ op: 'subscribe', channel: own })).ok, true);
      if (resuming) client.resumes.push(true);
      ws.once('close', (code, reason) => {
        client.disconnects.push({ at: Date.now(), reason: `${code} ${reason}` });
        if (!stopped && code === 1001) reopen();
      });
    };
    const reopen = async () => {
      // Through the balancer; a node that is down or refusing is skipped by it, so a few tries suffice.
      for (let attempt = 0; !stopped; attempt++) {
        try {
          await open();
          return;
        } catch (err) {
          if (attempt > 20) throw err;
          await sleep(200);
        }
      }
    };
    await open();
    client.where = async () => (await locate(cluster, own)).map((n) => n.id);
    return client;
  }

  /** A long-poll loop (docs/protocols/longpoll.md): polls with its cursor; on 503 or a network error, again after a moment. */
  async function longPollClient(i) {
    const client = new Client(`long-poll ${i}`);
    let stopped = false;
    let cursor = null;
    client.refusals = 0;
    const controller = new AbortController();
    closers.push(() => { stopped = true; controller.abort(); });
    const poll = async (timeout) => {
      const query = `channel=${CHANNEL}&timeout=${timeout}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const response = await fetch(`${cluster.url}/poll?${query}`, { signal: controller.signal });
      if (response.status !== 200) {
        client.log.push(['refused', cursor, response.status, await response.text(), response.headers.get('x-switchboard-upstream'), Date.now()]);
        client.refusals += 1;
        return false;
      }
      const answer = await response.json();
      client.log.push(['answer', cursor, answer.cursor, answer.publications.map((p) => p.data.n), response.headers.get('x-switchboard-upstream'), Date.now()]);
      for (const p of answer.publications) client.push(p.data.n);
      cursor = answer.cursor;
      return true;
    };
    assert.equal(await poll(0), true, 'the first poll gives a cursor');
    client.loop = (async () => {
      while (!stopped) {
        try {
          if (!await poll(5)) await sleep(200);
        } catch (err) {
          if (stopped) return;
          client.errors = (client.errors ?? 0) + 1;
          client.log.push(['error', cursor, String(err), Date.now()]);
          await sleep(200);
        }
      }
    })();
    return client;
  }

  /** The publisher: one publication at a time through the balancer, ~20/s; records which were acknowledged. */
  function startPublisher() {
    const publisher = { acked: [], failed: [], next: 1, stopped: false, waiters: new Set() };
    publisher.loop = (async () => {
      while (!publisher.stopped) {
        const n = publisher.next++;
        const started = Date.now();
        try {
          const response = await fetch(`${cluster.url}/api/publish`, {
            method: 'POST',
            headers: { 'X-Api-Key': API_KEY, 'Content-Type': 'application/json' },
            body: JSON.stringify({ channel: CHANNEL, event: EVENT, data: { n } }),
            signal: AbortSignal.timeout(5_000),
          });
          await response.text();
          (response.status === 200 ? publisher.acked : publisher.failed).push(n);
          for (const waiter of publisher.waiters) waiter();
        } catch {
          publisher.failed.push(n);
        }
        await sleep(Math.max(0, 50 - (Date.now() - started)));
      }
    })();
    publisher.stop = async () => { publisher.stopped = true; await publisher.loop; };
    /** Resolves with the first publication numbered `from` or later that is acknowledged. */
    publisher.ackedFrom = (from, timeoutMs = TIMEOUT) => {
      let waiter;
      const found = new Promise((resolve) => {
        waiter = () => { const n = publisher.acked.find((a) => a >= from); if (n !== undefined) resolve(n); };
        publisher.waiters.add(waiter);
        waiter();
      });
      return withTimeout(found, timeoutMs, `a publication from ${from} on acknowledged (failed: ${JSON.stringify(publisher.failed)})`)
        .finally(() => publisher.waiters.delete(waiter));
    };
    return publisher;
  }

  /** SIGTERM, wait for the exit, start the node again on the same port (the balancer knows it there). */
  async function restart(node) {
    const index = cluster.nodes.indexOf(node);
    const signalled = Date.now();
    node.process.kill('SIGTERM');
    const code = await withTimeout(exited(node.process), TIMEOUT, `${node.id} exits after its drain`);
    assert.equal(code, 0, `${node.id} exited cleanly:\n${node.output()}`);
    const exitedAt = Date.now();
    assert.match(node.output(), /Drained \d+ connections/, `${node.id} drained`);
    assert.deepEqual(errorLogEntries(node.output()), [], `${node.id} logged errors:\n${node.output()}`);
    const again = await startNode(cluster.redis, node.id, [WINDOW, '--urls', node.url]);
    await waitForLog(again, /Cluster node \S+ is ready/, 20_000);
    cluster.nodes[index] = again;
    return { signalled, exitedAt };
  }

  test('restart node 1, 2, 3: every client gets every acknowledged publication once, disconnects spread over the window, socket.io recovered', async () => {
    // One request each first, so round-robin puts about a third of them on each node; then the polling
    // clients, whose many requests would skew that.
    const clients = [
      await socketClient(0, ['websocket']),
      await socketClient(1, ['websocket']),
      ...await Promise.all([0, 1, 2, 3, 4, 5].map(sseClient)),
      ...await Promise.all([0, 1, 2, 3, 4, 5].map(plainClient)),
      await socketClient(2, ['polling']),
      await socketClient(3, ['polling', 'websocket']),
    ];
    const polls = await Promise.all([0, 1].map(longPollClient));
    const everyone = [...clients, ...polls];
    const publisher = startPublisher();
    // Publications flow to everyone before the first restart.
    await Promise.all(everyone.map((c) => c.wait(() => c.received.length >= 5, TIMEOUT, 'first publications')));

    const restarts = [];
    for (const id of ['n1', 'n2', 'n3']) {
      const node = cluster.nodes.find((n) => n.id === id);
      const homes = await Promise.all(clients.map((c) => c.where()));
      const here = clients.filter((_, i) => homes[i].includes(id));
      const before = new Map(here.map((c) => [c, c.disconnects.length]));
      const { signalled, exitedAt } = await restart(node);
      // A publication made after the restart reaches every client (so each has reconnected) before the
      // next node goes.
      const mark = await publisher.ackedFrom(publisher.next);
      await Promise.all(everyone.map((c) => c.wait(() => c.received.includes(mark), 30_000, `publication ${mark} after restarting ${id}`)));
      const times = here.map((c) => c.disconnects.slice(before.get(c)).map((d) => d.at)[0]);
      restarts.push({ id, clients: here.map((c) => c.label), signalled, exitedAt, times });
    }
    await publisher.stop();
    // Acknowledged after the last restart (the loop above waited for one), so only a reconnected client has it.
    const last = publisher.acked.at(-1);
    await Promise.all(everyone.map((c) => c.wait(() => c.received.includes(last), TIMEOUT, `the last publication ${last}`)));

    const report = JSON.stringify({ acked: publisher.acked.length, failed: publisher.failed, restarts: restarts.map((r) => ({
      ...r, times: r.times.map((t) => (t === undefined ? null : t - r.signalled)), exitedAfter: r.exitedAt - r.signalled,
    })) });
    console.log(`# drain report ${report}`);
    assert.ok(publisher.acked.length >= 100, `the publisher kept publishing through the restarts: ${report}`);

    // Every acknowledged publication, exactly once, on every protocol.
    for (const c of everyone) {
      const seen = new Set(c.received);
      const twice = c.received.filter((n, i) => c.received.indexOf(n) !== i);
      assert.deepEqual(twice, [], `${c.label}: no publication twice: ${JSON.stringify(c.log.filter((e) => twice.includes(e[0]) || e[0] === 'subscribed' || (e[0] === 'answer' && e[3].some((n) => twice.includes(n)))))} disconnects ${JSON.stringify(c.disconnects)}`);
      const missing = publisher.acked.filter((n) => !seen.has(n));
      assert.deepEqual(missing, [], `${c.label}: every acknowledged publication`);
    }
    // Each node's clients were told to go spread over the window, not all at once. The drain closes its
    // connections in a random order, evenly spaced: k of them among N (the long-polls held at that
    // moment, at most 2, are the others) span at least (k-1)/N of the window, which is half from k = 4.
    for (const r of restarts) {
      assert.ok(r.clients.length >= 4, `${r.id} had at least 4 clients to drain: ${report}`);
      assert.ok(r.times.every((t) => t !== undefined), `every client of ${r.id} was disconnected: ${report}`);
      const spread = Math.max(...r.times) - Math.min(...r.times);
      assert.ok(spread >= WINDOW_MS / 2, `${r.id}: first and last disconnect ${spread} ms apart, at least half the window: ${report}`);
      // A polling client learns of its close with its next poll, and a loaded machine delays everyone: some slack.
      assert.ok(Math.max(...r.times) - r.signalled <= WINDOW_MS + 2_500, `${r.id}: all within the window: ${report}`);
    }
    // Every client was on some node, so each was moved at least once, and came back as its protocol promises.
    for (const c of clients) {
      assert.ok(c.disconnects.length >= 1, `${c.label} was disconnected by a restart`);
      if (c.socket) {
        assert.ok(c.disconnects.every((d) => d.reason === 'transport close' || d.reason === 'transport error'),
          `${c.label}: disconnected at the transport, so it reconnects by itself: ${JSON.stringify(c.disconnects)}`);
        assert.equal(c.recoveries.length, c.disconnects.length, `${c.label} reconnected after each disconnect`);
        assert.ok(c.recoveries.every((r) => r === true), `${c.label}: socket.recovered after each reconnect: ${JSON.stringify(c.recoveries)}`);
        assert.equal(c.socket.connected, true);
      } else {
        assert.ok(c.disconnects.every((d) => /shutdown/.test(d.reason)), `${c.label}: told shutdown: ${JSON.stringify(c.disconnects)}`);
        assert.ok(c.resumes.length >= c.disconnects.length && c.resumes.every(Boolean), `${c.label} resumed: ${JSON.stringify(c.resumes)}`);
      }
    }
    for (const n of cluster.nodes) {
      assert.deepEqual(errorLogEntries(n.output()), [], `${n.id} logged errors:\n${n.output()}`);
    }
  });
});
