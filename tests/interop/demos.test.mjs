// The standalone server (src/Switchboard.Server) as a channel server: its demo pages in headless
// Chromium (the live ticker over EventSource and over the plain WebSocket protocol, and the token
// stream that survives a reload mid-answer), its default anonymous grant over Socket.IO channel events
// and SSE, and its JWT mode (Switchboard:Auth) on every protocol. Needs Chromium (test.sh installs it;
// CHROMIUM_PATH). Screenshots go to .test-results/.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EventSource } from 'eventsource';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { repoRoot, startServer, waitFor, withTimeout } from './lib/server.mjs';
import { httpText, rawRequest } from './lib/wire.mjs';
import { launchChromium } from './lib/browser.mjs';

const PROJECT = 'src/Switchboard.Server';
const TIMEOUT = 10_000;
const RESULTS = path.join(repoRoot, '.test-results');
const SYMBOLS = ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'NVDA'];

function assertNoServerErrors(server) {
  assert.doesNotMatch(server.output(), /^(fail|crit):/m, `the server logged errors:\n${server.output()}`);
}

function screenshot(page, name) {
  mkdirSync(RESULTS, { recursive: true });
  return page.screenshot({ path: path.join(RESULTS, name) });
}

/** Emits with an ack and resolves with the ack's first argument. */
function ack(socket, event, payload) {
  return socket.timeout(TIMEOUT).emitWithAck(event, payload);
}

describe('demo pages in Chromium', () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer({
      project: PROJECT,
      args: ['--Switchboard:Demos:TickerInterval=00:00:00.100', '--Switchboard:Demos:StreamTokenInterval=00:00:00.050'],
    });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A fresh context on the page; page errors, console errors and request URLs are collected. */
  async function openPage(pathAndQuery) {
    const context = await browser.newContext({ viewport: { width: 900, height: 640 } });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    const errors = [];
    const requests = [];
    const sockets = [];
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`);
    });
    page.on('request', (request) => requests.push(request.url()));
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await page.goto(`${server.url}${pathAndQuery}`);
    return { context, page, errors, requests, sockets };
  }

  /** Waits until every symbol has a price and the page has seen `perSymbol` updates per symbol. */
  async function waitForPrices(page, perSymbol) {
    await page.waitForFunction(({ symbols, count }) => window.ticker?.connected
      && symbols.every((s) => typeof window.ticker.prices[s] === 'number')
      && window.ticker.updates >= symbols.length * count, { symbols: SYMBOLS, count: perSymbol }, { timeout: TIMEOUT });
  }

  async function assertRowsShowPrices(page) {
    for (const symbol of SYMBOLS) {
      const row = page.locator(`#rows tr[data-symbol="${symbol}"]`);
      assert.match(await row.locator('.price').textContent(), /^\d{1,3}(,\d{3})*\.\d{2}$/, `${symbol} shows a price`);
      assert.match(await row.locator('.change').textContent(), /^[+−]?[\d,.]+ \([+−]?[\d.]+%\)$/, `${symbol} shows its change`);
      assert.notEqual(await row.locator('polyline').getAttribute('points'), '', `${symbol} draws its trend`);
    }
  }

  test('ticker over EventSource: every symbol fills in from /sse and keeps moving', async () => {
    const { context, page, errors, requests, sockets } = await openPage('/ticker.html');
    try {
      await waitForPrices(page, 3);
      const first = await page.evaluate(() => window.ticker.updates);
      await page.waitForFunction((n) => window.ticker.updates >= n + 5, first, { timeout: TIMEOUT });

      assert.equal(await page.evaluate(() => window.ticker.via), 'sse');
      const sse = requests.filter((url) => new URL(url).pathname === '/sse');
      assert.equal(sse.length, 1, 'one EventSource stream');
      assert.deepEqual(new URL(sse[0]).searchParams.getAll('channel'), SYMBOLS.map((s) => `prices.${s}`));
      assert.deepEqual(sockets, [], 'no WebSocket');
      await assertRowsShowPrices(page);
      await page.locator('#status', { hasText: 'live · EventSource' }).waitFor();
      await screenshot(page, 'demo-ticker.png');
      assert.deepEqual(errors, [], 'no page or console errors');
      assertNoServerErrors(server);
    } finally {
      await context.close();
    }
  });

  test('ticker over the plain WebSocket protocol (?via=ws): the same prices from /ws', async () => {
    const { context, page, errors, requests, sockets } = await openPage('/ticker.html?via=ws');
    try {
      await waitForPrices(page, 3);

      assert.equal(await page.evaluate(() => window.ticker.via), 'ws');
      assert.deepEqual(sockets.map((url) => new URL(url).pathname), ['/ws']);
      assert.equal(requests.filter((url) => new URL(url).pathname === '/sse').length, 0, 'no EventSource');
      await assertRowsShowPrices(page);
      await page.locator('#status', { hasText: 'live · WebSocket' }).waitFor();
      await screenshot(page, 'demo-ticker-ws.png');
      assert.deepEqual(errors, [], 'no page or console errors');
      assertNoServerErrors(server);
    } finally {
      await context.close();
    }
  });

  test('token stream: reloading mid-answer resumes from the saved cursor, and the text is exactly the answer', async () => {
    const { context, page, errors, requests } = await openPage('/stream.html');
    try {
      await page.fill('#prompt', 'How does resuming work?');
      await page.click('#send');
      await page.waitForFunction(() => window.streamDemo.state?.count >= 10, null, { timeout: TIMEOUT });
      const before = await page.evaluate(() => ({ ...window.streamDemo.state }));
      assert.equal(before.done, false, 'the answer is still being written at the reload');
      assert.match(page.url(), new RegExp(`\\?answer=${before.id}$`));

      await page.reload();
      await page.waitForFunction(() => window.streamDemo.state !== null, null, { timeout: TIMEOUT });
      assert.equal(await page.evaluate(() => window.streamDemo.resumed), true, 'the page picked the answer up after the reload');
      await page.locator('#meta', { hasText: 'resumed after reload' }).waitFor();
      await screenshot(page, 'demo-stream.png');
      await page.waitForFunction(() => window.streamDemo.state.done === true, null, { timeout: 20_000 });

      const state = await page.evaluate(() => window.streamDemo.state);
      const stored = JSON.parse((await httpText(`${server.url}/demo/answers/${state.id}`)).text);
      assert.equal(stored.done, true);
      assert.equal(await page.locator('#answer').textContent(), stored.text, 'the page shows exactly the answer');
      assert.equal(state.text, stored.text);
      assert.equal(state.count, stored.tokens, 'every token once');
      assert.ok(stored.text.startsWith('You asked: “How does resuming work?”.'), stored.text);

      // The stream after the reload started from the cursor saved with the last token seen, not from the start.
      const streams = requests.filter((url) => new URL(url).pathname === '/sse').map((url) => new URL(url).searchParams.get('lastEventId'));
      assert.equal(streams.length, 2, 'one stream before the reload and one after');
      const resumedAt = Number(/^v1~(\d+)\./.exec(streams[1])[1]);
      assert.ok(resumedAt >= before.count + 1, `resumed at offset ${resumedAt}, after the ${before.count} tokens seen before the reload`);
      assert.deepEqual(await page.evaluate(() => window.streamDemo.errors), [], 'no gap or repeat detected by the page');
      assert.deepEqual(errors, [], 'no page or console errors');
      assertNoServerErrors(server);
    } finally {
      await context.close();
    }
  });

  test('the chat page links to the demos and still connects', async () => {
    const { context, page, errors } = await openPage('/');
    try {
      await page.waitForFunction(() => window.chat?.socket?.connected === true, null, { timeout: TIMEOUT });
      assert.deepEqual(await page.locator('.demos-nav a').evaluateAll((links) => links.map((a) => a.getAttribute('href'))),
        ['./', 'ticker.html', 'stream.html', 'cursors.html']);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('socket.io-client with the default anonymous grant: subscribes anywhere, publishes only on chat.*', async () => {
    const socket = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false });
    const sse = new EventSource(`${server.url}/sse?channel=chat.demo-room`);
    const sseSubscribed = waitFor(sse, 'subscribed', TIMEOUT);
    try {
      await waitFor(socket, 'connect', TIMEOUT);
      await sseSubscribed;

      const subscribed = await ack(socket, 'subscribe', { channel: 'prices.AAPL' });
      assert.equal(subscribed.ok, true, JSON.stringify(subscribed));
      assert.equal(typeof subscribed.epoch, 'string');
      const [tick] = await waitFor(socket, 'price', TIMEOUT);
      assert.equal(tick.symbol, 'AAPL');

      const refused = await ack(socket, 'publish', { channel: 'prices.AAPL', data: { price: 0 } });
      assert.deepEqual(refused.ok, false);
      assert.equal(refused.error.code, 'forbidden');

      const heard = waitFor(sse, 'said', TIMEOUT);
      const published = await ack(socket, 'publish', { channel: 'chat.demo-room', event: 'said', data: { text: 'hi' } });
      assert.equal(published.ok, true, JSON.stringify(published));
      const event = JSON.parse((await heard).data);
      assert.deepEqual(event, { channel: 'chat.demo-room', offset: published.offset, epoch: published.epoch, event: 'said', data: { text: 'hi' } });
      assertNoServerErrors(server);
    } finally {
      socket.disconnect();
      sse.close();
    }
  });

  test('demo answers: a bad prompt or body gets 400 or 413 with a JSON error, and the server goes on', async () => {
    const post = (body) => httpText(`${server.url}/demo/answers`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });

    for (const body of ['{}', '{"prompt":""}', '{"prompt":42}', 'not json', `{"prompt":"${'x'.repeat(201)}"}`, '{"prompt":"a\\u0000b"}']) {
      const res = await post(body);
      assert.equal(res.status, 400, body);
      assert.equal(JSON.parse(res.text).error.code, 'bad_request', body);
    }
    const large = await post(JSON.stringify({ prompt: 'x', pad: 'y'.repeat(5000) }));
    assert.equal(large.status, 413);
    assert.equal(JSON.parse(large.text).error.code, 'too_large');
    const missing = await httpText(`${server.url}/demo/answers/nope`);
    assert.equal(missing.status, 404);

    const ok = await post('{"prompt":"still here?"}');
    assert.equal(ok.status, 201);
    assert.match(JSON.parse(ok.text).cursor, /^v1~0\./);
    assertNoServerErrors(server);
  });
});

const SECRET = 'demo-test-secret-0123456789-abcdefghijklmnop';

/** An HS256 JWT with these claims, valid from now for `seconds` (negative: already expired). */
function jwt(claims, { secret = SECRET, seconds = 600 } = {}) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ iat: now - 3600, nbf: now - 3600, exp: now + seconds, ...claims })}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/** The status of a WebSocket handshake; 101 when it opens. */
function webSocketStatus(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { handshakeTimeout: TIMEOUT });
    ws.once('open', () => { ws.terminate(); resolve(101); });
    ws.once('unexpected-response', (_req, res) => { resolve(res.statusCode); ws.terminate(); });
    ws.once('error', (err) => { if (!/Unexpected server response/.test(err.message)) reject(err); });
  });
}

describe('standalone server with JWT auth and API keys', () => {
  let server;
  const clients = [];

  before(async () => {
    server = await startServer({
      project: PROJECT,
      args: [
        `--Switchboard:Auth:Secret=${SECRET}`,
        '--Switchboard:Auth:Anonymous:Enabled=false',
        '--Switchboard:Api:Keys=key-one,key-two',
        '--Switchboard:Demos:TickerInterval=00:00:00',
      ],
    });
  });

  after(async () => {
    for (const socket of clients) socket.disconnect();
    await server?.stop();
  });

  function connect(auth) {
    const socket = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
    clients.push(socket);
    return socket;
  }

  async function refusal(auth) {
    const [error] = await waitFor(connect(auth), 'connect_error', TIMEOUT);
    assert.equal(error.message, 'unauthorized');
    return error.data.code;
  }

  test('socket.io-client: a missing, expired or forged token is refused; a valid one may publish only where its claims say', async () => {
    assert.equal(await refusal({}), 'token_missing');
    assert.equal(await refusal({ token: jwt({ sub_channels: ['*'] }, { seconds: -60 }) }), 'token_expired');
    assert.equal(await refusal({ token: jwt({ sub_channels: ['*'] }, { secret: 'forged-secret-0123456789-abcdefghijklmno' }) }), 'token_invalid');
    assert.equal(await refusal({ token: 'not-a-jwt' }), 'token_invalid');

    const socket = connect({ token: jwt({ sub: 'ann', sub_channels: 'news.*', pub_channels: ['news.sports'] }) });
    await waitFor(socket, 'connect', TIMEOUT);
    assert.equal((await ack(socket, 'subscribe', { channel: 'news.sports' })).ok, true);
    assert.equal((await ack(socket, 'subscribe', { channel: 'prices.AAPL' })).error.code, 'forbidden');
    assert.equal((await ack(socket, 'publish', { channel: 'news.weather', data: 1 })).error.code, 'forbidden');
    const delivered = waitFor(socket, 'goal', TIMEOUT);
    assert.equal((await ack(socket, 'publish', { channel: 'news.sports', event: 'goal', data: { score: '1-0' } })).ok, true);
    assert.deepEqual((await delivered)[0], { score: '1-0' });
    assertNoServerErrors(server);
  });

  test('SSE, long-poll and the plain WebSocket: 401 with the reason for a missing, expired or forged token; a valid token gets in', async () => {
    const valid = jwt({ sub_channels: ['news.*'] });
    const expired = jwt({ sub_channels: ['news.*'] }, { seconds: -60 });
    const forged = jwt({ sub_channels: ['news.*'] }, { secret: 'forged-secret-0123456789-abcdefghijklmno' });
    const code = (res) => JSON.parse(res.text).error.code;

    for (const endpoint of ['/sse', '/poll']) {
      const missing = await httpText(`${server.url}${endpoint}?channel=news.a`);
      assert.equal(missing.status, 401, endpoint);
      assert.equal(code(missing), 'token_missing', endpoint);
      const late = await httpText(`${server.url}${endpoint}?channel=news.a&token=${expired}`);
      assert.equal(code(late), 'token_expired', endpoint);
      const fake = await httpText(`${server.url}${endpoint}?channel=news.a`, { headers: { authorization: `Bearer ${forged}` } });
      assert.equal(code(fake), 'token_invalid', endpoint);
      const outside = await httpText(`${server.url}${endpoint}?channel=prices.AAPL&token=${valid}`);
      assert.equal(outside.status, 403, `${endpoint}: a channel outside the grant`);
    }

    const stream = new EventSource(`${server.url}/sse?channel=news.a`, {
      fetch: (url, init) => fetch(url, { ...init, headers: { ...init.headers, cookie: `sb_token=${valid}` } }),
    });
    try {
      await waitFor(stream, 'subscribed', TIMEOUT);
    } finally {
      stream.close();
    }

    const ws = `${server.url.replace('http', 'ws')}/ws`;
    assert.equal(await webSocketStatus(ws), 401);
    assert.equal(await webSocketStatus(`${ws}?token=${expired}`), 401);
    assert.equal(await webSocketStatus(`${ws}?token=${valid}`), 101);
    assertNoServerErrors(server);
  });

  test('a token limited to news.* reads and writes no other channel: channel events, the chat, SSE, long-poll, plain WebSocket, API', async () => {
    const newsOnly = jwt({ sub: 'ann', sub_channels: ['news.*'], pub_channels: ['news.*'] });
    const readOnlyChat = jwt({ sub: 'bob', sub_channels: ['chat.*'] });
    const chatUser = jwt({ sub: 'cat', sub_channels: ['chat.*'], pub_channels: ['chat.*'] });
    const room = `r${Date.now().toString(36)}`;
    const channel = `chat.${room}`;

    // Socket.IO: the channel events and the chat's handlers ask the same grant.
    const ann = connect({ token: newsOnly });
    await waitFor(ann, 'connect', TIMEOUT);
    assert.equal((await ack(ann, 'subscribe', { channel })).error.code, 'forbidden');
    assert.equal((await ack(ann, 'publish', { channel, data: 1 })).error.code, 'forbidden');
    const joined = await ann.timeout(TIMEOUT).emitWithAck('join', room, 'ann');
    assert.equal(joined.error.code, 'forbidden', 'the chat join asks the grant (subscribe)');
    assert.match(joined.error.message, new RegExp(`'${channel}'`));
    assert.equal((await ann.timeout(TIMEOUT).emitWithAck('chat message', 'hi')).error.code, 'not_joined');

    // Reading is not writing: a subscribe-only grant joins, but may not speak.
    const bob = connect({ token: readOnlyChat });
    await waitFor(bob, 'connect', TIMEOUT);
    assert.deepEqual(await bob.timeout(TIMEOUT).emitWithAck('join', room, 'bob'), { room, nickname: 'bob' });
    assert.equal((await bob.timeout(TIMEOUT).emitWithAck('chat message', 'hi')).error.code, 'forbidden', 'speaking asks the grant (publish)');

    // A grant that covers the room's channel: the chat works, and the room is the channel chat.<room>.
    const cat = connect({ token: chatUser });
    await waitFor(cat, 'connect', TIMEOUT);
    const bobHears = waitFor(bob, 'chat message', TIMEOUT);
    assert.deepEqual(await cat.timeout(TIMEOUT).emitWithAck('join', room, 'cat'), { room, nickname: 'cat' });
    assert.ok((await cat.timeout(TIMEOUT).emitWithAck('chat message', 'hello')).id);
    assert.equal((await bobHears)[0].text, 'hello');
    const history = await httpText(`${server.url}/api/history?channel=${channel}`, { headers: { 'x-api-key': 'key-one' } });
    // Only cat wrote into the channel: bob (read-only) joined silently, ann never got in.
    assert.deepEqual(JSON.parse(history.text).publications.map((p) => [p.event, p.data.nickname ?? p.data.text]),
      [['user joined', 'cat'], ['chat message', 'cat']]);

    // SSE and long-poll: 403 for a channel outside the grant.
    for (const endpoint of ['/sse', '/poll']) {
      const res = await httpText(`${server.url}${endpoint}?channel=${channel}&token=${newsOnly}`);
      assert.equal(res.status, 403, endpoint);
      assert.equal(JSON.parse(res.text).error.code, 'forbidden', endpoint);
    }

    // Plain WebSocket: forbidden for subscribe, publish, history and presence.
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws?token=${newsOnly}`);
    try {
      const replies = [];
      const waiters = [];
      ws.on('message', (data) => {
        const frame = JSON.parse(data.toString());
        if (frame.id === undefined) return;
        const waiter = waiters.find((w) => w.id === frame.id);
        if (waiter) waiter.resolve(frame); else replies.push(frame);
      });
      await waitFor(ws, 'open', TIMEOUT);
      const call = (id, op, fields) => withTimeout(new Promise((resolve) => {
        const early = replies.find((r) => r.id === id);
        if (early) resolve(early); else waiters.push({ id, resolve });
        ws.send(JSON.stringify({ id, op, ...fields }));
      }), TIMEOUT, `plain ${op}`);
      for (const [id, op] of [[1, 'subscribe'], [2, 'publish'], [3, 'history'], [4, 'presence']]) {
        const reply = await call(id, op, { channel, data: 1 });
        assert.equal(reply.ok, false, op);
        assert.equal(reply.error.code, 'forbidden', op);
      }
    } finally {
      ws.terminate();
    }

    // The HTTP API takes API keys only: a client token is no key.
    const api = await httpText(`${server.url}/api/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${newsOnly}` },
      body: JSON.stringify({ channel, data: 1 }),
    });
    assert.equal(api.status, 401);
    assertNoServerErrors(server);
  });

  test('the HTTP API at /api takes the keys of Switchboard:Api:Keys', async () => {
    const publish = (headers) => httpText(`${server.url}/api/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ channels: ['news.api'], event: 'note', data: { n: 1 } }),
    });

    assert.equal((await publish({})).status, 401);
    assert.equal((await publish({ 'x-api-key': 'wrong' })).status, 401);
    const accepted = await publish({ 'x-api-key': 'key-two' });
    assert.equal(accepted.status, 200, accepted.text);
    assertNoServerErrors(server);
  });
});

describe('standalone server: Origin checks on WebSocket endpoints', () => {
  test('a cross-origin WebSocket to /socket.io (AllowRequest) and to /ws is refused; same-origin and no Origin pass', async () => {
    const server = await startServer({ project: PROJECT, args: ['--Switchboard:Demos:TickerInterval=00:00:00'] });
    try {
      /** 101 when the handshake opens, else the refusal's status and body. */
      const status = (url, origin) => new Promise((resolve, reject) => {
        const ws = new WebSocket(url, { origin, handshakeTimeout: TIMEOUT });
        ws.once('open', () => { ws.terminate(); resolve(101); });
        ws.once('unexpected-response', (req, res) => {
          let body = '';
          res.on('data', (chunk) => { body += chunk; });
          res.on('end', () => { resolve({ status: res.statusCode, body }); req.destroy(); });
        });
        ws.once('error', reject);
      });
      const base = server.url.replace('http', 'ws');
      const engine = `${base}/socket.io/?EIO=4&transport=websocket`;

      const refused = await status(engine, 'http://elsewhere.example');
      assert.equal(refused.status, 403);
      assert.match(refused.body, /"code":4/, 'refused by Engine.IO AllowRequest, with its error body');
      assert.equal(await status(engine, server.url), 101);
      assert.equal((await status(`${base}/ws`, 'http://elsewhere.example')).status, 403);
      assert.equal(await status(`${base}/ws`, server.url), 101);
      assert.equal(await status(`${base}/ws`, undefined), 101);

      const polling = await withTimeout(rawRequest(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'http://elsewhere.example' } }).response, TIMEOUT, 'polling handshake');
      assert.equal(polling.status, 200, 'polling is left to CORS');
      assertNoServerErrors(server);
    } finally {
      await server.stop();
    }
  });
});

describe('standalone server: Host filtering (AllowedHosts)', () => {
  /** Status of a GET with this Host header, on every endpoint family. */
  async function statuses(server, host, { streams = true } = {}) {
    // An accepted SSE request never ends, so the SSE endpoint is asked only where it must be refused.
    const paths = ['/', '/socket.io/?EIO=4&transport=polling', '/poll?channel=news.a&timeout=0', ...(streams ? ['/sse?channel=news.a'] : [])];
    return Promise.all(paths.map(async (p) => {
      const res = await withTimeout(rawRequest(`${server.url}${p}`, { headers: { host } }).response, TIMEOUT, `GET ${p}`);
      return res.status;
    }));
  }

  for (const environment of ['Production', 'Development']) {
    test(`${environment}: a foreign Host header is ${environment === 'Production' ? 'refused with 400' : 'accepted'}; localhost and 127.0.0.1 pass`, async () => {
      const server = await startServer({
        project: PROJECT,
        args: ['--Switchboard:Demos:TickerInterval=00:00:00'],
        env: { ASPNETCORE_ENVIRONMENT: environment },
      });
      try {
        const port = new URL(server.url).port;
        const foreign = await statuses(server, `evil.example:${port}`, { streams: environment === 'Production' });
        if (environment === 'Production') {
          assert.deepEqual(foreign, [400, 400, 400, 400]);
        } else {
          assert.ok(foreign.every((s) => s !== 400), `a foreign host in Development: ${foreign}`);
        }
        for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
          const local = await statuses(server, host, { streams: false });
          assert.ok(local.every((s) => s === 200), `${host}: ${local}`);
        }
        assertNoServerErrors(server);
      } finally {
        await server.stop();
      }
    });
  }
});
