// The JS channels client (clients/js/switchboard-channels.js) on real wires against the standalone
// server (src/Switchboard.Server): in Node over each transport, through a TCP proxy that can cut every
// connection or refuse an endpoint; across a server restart; with token refresh; and in Chromium,
// imported from /lib/switchboard-channels.js, with the WebSocket and then SSE blocked. Needs Chromium
// (CHROMIUM_PATH) for the last part.
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { startServer, withTimeout } from './lib/server.mjs';
import { launchChromium } from './lib/browser.mjs';
import { ChannelClient, formatCursor, parseCursor } from '../../clients/js/switchboard-channels.js';

const PROJECT = 'src/Switchboard.Server';
const TIMEOUT = 10_000;
const API_KEY = 'js-client-key';
const SECRET = 'js-client-test-secret-0123456789-abcdefghij';
// Fast reconnects keep the suite short; the backoff itself is the client's default shape.
const FAST = { backoff: { initial: 100, max: 1_000 }, pollTimeout: 5 };

function assertNoServerErrors(server) {
  assert.doesNotMatch(server.output(), /^(fail|crit):/m, `the server logged errors:\n${server.output()}`);
}

/** An HS256 JWT valid for `seconds` (negative: already expired). */
function jwt(claims, seconds = 600) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ iat: now - 3600, nbf: now - 3600, exp: now + seconds, ...claims })}`;
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
}

/** Resolves with the next value of a client or subscription event, within timeoutMs. */
function next(emitter, type, predicate = () => true, timeoutMs = TIMEOUT) {
  let off;
  return withTimeout(new Promise((resolve) => {
    off = emitter.on(type, (value) => { if (predicate(value)) resolve(value); });
  }), timeoutMs, `'${type}'`).finally(() => off());
}

/**
 * A TCP proxy to the server: cut() ends every connection through it; a request whose line starts
 * with `GET <blocked path>` is answered 403 and closed, as a proxy that forbids an endpoint would.
 */
async function startProxy(target) {
  const pairs = new Set();
  const requests = [];
  const proxy = { blocked: new Set(), requests, url: '' };
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, '127.0.0.1');
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => { pairs.delete(pair); client.destroy(); upstream.destroy(); };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (chunk) => {
      pair.pending = true;
      proxy.onPending?.();
      const line = /^GET (\/[a-z]+)[?\s]/.exec(chunk.toString('latin1', 0, 64));
      if (line) requests.push(line[1]);
      if (line && proxy.blocked.has(line[1])) {
        const body = '{"error":{"code":"blocked","message":"by the proxy"}}';
        client.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => { pair.pending = false; client.write(chunk); });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${server.address().port}`;
  proxy.cut = () => {
    const count = pairs.size;
    for (const { client, upstream } of [...pairs]) { client.destroy(); upstream.destroy(); }
    return count;
  };
  /** Resolves once a request has gone through and its answer has not come back (a held poll). */
  proxy.whenPending = () => withTimeout(new Promise((resolve) => {
    if ([...pairs].some((p) => p.pending)) { resolve(); return; }
    proxy.onPending = () => { proxy.onPending = null; resolve(); };
  }), TIMEOUT, 'a pending request');
  proxy.close = () => { proxy.cut(); return new Promise((resolve) => server.close(resolve)); };
  return proxy;
}

async function apiPublish(server, channel, data, event = 'n') {
  const res = await fetch(`${server.url}/api/publish`, {
    method: 'POST',
    headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ channel, event, data }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).results[channel];
}

const SERVER_ARGS = [
  '--Switchboard:Demos:TickerInterval=00:00:00',
  `--Switchboard:Api:Keys=${API_KEY}`,
  `--Switchboard:Auth:Secret=${SECRET}`,
  // Anonymous clients keep the defaults (subscribe *, publish chat.* and cursors.*); tokens work too.
  '--Switchboard:Auth:Anonymous:Enabled=true',
];

describe('JS channels client in Node', () => {
  let server;
  const clients = [];

  before(async () => {
    server = await startServer({ project: PROJECT, args: SERVER_ARGS });
  });

  after(async () => {
    for (const client of clients) client.close();
    await server?.stop();
  });

  function client(url, options) {
    const c = new ChannelClient(url, { WebSocket, ...FAST, ...options });
    clients.push(c);
    return c;
  }

  test('cursors: parse and format round-trip, base64url for epochs outside [A-Za-z0-9_-]', () => {
    const positions = [{ offset: 42, epoch: 'k3Jd9aQx' }, { offset: 0, epoch: 'é~.x' }];
    const cursor = formatCursor(positions);
    assert.match(cursor, /^v1~42\.k3Jd9aQx~0\.\.[A-Za-z0-9_-]+$/);
    assert.deepEqual(parseCursor(cursor), positions);
    assert.throws(() => parseCursor('v2~1.a'), { code: 'invalid_cursor' });
    assert.throws(() => parseCursor('v1~x.a'), { code: 'invalid_cursor' });
  });

  test('ws: publish resolves with the offset, the async iterator yields every publication in order', async () => {
    const c = client(server.url, { transports: ['ws'] });
    const channel = `chat.${randomUUID()}`;
    const subscription = c.subscribe(channel);
    await next(subscription, 'subscribed');
    // The iterator yields what arrives once it exists: start it before publishing.
    const seen = [];
    const consumed = withTimeout((async () => {
      for await (const item of subscription) {
        seen.push(item);
        if (seen.length === 5) break; // return() unsubscribes
      }
    })(), TIMEOUT, 'the iterator');
    const acks = [];
    for (let i = 1; i <= 5; i++) acks.push(await c.publish(channel, { i }, { event: 'said' }));
    assert.deepEqual(acks.map((a) => a.offset), [1, 2, 3, 4, 5]);
    assert.ok(acks.every((a) => a.channel === channel && a.epoch === acks[0].epoch));
    await consumed;
    assert.deepEqual(seen.map((p) => [p.type, p.offset, p.event, p.data.i]), [1, 2, 3, 4, 5].map((i) => ['publication', i, 'said', i]));
    assert.equal(c.transport, 'ws');
    await assert.rejects(c.publish('prices.AAPL', 1), { code: 'forbidden' }, 'the anonymous grant publishes on chat.* only');
    assertNoServerErrors(server);
  });

  for (const transport of ['ws', 'sse', 'poll']) {
    test(`${transport}: every connection cut twice mid-stream, the server up: each publication exactly once, in order`, async () => {
      const proxy = await startProxy(server);
      try {
        const c = client(proxy.url, { transports: [transport] });
        const channel = `chat.${randomUUID()}`;
        const offsets = [];
        const gaps = [];
        const drops = [];
        c.on('publication', (p) => offsets.push(p.offset));
        c.on('discontinuity', (d) => gaps.push(d));
        c.on('disconnected', (d) => drops.push(d));
        c.subscribe(channel);
        await next(c, 'subscribed');

        const TOTAL = 90;
        for (let n = 1; n <= TOTAL; n++) {
          await apiPublish(server, channel, { n });
          if (n === 30 || n === 60) {
            if (c.state !== 'connected') await next(c, 'connected');
            // Long-poll has a connection only while a poll is held: cut one that is.
            if (transport === 'poll') await proxy.whenPending();
            assert.ok(proxy.cut() > 0, 'a connection to cut');
          }
        }
        await withTimeout((async () => { while (offsets.length < TOTAL) await next(c, 'publication'); })(), 15_000, 'all publications');
        assert.deepEqual(offsets, Array.from({ length: TOTAL }, (_, i) => i + 1), 'every offset once, in order');
        assert.deepEqual(gaps, [], 'no discontinuity: the history covered the gaps');
        assert.ok(drops.length >= 2, `the client saw the cuts (${drops.length} drops)`);
        assert.ok(drops.every((d) => d.reconnect && d.transport === transport));
        assert.equal(c.transport, transport);
        c.close();
      } finally {
        await proxy.close();
      }
    });
  }

  test('fallback: /ws refused goes to SSE, /ws and /sse refused to long-poll, in that order; publish needs ws or an API key', async () => {
    const proxy = await startProxy(server);
    try {
      proxy.blocked.add('/ws');
      const sse = client(proxy.url, {});
      const channel = `chat.${randomUUID()}`;
      const attempts = [];
      sse.on('attempt', ({ transport }) => attempts.push(transport));
      sse.subscribe(channel);
      await next(sse, 'connected');
      assert.equal(sse.transport, 'sse');
      assert.deepEqual(attempts, ['ws', 'sse']);
      await assert.rejects(sse.publish(channel, 1), { code: 'publish_unavailable' });
      const heard = next(sse, 'publication');
      await apiPublish(server, channel, { via: 'api' });
      assert.deepEqual((await heard).data, { via: 'api' });

      proxy.blocked.add('/sse');
      const requestsBefore = proxy.requests.length;
      const poll = client(proxy.url, { apiKey: API_KEY });
      poll.subscribe(channel);
      await next(poll, 'connected');
      assert.equal(poll.transport, 'poll');
      assert.deepEqual(proxy.requests.slice(requestsBefore, requestsBefore + 3), ['/ws', '/sse', '/poll'], 'tried in order');
      const received = next(poll, 'publication');
      const ack = await poll.publish(channel, { via: 'poll client' }, { event: 'said' });
      assert.equal(ack.channel, channel);
      assert.equal(ack.offset, 2, 'the HTTP API answered with the offset');
      const p = await received;
      assert.deepEqual([p.offset, p.event, p.data], [2, 'said', { via: 'poll client' }]);
      assertNoServerErrors(server);
    } finally {
      await proxy.close();
    }
  });

  test('tokens: a refused token is refreshed through refreshToken; an expired JWT is refreshed before connecting', async () => {
    const channel = `news.${randomUUID()}`;
    const valid = jwt({ sub: 'ann', sub_channels: ['news.*'] });

    const reasons = [];
    const poll = client(server.url, { transports: ['poll'], token: 'not-a-jwt', refreshToken: (reason) => { reasons.push(reason.code); return valid; } });
    poll.subscribe(channel);
    // Subscribed, not only connected: a publication made before the server took the subscription is not for it.
    await next(poll, 'subscribed');
    assert.deepEqual(reasons, ['token_invalid'], 'the server refused the first token; the client asked for another');

    const early = [];
    const ws = client(server.url, { transports: ['ws'], token: jwt({ sub_channels: ['news.*'] }, -60), refreshToken: (reason) => { early.push(reason.code); return valid; } });
    ws.subscribe(channel);
    await next(ws, 'subscribed');
    assert.deepEqual(early, ['token_expired']);
    assert.equal(ws.token, valid);

    const both = Promise.all([next(poll, 'publication'), next(ws, 'publication')]);
    await apiPublish(server, channel, 'hello');
    assert.deepEqual((await both).map((p) => p.data), ['hello', 'hello']);

    const refused = client(server.url, { transports: ['sse'], token: 'not-a-jwt' });
    refused.subscribe(channel);
    const error = await next(refused, 'error');
    assert.equal(error.code, 'token_invalid', 'without refreshToken a refusal closes the client');
    assert.equal(refused.state, 'closed');
  });
});

describe('JS channels client across a server restart', () => {
  test('the in-memory history is gone: every transport reports a discontinuity naming the channel, then goes on live', { timeout: 45_000 }, async () => {
    let server = await startServer({ project: PROJECT, args: SERVER_ARGS });
    const clients = ['ws', 'sse', 'poll'].map((t) => new ChannelClient(server.url, { WebSocket, ...FAST, transports: [t] }));
    const channel = `chat.${randomUUID()}`;
    try {
      for (const c of clients) c.subscribe(channel);
      await Promise.all(clients.map((c) => next(c, 'subscribed')));
      const seen = Promise.all(clients.map((c) => next(c, 'publication', (p) => p.offset === 3)));
      for (let i = 0; i < 3; i++) await apiPublish(server, channel, i);
      const [before] = await seen;

      const gaps = Promise.all(clients.map((c) => next(c, 'discontinuity', () => true, 30_000)));
      const port = server.port;
      await server.stop();
      server = await startServer({ project: PROJECT, args: [...SERVER_ARGS, '--urls', `http://127.0.0.1:${port}`] });
      const discontinuities = await gaps;
      for (const d of discontinuities) {
        assert.equal(d.type, 'discontinuity');
        assert.equal(d.channel, channel);
        assert.notEqual(d.epoch, before.epoch, 'a new epoch');
        assert.equal(d.offset, 0);
      }
      await Promise.all(clients.map((c) => (c.state === 'connected' ? null : next(c, 'connected', () => true, 20_000))));
      const live = Promise.all(clients.map((c) => next(c, 'publication')));
      await apiPublish(server, channel, 'after');
      for (const p of await live) assert.deepEqual([p.offset, p.epoch, p.data], [1, discontinuities[0].epoch, 'after']);
      assertNoServerErrors(server);
    } finally {
      for (const c of clients) c.close();
      await server.stop();
    }
  });
});

describe('JS channels client in Chromium', () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer({ project: PROJECT, args: SERVER_ARGS });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** Opens a same-origin page, blocks what is asked, and starts a client from /lib in it. */
  async function start(channel, { blockWebSocket, blockSse }) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (err) => errors.push(err.message));
    const blocked = [];
    if (blockWebSocket) {
      await page.routeWebSocket(/\/ws(\?|$)/, (ws) => { blocked.push(ws.url()); ws.close({ code: 1008, reason: 'blocked' }); });
    }
    if (blockSse) {
      await page.route('**/sse?**', (route) => { blocked.push(route.request().url()); return route.abort(); });
    }
    await page.goto(`${server.url}/style.css`);
    await page.evaluate(async (ch) => {
      const { ChannelClient } = await import('/lib/switchboard-channels.js');
      window.seen = [];
      window.client = new ChannelClient(location.origin, { backoff: { initial: 100, max: 1000 }, pollTimeout: 5 });
      window.client.on('publication', (p) => window.seen.push(p));
      window.client.subscribe(ch);
    }, channel);
    await page.waitForFunction(() => window.client.state === 'connected', null, { timeout: TIMEOUT });
    return { context, page, errors, blocked };
  }

  for (const [name, block, expected] of [
    ['WebSocket blocked: falls back to SSE', { blockWebSocket: true }, 'sse'],
    ['WebSocket and SSE blocked: falls back to long-poll', { blockWebSocket: true, blockSse: true }, 'poll'],
  ]) {
    test(name, async () => {
      const channel = `chat.${randomUUID()}`;
      const { context, page, errors, blocked } = await start(channel, block);
      try {
        assert.equal(await page.evaluate(() => window.client.transport), expected);
        assert.ok(blocked.length >= (block.blockSse ? 2 : 1), `the blocked endpoints were tried: ${blocked}`);
        for (let i = 1; i <= 3; i++) await apiPublish(server, channel, { i });
        await page.waitForFunction(() => window.seen.length >= 3, null, { timeout: TIMEOUT });
        const seen = await page.evaluate(() => window.seen.map((p) => [p.offset, p.data.i]));
        assert.deepEqual(seen, [[1, 1], [2, 2], [3, 3]]);
        assert.deepEqual(errors, []);
        assertNoServerErrors(server);
      } finally {
        await context.close();
      }
    });
  }
});
