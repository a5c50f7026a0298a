// Node's `ws` as an independent client of the plain WebSocket channel protocol
// (docs/protocols/websocket.md), against tests/interop/plain-server: subscribe, publish with
// acknowledgement, resume from a position after a reconnect, the discontinuity signal (history window
// exceeded, server restarted), the WebSocket-level heartbeat, auth and bad input.
//
// The server (tests/interop/plain-server/Program.cs) serves /ws on namespace /; token "secret" may do
// anything, "reader" may only subscribe to news.*; channels short.* keep 2 publications; it pings every
// 200 ms. Nothing here waits with a sleep: every wait is for a frame or an event, with a timeout.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import WebSocket from 'ws';
import { repoRoot, startServer, waitFor, withTimeout } from './lib/server.mjs';

const PROJECT = 'tests/interop/plain-server';
const DLL = path.join(repoRoot, PROJECT, 'bin', process.env.SWITCHBOARD_CONFIGURATION || 'Release',
  process.env.SWITCHBOARD_TFM || 'net10.0', 'Switchboard.PlainInteropServer.dll');
const TIMEOUT = 3_000;
const TEST = { timeout: 20_000 };

const startPlainServer = () => startServer({ project: PROJECT, dll: DLL });

let counter = 0;
const channel = (prefix = 'ch') => `${prefix}.${process.pid}.${++counter}`;

/**
 * One protocol connection: frames are parsed and queued in arrival order; call() sends a request with
 * the next id and resolves with its reply, keeping the pushes that came before it in `pushes`.
 */
class PlainSocket {
  static async open(url, { token = 'secret', protocols } = {}) {
    const target = token === null ? `${url}/ws` : `${url}/ws?token=${encodeURIComponent(token)}`;
    const socket = new PlainSocket(new WebSocket(target, protocols, { handshakeTimeout: TIMEOUT }));
    await withTimeout(socket.opened, TIMEOUT, 'opening the WebSocket');
    socket.welcome = await socket.next();
    assert.equal(socket.welcome.type, 'welcome');
    return socket;
  }

  constructor(ws) {
    this.ws = ws;
    this.inbox = [];
    this.waiters = [];
    this.pushes = [];
    this.errors = [];
    this.nextId = 0;
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        resolve({ code, reason: reason.toString('utf8') });
        for (const waiter of this.waiters.splice(0)) waiter.reject(new Error(`closed (${code}) while a frame was awaited`));
      });
    });
    // Kept for diagnosis; a failure also closes the socket, which rejects pending waits.
    ws.on('error', (err) => this.errors.push(err));
    ws.on('message', (data, isBinary) => {
      assert.equal(isBinary, false, 'the server sends text frames only');
      const frame = JSON.parse(data.toString('utf8'));
      const waiter = this.waiters.shift();
      if (waiter) waiter.resolve(frame); else this.inbox.push(frame);
    });
  }

  /** The next frame: a kept push first, then what arrives. */
  next(timeoutMs = TIMEOUT) {
    if (this.pushes.length > 0) return Promise.resolve(this.pushes.shift());
    if (this.inbox.length > 0) return Promise.resolve(this.inbox.shift());
    let waiter;
    const pending = new Promise((resolve, reject) => { waiter = { resolve, reject }; this.waiters.push(waiter); });
    return withTimeout(pending, timeoutMs, 'waiting for a frame').catch((err) => {
      const index = this.waiters.indexOf(waiter);
      if (index >= 0) this.waiters.splice(index, 1);
      throw err;
    });
  }

  async nextOfType(type) {
    const frame = await this.next();
    assert.equal(frame.type, type, `expected a ${type} push, got ${JSON.stringify(frame)}`);
    return frame;
  }

  send(text) {
    this.ws.send(text);
  }

  /** Sends {id, op, ...fields} and resolves with its reply; earlier pushes are kept in `pushes`. */
  async call(op, fields = {}) {
    const id = ++this.nextId;
    this.send(JSON.stringify({ id, op, ...fields }));
    for (;;) {
      const frame = this.inbox.length > 0 ? this.inbox.shift() : await this.#arrival();
      if (frame.id === id) return frame;
      assert.equal(frame.ok, undefined, `a reply to another request: ${JSON.stringify(frame)}`);
      this.pushes.push(frame);
    }
  }

  #arrival() {
    let waiter;
    const pending = new Promise((resolve, reject) => { waiter = { resolve, reject }; this.waiters.push(waiter); });
    return withTimeout(pending, TIMEOUT, 'waiting for a reply');
  }

  async ok(op, fields) {
    const reply = await this.call(op, fields);
    assert.equal(reply.ok, true, `${op} failed: ${JSON.stringify(reply)}`);
    return reply;
  }

  close() {
    this.ws.close();
    return withTimeout(this.closed, TIMEOUT, 'closing');
  }
}

/** Resolves with the status and JSON body of a refused handshake. */
function refusal(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { handshakeTimeout: TIMEOUT });
    ws.on('unexpected-response', (_req, res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        ws.terminate();
      });
    });
    ws.on('open', () => reject(new Error('the handshake was accepted')));
    ws.on('error', () => { /* the refusal is reported through unexpected-response */ });
  });
}

describe('plain WebSocket protocol with the ws package', () => {
  let server;
  const open = [];
  const connect = async (options) => {
    const socket = await PlainSocket.open(server.url.replace('http', 'ws'), options);
    open.push(socket);
    return socket;
  };

  before(async () => { server = await startPlainServer(); }, { timeout: 40_000 });

  after(async () => {
    for (const socket of open) socket.ws.terminate();
    await server?.stop();
  });

  test('subscribe, then a publish is acknowledged with its offset and pushed to the subscriber', TEST, async () => {
    const ch = channel();
    const subscriber = await connect({ protocols: ['switchboard.v1'] });
    const publisher = await connect();
    assert.equal(subscriber.ws.protocol, 'switchboard.v1');
    assert.equal(subscriber.welcome.v, 1);

    const subscribed = await subscriber.ok('subscribe', { channel: ch });
    const ack = await publisher.ok('publish', { channel: ch, event: 'greeting', data: { text: 'hi', n: [1, 2] } });
    const pub = await subscriber.nextOfType('pub');

    assert.equal(subscribed.offset, 0);
    assert.equal(ack.offset, 1);
    assert.equal(ack.epoch, subscribed.epoch);
    assert.deepEqual(pub, { type: 'pub', channel: ch, offset: 1, epoch: ack.epoch, event: 'greeting', data: { text: 'hi', n: [1, 2] } });
  });

  test('history, presence and ping answer with their documented fields', TEST, async () => {
    const ch = channel();
    const client = await connect();
    await client.ok('subscribe', { channel: ch });
    for (const n of [1, 2, 3]) await client.ok('publish', { channel: ch, data: n, echo: false });

    const history = await client.ok('history', { channel: ch, limit: 2 });
    const presence = await client.ok('presence', { channel: ch });
    const ping = await client.call('ping');

    assert.deepEqual(history.publications.map((p) => [p.offset, p.data]), [[2, 2], [3, 3]]);
    assert.equal(history.continuous, true);
    assert.equal(history.offset, 3);
    assert.equal(presence.count, 1);
    assert.deepEqual(ping, { id: ping.id, ok: true });
    assert.deepEqual(client.pushes, [], 'echo:false kept its own publications away');
  });

  test('resuming after a reconnect delivers exactly the missed publications, then live ones', TEST, async () => {
    const ch = channel();
    const publisher = await connect();
    const first = await connect();
    await first.ok('subscribe', { channel: ch });
    for (const n of [1, 2]) await publisher.ok('publish', { channel: ch, data: n });
    await first.nextOfType('pub');
    const last = await first.nextOfType('pub');
    await first.close();
    for (const n of [3, 4, 5]) await publisher.ok('publish', { channel: ch, data: n });

    const second = await connect();
    const reply = await second.ok('subscribe', { channel: ch, since: { offset: last.offset, epoch: last.epoch } });
    const replayed = second.pushes.splice(0);
    await publisher.ok('publish', { channel: ch, data: 6 });
    const live = await second.nextOfType('pub');

    assert.deepEqual(replayed.map((p) => [p.type, p.offset, p.data]), [['pub', 3, 3], ['pub', 4, 4], ['pub', 5, 5]]);
    assert.equal(reply.offset, 5);
    assert.deepEqual([live.offset, live.data], [6, 6]);
  });

  test('when the history window was exceeded, resuming gets a discontinuity and then live publications', TEST, async () => {
    const ch = channel('short');
    const publisher = await connect();
    let epoch;
    for (const n of [1, 2, 3, 4, 5]) ({ epoch } = await publisher.ok('publish', { channel: ch, data: n }));

    const client = await connect();
    const reply = await client.ok('subscribe', { channel: ch, since: { offset: 1, epoch } });
    const notice = client.pushes.splice(0);
    await publisher.ok('publish', { channel: ch, data: 6 });
    const live = await client.nextOfType('pub');

    assert.deepEqual(notice, [{ type: 'discontinuity', channel: ch, offset: 5, epoch }]);
    assert.equal(reply.offset, 5);
    assert.deepEqual([live.offset, live.data], [6, 6]);
  });

  test('the server pings at the WebSocket level and ws answers', TEST, async () => {
    const client = await connect();

    await waitFor(client.ws, 'ping', TIMEOUT);
    await waitFor(client.ws, 'ping', TIMEOUT);

    assert.equal(client.ws.readyState, WebSocket.OPEN);
    await client.ok('ping');
  });

  test('a missing or unknown token is refused with 401 and a JSON error before the upgrade', TEST, async () => {
    const base = server.url.replace('http', 'ws');

    const missing = await withTimeout(refusal(`${base}/ws`), TIMEOUT, 'refusal');
    const forged = await withTimeout(refusal(`${base}/ws?token=forged`), TIMEOUT, 'refusal');

    assert.equal(missing.status, 401);
    assert.equal(missing.body.error.code, 'token_missing');
    assert.equal(forged.status, 401);
    assert.equal(forged.body.error.code, 'token_invalid');
    assert.match(forged.headers['content-type'], /application\/json/);
  });

  test('a reader may subscribe where granted but not publish: forbidden', TEST, async () => {
    const reader = await connect({ token: 'reader' });

    await reader.ok('subscribe', { channel: 'news.interop' });
    const refused = await reader.call('publish', { channel: 'news.interop', data: 1 });
    const elsewhere = await reader.call('subscribe', { channel: 'private' });

    assert.equal(refused.ok, false);
    assert.equal(refused.error.code, 'forbidden');
    assert.equal(elsewhere.error.code, 'forbidden');
  });

  test('malformed JSON gets a bad_request reply and the connection stays usable; an unknown op gets unknown_op', TEST, async () => {
    const client = await connect();

    client.send('{"op":"subscribe",');
    const malformed = await client.next();
    const unknown = await client.call('teleport');
    const ping = await client.ok('ping');

    assert.equal(malformed.ok, false);
    assert.equal(malformed.error.code, 'bad_request');
    assert.equal(malformed.id, undefined);
    assert.equal(unknown.error.code, 'unknown_op');
    assert.equal(ping.ok, true);
  });

  test('after a server restart the epoch changed: resuming gets a discontinuity, then live publications', TEST, async () => {
    const ch = channel();
    const restartable = await startPlainServer();
    let seen;
    try {
      const before = await PlainSocket.open(restartable.url.replace('http', 'ws'));
      await before.ok('subscribe', { channel: ch });
      await before.ok('publish', { channel: ch, data: 'before' });
      seen = await before.nextOfType('pub');
      before.ws.terminate();
    } finally {
      await restartable.stop();
    }
    const restarted = await startPlainServer();
    try {
      const client = await PlainSocket.open(restarted.url.replace('http', 'ws'));
      const reply = await client.ok('subscribe', { channel: ch, since: { offset: seen.offset, epoch: seen.epoch } });
      const [notice] = client.pushes.splice(0);
      await client.ok('publish', { channel: ch, data: 'after' });
      const live = await client.nextOfType('pub');
      client.ws.terminate();

      assert.equal(notice.type, 'discontinuity');
      assert.notEqual(notice.epoch, seen.epoch);
      assert.equal(notice.offset, 0);
      assert.equal(reply.epoch, notice.epoch);
      assert.deepEqual([live.offset, live.epoch, live.data], [1, notice.epoch, 'after']);
    } finally {
      await restarted.stop();
    }
  });
});
