// Engine.IO compression and engine events against tests/interop/server started with
// --Interop:Engine=true (tests/interop/server/EngineProfile.cs): permessage-deflate on, HTTP
// compression at its default (on, 1024 bytes), and every io.Engine event recorded, read back with the
// `engine-events` event; `large` (n) acknowledges n repetitive characters. Clients: the official
// socket.io-client in Node (its `ws` offers permessage-deflate; its default XHR polling sends no
// Accept-Encoding, its Fetch transport does) and in headless Chromium (CHROMIUM_PATH).
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, test } from 'node:test';
import { Fetch } from 'engine.io-client';
import { ClientPool, INTEROP_DLL, INTEROP_PROJECT, connected, emitAck, errorLogEntries, waitFor } from './lib/socketio.mjs';
import { startServer } from './lib/server.mjs';
import { launchChromium } from './lib/browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLIENT_BUNDLE = path.join(here, 'node_modules', 'socket.io-client', 'dist', 'socket.io.min.js');
const TIMEOUT = 10_000;

/** What `large` (n) answers. */
const large = (n) => 'switchboard '.repeat(Math.ceil(n / 12) + 1).slice(0, n);

let server;
let pool;

before(async () => {
  server = await startServer({
    project: INTEROP_PROJECT,
    dll: INTEROP_DLL,
    args: ['--Interop:Engine=true'],
    env: { 'Logging__LogLevel__Microsoft.AspNetCore': 'Warning' },
  });
  pool = new ClientPool(`${server.url}`);
});

afterEach(() => pool.closeAll());

after(async () => {
  await server?.stop();
  assert.deepEqual(errorLogEntries(server?.output() ?? ''), [], 'the server logged errors');
});

/** The server's records of engine events, through a socket of its own. */
async function engineEvents() {
  const socket = pool.socket('/', { transports: ['websocket'] });
  await connected(socket);
  const [records] = await emitAck(socket, 'engine-events');
  socket.disconnect();
  return records;
}

describe('perMessageDeflate with the official client', () => {
  test('the WebSocket negotiates permessage-deflate and large messages travel compressed both ways', async () => {
    const socket = pool.socket('/', { transports: ['websocket'] });
    await connected(socket);
    const ws = socket.io.engine.transport.ws;
    assert.equal(ws.extensions, 'permessage-deflate', 'the extension the server accepted');

    const size = 60_000;
    const readBefore = ws._socket.bytesRead;
    const [text] = await emitAck(socket, 'large', size);
    assert.equal(text, large(size), 'the large payload arrives intact');
    const read = ws._socket.bytesRead - readBefore;
    assert.ok(read < size / 10, `${read} bytes read for a ${size}-character answer: it was compressed`);

    // The client compresses too (ws, over 1024 bytes): the server inflates it and echoes it back.
    const writtenBefore = ws._socket.bytesWritten;
    const [echoed] = await emitAck(socket, 'echo', large(size));
    assert.equal(echoed, large(size));
    const written = ws._socket.bytesWritten - writtenBefore;
    assert.ok(written < size / 10, `${written} bytes written for ${size} characters`);
  });

  test('an upgrade from polling raises upgrading then upgrade, and the upgraded WebSocket is compressed', async () => {
    const socket = pool.socket('/', { transports: ['polling', 'websocket'] });
    await connected(socket);
    const engine = socket.io.engine;
    if (engine.transport.name !== 'websocket') await waitFor(engine, 'upgrade', TIMEOUT);
    assert.equal(engine.transport.ws.extensions, 'permessage-deflate');
    const [text] = await emitAck(socket, 'large', 20_000);
    assert.equal(text, large(20_000));

    const upgrades = (await engineEvents()).filter((r) => r.sid === engine.id && /^upgrad/.test(r.event));
    assert.deepEqual(upgrades, [
      { event: 'upgrading', sid: engine.id, transport: 'websocket' },
      { event: 'upgrade', sid: engine.id, transport: 'websocket' },
    ]);
  });
});

describe('httpCompression with the official client', () => {
  test('the Fetch transport (which sends Accept-Encoding) gets large polls gzip-encoded', async () => {
    const encodings = [];
    const onHeaders = ({ request, response }) => {
      if (!request.path.includes('transport=polling')) return;
      for (let i = 0; i < response.headers.length; i += 2) {
        if (response.headers[i].toString().toLowerCase() === 'content-encoding') encodings.push(response.headers[i + 1].toString());
      }
    };
    diagnostics.subscribe('undici:request:headers', onHeaders);
    try {
      const socket = pool.socket('/', { transports: [Fetch] });
      await connected(socket);
      assert.equal(socket.io.engine.transport.name, 'polling');
      const [text] = await emitAck(socket, 'large', 50_000);
      assert.equal(text, large(50_000), 'the gzip body was decoded to the same payload');
      assert.ok(encodings.includes('gzip'), `the client saw Content-Encoding ${JSON.stringify(encodings)}`);

      const records = (await engineEvents()).filter((r) => r.event === 'headers' && r.sid === socket.io.engine.id);
      assert.ok(records.some((r) => r.contentEncoding === 'gzip'), 'the headers event saw the encoding it set');
      assert.ok(records.some((r) => r.contentEncoding === null), 'short answers (the POSTs\' "ok") are not encoded');
    } finally {
      diagnostics.unsubscribe('undici:request:headers', onHeaders);
    }
  });

  test('the default XHR transport sends no Accept-Encoding, so its polls are not compressed', async () => {
    const socket = pool.socket('/', { transports: ['polling'] });
    await connected(socket);
    const [text] = await emitAck(socket, 'large', 50_000);
    assert.equal(text, large(50_000));

    const records = (await engineEvents()).filter((r) => r.event === 'headers' && r.sid === socket.io.engine.id);
    assert.ok(records.length >= 2, 'the session\'s responses were seen');
    assert.ok(records.every((r) => r.contentEncoding === null), JSON.stringify(records));
  });
});

describe('engine events with the official client', () => {
  test('initial_headers sets a cookie that the client (withCredentials) sends back on every request', async () => {
    const socket = pool.socket('/', { transports: ['polling', 'websocket'], withCredentials: true });
    await connected(socket);
    const engine = socket.io.engine;
    if (engine.transport.name !== 'websocket') await waitFor(engine, 'upgrade', TIMEOUT);

    const records = await engineEvents();
    const later = records.filter((r) => r.event === 'headers' && r.sid === engine.id);
    assert.ok(later.some((r) => r.transport === 'polling') && later.some((r) => r.transport === 'websocket'), JSON.stringify(later));
    const cookies = new Set(later.map((r) => r.requestCookie));
    assert.equal(cookies.size, 1, `one cookie on every request: ${[...cookies]}`);
    const [cookie] = cookies;
    assert.match(cookie ?? '', /^interop=\d+$/);
    const initial = records.find((r) => r.event === 'initial_headers' && r.cookie === cookie);
    assert.equal(initial?.transport, 'polling', 'the cookie was set by initial_headers on the polling handshake');
  });

  test('connection_error reports a request for an unknown sid with code 1', async () => {
    const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling&sid=no-such-sid`, { signal: AbortSignal.timeout(TIMEOUT) });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { code: 1, message: 'Session ID unknown' });

    const errors = (await engineEvents()).filter((r) => r.event === 'connection_error');
    assert.deepEqual(errors.find((e) => e.context.sid === 'no-such-sid'), {
      event: 'connection_error',
      code: 1,
      message: 'Session ID unknown',
      context: { sid: 'no-such-sid' },
      url: '/socket.io/?EIO=4&transport=polling&sid=no-such-sid',
    });
  });

  test('connection_error reports the official client polling with a sid the server does not know', async () => {
    const socket = pool.socket('/', { transports: ['polling'], reconnection: false });
    await connected(socket);
    // The client's next requests carry a forged sid: the server refuses them with code 1.
    socket.io.engine.transport.query.sid = 'forged-sid';
    const disconnected = waitFor(socket, 'disconnect', TIMEOUT);
    socket.emit('echo', 'after the forgery');
    const [reason] = await disconnected;
    assert.equal(reason, 'transport error', 'the client gave up on the refused request');

    const refusal = (await engineEvents()).find((r) => r.event === 'connection_error' && r.context.sid === 'forged-sid');
    assert.equal(refusal?.code, 1, JSON.stringify(refusal));
    assert.equal(refusal.message, 'Session ID unknown');
    assert.match(refusal.url, /^\/socket\.io\/\?EIO=4&transport=polling.*&sid=forged-sid/);
  });
});

describe('compression in Chromium', () => {
  let browser;

  before(async () => { browser = await launchChromium(); });
  after(async () => { await browser?.close(); });

  /**
   * A page on the server's origin with the official browser bundle loaded. The interop app serves no
   * page, and a page made up by the test (route.fulfill) counts as a public one, whose WebSocket to
   * 127.0.0.1 Chromium's local network access checks block; so the page is the text of a polling
   * handshake (an unused session, which times out).
   */
  async function openPage() {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    const errors = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${server.url}/socket.io/?EIO=4&transport=polling&page=1`);
    await page.addScriptTag({ path: CLIENT_BUNDLE });
    return { context, page, errors };
  }

  /** Connects `transports` in the page and resolves with what the page saw of a `large` answer. */
  function runInPage(page, transports, size) {
    return page.evaluate(async ({ transports, size, timeout }) => {
      const socket = window.io({ transports, reconnection: false });
      await new Promise((resolve, reject) => {
        socket.on('connect', resolve);
        socket.on('connect_error', reject);
        setTimeout(() => reject(new Error('no connect')), timeout);
      });
      const engine = socket.io.engine;
      if (transports.includes('websocket') && engine.transport.name !== 'websocket') {
        await new Promise((resolve, reject) => {
          engine.once('upgrade', resolve);
          setTimeout(() => reject(new Error('no upgrade')), timeout);
        });
      }
      const text = await socket.timeout(timeout).emitWithAck('large', size);
      // The other way: the browser compresses what it sends once the extension is on.
      const sent = 'from the browser '.repeat(size / 17);
      const echoed = await socket.timeout(timeout).emitWithAck('echo', sent);
      const result = { text, echoedIntact: echoed === sent, sid: engine.id, transport: engine.transport.name, extensions: engine.transport.ws?.extensions ?? null };
      socket.disconnect();
      return result;
    }, { transports, size, timeout: TIMEOUT });
  }

  test('the browser\'s WebSocket negotiates permessage-deflate and a large payload arrives intact', async () => {
    const { context, page, errors } = await openPage();
    try {
      const result = await runInPage(page, ['polling', 'websocket'], 80_000);
      assert.equal(result.transport, 'websocket');
      assert.match(result.extensions, /^permessage-deflate/, `extensions: ${result.extensions}`);
      assert.equal(result.text, large(80_000));
      assert.equal(result.echoedIntact, true, 'what the browser sent came back the same');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test('the browser\'s polls are gzip-encoded over the threshold and decoded intact', async () => {
    const { context, page, errors } = await openPage();
    const polls = [];
    page.on('response', async (response) => {
      if (response.url().includes('transport=polling') && response.request().method() === 'GET') {
        polls.push((await response.allHeaders())['content-encoding'] ?? null);
      }
    });
    try {
      const result = await runInPage(page, ['polling'], 80_000);
      assert.equal(result.transport, 'polling');
      assert.equal(result.text, large(80_000));
      const records = (await engineEvents()).filter((r) => r.event === 'headers' && r.sid === result.sid);
      assert.ok(records.some((r) => r.contentEncoding === 'gzip'), JSON.stringify(records));
      assert.ok(polls.includes('gzip'), `Content-Encoding of the polls: ${JSON.stringify(polls)}`);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
