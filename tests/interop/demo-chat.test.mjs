// The standalone server (src/Switchboard.Server): the demo chat page in headless Chromium, driven by
// playwright-core, with two users chatting over each transport; and the server's configuration
// (the "Switchboard" section, CORS origins). The page loads the official socket.io client bundle
// that the build copies from npm. Needs Chromium (test.sh installs it; CHROMIUM_PATH).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { repoRoot, startServer } from './lib/server.mjs';
import { PollingSession, httpText, rawRequest } from './lib/wire.mjs';
import { launchChromium } from './lib/browser.mjs';

const PROJECT = 'src/Switchboard.Server';
const TIMEOUT = 10_000;
const RESULTS = path.join(repoRoot, '.test-results');

function assertNoServerErrors(server) {
  assert.doesNotMatch(server.output(), /^(fail|crit):/m, `the server logged errors:\n${server.output()}`);
}

describe('demo chat page in Chromium', () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer({ project: PROJECT });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A fresh browser context on the page; page errors and console errors are collected. */
  async function openPage(query) {
    const context = await browser.newContext({ viewport: { width: 900, height: 640 } });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    const errors = [];
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`);
    });
    await page.goto(`${server.url}/${query}`);
    await page.waitForFunction(() => window.chat?.socket?.connected === true, null, { timeout: TIMEOUT });
    return { context, page, errors };
  }

  const transportOf = (page) => page.evaluate(() => window.chat.socket.io.engine.transport.name);

  async function join({ page }, room, nickname) {
    await page.fill('#nickname', nickname);
    await page.fill('#room', room);
    await page.click('#join');
    await page.locator('#room-title', { hasText: `#${room} · you are ${nickname}` }).waitFor();
    assert.equal(await page.isEnabled('#message'), true, 'the message box is enabled after joining');
  }

  /**
   * `from` types and sends `text`: `to` sees the typing indicator, then the message, and the
   * indicator goes away; `from` sees its message acknowledged with a ✓.
   */
  async function say(from, fromName, to, text, { whileTyping } = {}) {
    await from.page.locator('#message').pressSequentially(text);
    await to.page.locator('#typing', { hasText: `${fromName} is typing…` }).waitFor();
    await whileTyping?.();

    await from.page.press('#message', 'Enter');
    const received = to.page.locator('#messages li.message:not(.own)', { hasText: text });
    await received.waitFor();
    assert.equal(await received.locator('.from').textContent(), fromName);
    assert.equal(await received.locator('.text').textContent(), text);

    const own = from.page.locator('#messages li.own', { hasText: text });
    await from.page.locator('#messages li.own[data-state="acked"]', { hasText: text }).waitFor();
    assert.equal(await own.locator('.ack').textContent(), '✓');
    assert.match(await own.getAttribute('data-id'), /^[0-9a-f]{32}$/, 'the ack carried the message id');

    await to.page.waitForFunction(() => document.getElementById('typing').textContent === '', null, { timeout: TIMEOUT });
  }

  for (const transport of ['polling', 'websocket']) {
    test(`over ${transport}: two pages chat both ways, see each other's messages, ✓ acks and the typing indicator`, async () => {
      const alice = await openPage(`?transport=${transport}`);
      const bob = await openPage(`?transport=${transport}`);
      try {
        assert.equal(await transportOf(alice.page), transport);
        assert.equal(await transportOf(bob.page), transport);

        const room = `demo-${transport}`;
        await join(alice, room, 'alice');
        await join(bob, room, 'bob');
        await alice.page.locator('#messages li.notice', { hasText: 'bob joined.' }).waitFor();

        await say(alice, 'alice', bob, `Hi bob, this is ${transport}`);
        // One screenshot, for a person to look at: alice's page with her acked message and bob typing.
        const screenshot = transport === 'websocket'
          ? async () => {
            mkdirSync(RESULTS, { recursive: true });
            await alice.page.screenshot({ path: path.join(RESULTS, 'demo-chat.png') });
          }
          : undefined;
        await say(bob, 'bob', alice, 'Hello alice, all good here', { whileTyping: screenshot });

        assert.equal(await transportOf(alice.page), transport, 'alice kept the forced transport');
        assert.equal(await transportOf(bob.page), transport, 'bob kept the forced transport');
        assert.deepEqual([...alice.errors, ...bob.errors], [], 'no page or console errors');
        assertNoServerErrors(server);
      } finally {
        await alice.context.close();
        await bob.context.close();
      }
    });
  }

  test('without ?transport the page connects on polling and upgrades to websocket', async () => {
    const carol = await openPage('');
    try {
      await carol.page.waitForFunction(() => window.chat.socket.io.engine.transport.name === 'websocket', null, { timeout: TIMEOUT });
      await carol.page.locator('#status', { hasText: 'connected · websocket' }).waitFor();
      assert.deepEqual(carol.errors, [], 'no page or console errors');
    } finally {
      await carol.context.close();
    }
  });

  test('invalid input is refused with an error ack and shown on the page', async () => {
    const dave = await openPage('?transport=websocket');
    try {
      await dave.page.fill('#nickname', 'dave');
      // The input's pattern is bypassed on purpose: the server is the one that must refuse it.
      await dave.page.evaluate(() => { document.getElementById('room').removeAttribute('pattern'); });
      await dave.page.fill('#room', 'Not A Room!');
      await dave.page.click('#join');
      await dave.page.locator('#messages li.notice', { hasText: 'Could not join: A room name is' }).waitFor();
      assert.equal(await dave.page.isDisabled('#message'), true, 'the message box stays disabled');
    } finally {
      await dave.context.close();
    }
  });
});

/** Status of a WebSocket handshake to `url` sent with `origin`: 101 when it opens. */
function webSocketHandshake(url, origin) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin, handshakeTimeout: TIMEOUT });
    ws.once('open', () => { ws.terminate(); resolve(101); });
    ws.once('unexpected-response', (_req, res) => { resolve(res.statusCode); ws.terminate(); });
    ws.once('error', (err) => { if (!/Unexpected server response/.test(err.message)) reject(err); });
  });
}

describe('standalone server configuration', () => {
  const handshakePath = '/socket.io/?EIO=4&transport=polling';
  const wsPath = '/socket.io/?EIO=4&transport=websocket';

  test('the Switchboard section binds from environment variables and the command line, TimeSpans included', async () => {
    const server = await startServer({
      project: PROJECT,
      env: { Switchboard__Engine__PingInterval: '00:00:07' },
      args: ['--Switchboard:Engine:PingTimeout=00:00:03', '--Switchboard:Engine:MaxPayload=4242'],
    });
    try {
      const res = await httpText(`${server.url}${handshakePath}`);
      assert.equal(res.status, 200);
      const handshake = JSON.parse(res.text.slice(1));
      assert.equal(handshake.pingInterval, 7000, 'PingInterval from Switchboard__Engine__PingInterval');
      assert.equal(handshake.pingTimeout, 3000, 'PingTimeout from --Switchboard:Engine:PingTimeout');
      assert.equal(handshake.maxPayload, 4242, 'MaxPayload from --Switchboard:Engine:MaxPayload');
      assertNoServerErrors(server);
    } finally {
      await server.stop();
    }
  });

  test('--Switchboard:ConnectTimeout closes a session that joins no namespace in time', async () => {
    const server = await startServer({ project: PROJECT, args: ['--Switchboard:ConnectTimeout=00:00:00.500'] });
    try {
      const session = await PollingSession.open(`${server.url}/socket.io/`);
      // The default is 45 s: a close within the poll's 5 s limit shows the configured value in force.
      const res = await session.get(5_000);
      assert.equal(res.status, 200);
      assert.equal(res.text, '1', 'the pending poll ends with a close packet');
    } finally {
      await server.stop();
    }
  });

  test('without Cors origins: no CORS headers, cross-origin WebSocket handshakes refused, same-origin accepted', async () => {
    const server = await startServer({ project: PROJECT });
    try {
      const { response } = rawRequest(`${server.url}${handshakePath}`, { headers: { origin: 'http://elsewhere.example' } });
      const res = await response;
      assert.equal(res.status, 200, 'non-browser semantics: the request itself is served');
      assert.equal(res.headers['access-control-allow-origin'], undefined, 'but a browser may not read it');

      assert.equal(await webSocketHandshake(`${server.url.replace('http', 'ws')}${wsPath}`, 'http://elsewhere.example'), 403);
      assert.equal(await webSocketHandshake(`${server.url.replace('http', 'ws')}${wsPath}`, server.url), 101);
      assertNoServerErrors(server);
    } finally {
      await server.stop();
    }
  });

  test('with Switchboard:Cors:Origins: listed origins get CORS with credentials and WebSockets, others do not', async () => {
    const allowed = 'http://allowed.example:8443';
    const server = await startServer({ project: PROJECT, args: [`--Switchboard:Cors:Origins:0=${allowed}`] });
    try {
      const preflight = await rawRequest(`${server.url}${handshakePath}`, {
        method: 'OPTIONS',
        headers: { origin: allowed, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      }).response;
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers['access-control-allow-origin'], allowed);
      assert.equal(preflight.headers['access-control-allow-credentials'], 'true');
      assert.match(preflight.headers['access-control-allow-methods'] ?? '', /POST/);

      const listed = await rawRequest(`${server.url}${handshakePath}`, { headers: { origin: allowed } }).response;
      assert.equal(listed.status, 200);
      assert.equal(listed.headers['access-control-allow-origin'], allowed);
      assert.equal(listed.headers['access-control-allow-credentials'], 'true');

      const other = await rawRequest(`${server.url}${handshakePath}`, { headers: { origin: 'http://elsewhere.example' } }).response;
      assert.equal(other.headers['access-control-allow-origin'], undefined);

      const ws = `${server.url.replace('http', 'ws')}${wsPath}`;
      assert.equal(await webSocketHandshake(ws, allowed), 101);
      assert.equal(await webSocketHandshake(ws, 'http://elsewhere.example'), 403);
      assertNoServerErrors(server);
    } finally {
      await server.stop();
    }
  });
});
