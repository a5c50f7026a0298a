// A real EventSource (the `eventsource` npm package) against tests/interop/channels-server: it
// receives publications made through the HTTP API and Socket.IO room emits, the server drops the
// stream mid-way, and the EventSource reconnects by itself with Last-Event-ID and gets exactly what it
// missed. The reconnect request is held (through the EventSource's `fetch` option) until the test
// has published what the client must catch up on, so "published while disconnected" is certain, not
// a matter of timing. Protocol: docs/protocols/sse.md, docs/protocols/http-api.md.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { EventSource } from 'eventsource';
import { io } from 'socket.io-client';
import { projectDll, startServer, waitFor, withTimeout } from './lib/server.mjs';

const PROJECT = 'tests/interop/channels-server';
const DLL = path.join(path.dirname(projectDll(PROJECT)), 'Switchboard.ChannelsInteropServer.dll');
const API_KEY = 'interop-key';
const TEST = { timeout: 15_000 };

let server;
let channelCount = 0;

before(async () => {
  server = await startServer({ project: PROJECT, dll: DLL });
}, { timeout: 40_000 });

after(async () => {
  await server?.stop();
});

const newChannel = (prefix = 'sse') => `${prefix}-${process.pid}-${++channelCount}`;

async function api(method, route, body) {
  const res = await fetch(`${server.url}/api/${route}`, {
    method,
    headers: { 'X-Api-Key': API_KEY, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  assert.equal(res.status, 200, `${method} /api/${route} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

const publish = (channel, data, event = 'tick') => api('POST', 'publish', { channel, event, data });

/** Every event of one type, with a way to await the n-th. */
function record(es, type) {
  const events = [];
  const waiters = [];
  es.addEventListener(type, (event) => {
    events.push(event);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (events.length >= waiters[i].count) {
        waiters[i].resolve();
        waiters.splice(i, 1);
      }
    }
  });
  return {
    events,
    json: () => events.map((e) => JSON.parse(e.data)),
    until(count, ms = 5_000) {
      if (events.length >= count) return Promise.resolve();
      return withTimeout(new Promise((resolve) => waiters.push({ count, resolve })), ms, `${count} '${type}' events`);
    },
  };
}

function deferred() {
  let resolve;
  const promise = new Promise((r) => { resolve = r; });
  return { promise, resolve };
}

/**
 * An EventSource whose every request is recorded, and whose reconnections wait for `release()`:
 * the first connection goes through at once, later ones (made before or after the release) are held
 * until it.
 */
function gatedEventSource(url) {
  const requests = [];
  const gate = deferred();
  const es = new EventSource(url, {
    fetch: async (input, init) => {
      requests.push({ headers: { ...init.headers } });
      if (requests.length > 1) await gate.promise;
      return fetch(input, init);
    },
  });
  return {
    es,
    requests,
    release: () => gate.resolve(),
  };
}

test('EventSource reconnects by itself after a server drop and gets every publication exactly once, in order', TEST, async () => {
  const channel = newChannel();
  const { es, requests, release } = gatedEventSource(`${server.url}/sse?channel=${channel}`);
  try {
    const subscribed = record(es, 'subscribed');
    const ticks = record(es, 'tick');
    const closes = record(es, 'close');
    await subscribed.until(1);
    const { connectionId, resumed } = subscribed.json()[0];
    assert.equal(resumed, false);

    for (let n = 1; n <= 5; n++) await publish(channel, { n });
    await ticks.until(5);
    const idBeforeDrop = ticks.events[4].lastEventId;

    // The server drops the stream; the EventSource reports it and schedules its reconnection.
    const dropped = waitFor(es, 'error');
    assert.deepEqual(await api('POST', 'disconnect', { connectionId }), { connectionId, disconnected: true });
    await dropped;
    assert.equal(es.readyState, EventSource.CONNECTING);
    assert.equal(closes.events.length, 1, 'the server sent a close event before ending the stream');

    // Published while no stream is open: the reconnection must replay exactly these.
    for (let n = 6; n <= 10; n++) await publish(channel, { n });
    release();
    await subscribed.until(2);
    await publish(channel, { n: 11 });
    await ticks.until(11);

    assert.equal(requests.length, 2, 'the EventSource reconnected once');
    assert.equal(requests[0].headers['Last-Event-ID'], undefined);
    assert.equal(requests[1].headers['Last-Event-ID'], idBeforeDrop);
    assert.equal(subscribed.json()[1].resumed, true);
    assert.deepEqual(ticks.json().map((p) => p.data.n), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    assert.deepEqual(ticks.json().map((p) => p.offset), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    assert.ok(ticks.json().every((p) => p.channel === channel && p.event === 'tick'));
  } finally {
    es.close();
  }
});

test('An EventSource resuming beyond the history window gets a discontinuity event, then live publications', TEST, async () => {
  const channel = newChannel('small');
  const { es, release } = gatedEventSource(`${server.url}/sse?channel=${channel}`);
  try {
    const subscribed = record(es, 'subscribed');
    const ticks = record(es, 'tick');
    const discontinuities = record(es, 'discontinuity');
    await subscribed.until(1);
    await publish(channel, 1);
    await ticks.until(1);

    const dropped = waitFor(es, 'error');
    await api('POST', 'disconnect', { connectionId: subscribed.json()[0].connectionId });
    await dropped;
    // More than the channel's 3 publications of history: the position after 1 is gone.
    for (let n = 2; n <= 6; n++) await publish(channel, n);
    release();
    await discontinuities.until(1);
    await publish(channel, 100);
    await ticks.until(2);

    const [discontinuity] = discontinuities.json();
    assert.equal(discontinuity.channel, channel);
    assert.equal(discontinuity.offset, 6);
    assert.equal(typeof discontinuity.epoch, 'string');
    assert.deepEqual(ticks.json().map((p) => p.data), [1, 100]);
  } finally {
    es.close();
  }
});

test('A Socket.IO room emit and an HTTP publish reach the same EventSource subscriber, in one order', TEST, async () => {
  const channel = newChannel();
  const es = new EventSource(`${server.url}/sse?channel=${channel}`);
  const socket = io(server.url, { transports: ['websocket'], reconnection: false });
  try {
    const subscribed = record(es, 'subscribed');
    const roomMessages = record(es, 'room-message');
    const ticks = record(es, 'tick');
    await Promise.all([subscribed.until(1), waitFor(socket, 'connect')]);

    const ack = await withTimeout(socket.emitWithAck('to-room', channel, { from: 'socket.io' }), 5_000, 'to-room ack');
    assert.equal(ack, 'ok');
    await publish(channel, { from: 'http' });
    await Promise.all([roomMessages.until(1), ticks.until(1)]);

    const [fromSocket] = roomMessages.json();
    const [fromHttp] = ticks.json();
    assert.deepEqual([fromSocket.data, fromSocket.offset], [{ from: 'socket.io' }, 1]);
    assert.deepEqual([fromHttp.data, fromHttp.offset], [{ from: 'http' }, 2]);
    assert.equal(fromSocket.epoch, fromHttp.epoch);
  } finally {
    es.close();
    socket.close();
  }
});
