// The collaborative cursors demo (src/Switchboard.Server/wwwroot/cursors.html) on the standalone server
// with its own appsettings.json: 'cursors.*' conflated by the data's id (LatestPerKey), history of one,
// anonymous publish. Two Chromium pages on one board, a third participant that stops reading, and the
// conflation itself seen by a plain WebSocket subscriber. Needs Chromium (CHROMIUM_PATH).
//
// A client that stops reading is only held up by the server once the network buffers between them are
// full, and on loopback they take several MB (a paused subscriber here took in 8,000 cursor publications,
// 1.7 MB, without the server's send ever waiting). At cursor rates that is minutes, so the tests saturate
// the stalled client's link first with 'noise' publications of 60 KB in the same channel (the page
// ignores events it does not know); after that, what waits for the client is what the policy keeps.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { repoRoot, startServer, waitFor, withTimeout } from './lib/server.mjs';
import { launchChromium } from './lib/browser.mjs';

const PROJECT = 'src/Switchboard.Server';
const TIMEOUT = 10_000;
const RESULTS = path.join(repoRoot, '.test-results');
// 250 x 60 KB = 15 MB: well past what loopback buffers hold for one paused client (3-6 MB measured).
const NOISE_COUNT = 250;
const NOISE = 'n'.repeat(60_000);

function assertNoServerErrors(server) {
  assert.doesNotMatch(server.output(), /^(fail|crit):/m, `the server logged errors:\n${server.output()}`);
}

/** Resolves when the server's output matches `pattern` (already, or in a later chunk); rejects after timeoutMs. */
function waitForLog(server, pattern, timeoutMs) {
  if (pattern.test(server.output())) return Promise.resolve();
  const { stdout, stderr } = server.process;
  let onData;
  const seen = new Promise((resolve) => {
    onData = () => { if (pattern.test(server.output())) resolve(); };
    stdout.on('data', onData);
    stderr.on('data', onData);
  });
  return withTimeout(seen, timeoutMs, `server log ${pattern}`).finally(() => {
    stdout.off('data', onData);
    stderr.off('data', onData);
  });
}

/** A plain WebSocket protocol client (docs/protocols/websocket.md) on one channel: requests by id, pushes kept. */
class Participant {
  static async join(server, channel) {
    const participant = new Participant(server, channel);
    const [welcome] = await waitFor(participant.ws, 'message', TIMEOUT);
    participant.connectionId = JSON.parse(welcome.toString()).connectionId;
    const reply = await participant.request({ op: 'subscribe', channel });
    assert.equal(reply.ok, true, JSON.stringify(reply));
    return participant;
  }

  constructor(server, channel) {
    this.channel = channel;
    this.pubs = [];
    this.pending = new Map();
    this.nextId = 0;
    this.onPub = null;
    this.ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws`, { perMessageDeflate: false });
    this.ws.on('error', () => { /* a cut connection: seen through 'close' */ });
    this.closed = new Promise((resolve) => this.ws.once('close', (code) => resolve(code)));
    this.ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type === 'pub') {
        this.pubs.push(frame);
        this.onPub?.(frame);
      } else if (frame.type === undefined && this.pending.has(frame.id)) {
        this.pending.get(frame.id)(frame);
        this.pending.delete(frame.id);
      }
    });
  }

  request(op) {
    const id = ++this.nextId;
    const reply = new Promise((resolve) => this.pending.set(id, resolve));
    this.ws.send(JSON.stringify({ id, ...op }));
    return withTimeout(reply, TIMEOUT, `reply to ${op.op}`);
  }

  /** Publishes on the channel, waiting out the per-connection rate limit (50/s, bursts of 100). */
  async publish(event, data) {
    for (let tries = 0; ; tries++) {
      const reply = await this.request({ op: 'publish', channel: this.channel, event, data, echo: false });
      if (reply.ok) return reply;
      assert.equal(reply.error.code, 'rate_limited', JSON.stringify(reply));
      assert.ok(tries < 100, 'rate limited for over 2 s');
      await new Promise((resolve) => { setTimeout(resolve, 20); });
    }
  }

  /** Resolves with the first pub, received already or later, that satisfies `predicate`. */
  pubWhere(predicate, timeoutMs = TIMEOUT) {
    const found = this.pubs.find(predicate);
    if (found) return Promise.resolve(found);
    return withTimeout(new Promise((resolve) => {
      this.onPub = (frame) => { if (predicate(frame)) { this.onPub = null; resolve(frame); } };
    }), timeoutMs, 'publication');
  }
}

/** Publishes NOISE_COUNT 60 KB 'noise' events (one key) from fresh connections, 100 per connection. */
async function saturate(server, channel) {
  const publishers = await Promise.all(Array.from({ length: Math.ceil(NOISE_COUNT / 100) }, () => Participant.join(server, `noise.${randomUUID()}`)));
  try {
    await Promise.all(publishers.map(async (publisher, i) => {
      publisher.channel = channel;
      for (let n = i * 100; n < Math.min(NOISE_COUNT, (i + 1) * 100); n++) await publisher.publish('noise', { id: 'noise', n, pad: NOISE });
    }));
  } finally {
    for (const publisher of publishers) publisher.ws.close();
  }
}

describe('cursors demo', () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer({ project: PROJECT, args: ['--Switchboard:Demos:TickerInterval=00:00:00'] });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function openBoard(room, viewport = { width: 900, height: 760 }) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    const errors = [];
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    page.on('console', (message) => { if (message.type() === 'error') errors.push(`console: ${message.text()}`); });
    await page.goto(`${server.url}/cursors.html?room=${room}`);
    await page.waitForFunction(() => window.cursors?.connected === true, null, { timeout: TIMEOUT });
    const id = await page.evaluate(() => window.cursors.me.id);
    return { context, page, errors, id };
  }

  /** Moves the mouse to (x, y), relative 0..1 on the page's board. */
  async function moveTo(page, x, y, steps = 8) {
    const box = await page.locator('#board').boundingBox();
    await page.mouse.move(box.x + x * box.width, box.y + y * box.height, { steps });
  }

  /** Waits until `viewer` shows `mover`'s pointer where `mover` last put it, and returns that position. */
  async function waitForPointer(viewer, mover, timeout = 3_000) {
    await mover.page.waitForFunction(() => window.cursors.x !== null, null, { timeout });
    const { x, y } = await mover.page.evaluate(() => ({ x: window.cursors.x, y: window.cursors.y }));
    await viewer.page.waitForFunction(({ id, x, y }) => {
      const cursor = document.querySelector(`#board .cursor[data-id="${id}"]`);
      return cursor && !cursor.hidden && cursor.dataset.x === String(x) && cursor.dataset.y === String(y);
    }, { id: mover.id, x, y }, { timeout });
    return { x, y };
  }

  test('two pages: each sees the other in the list, and B draws A\'s pointer where A put it', async () => {
    const room = `r${randomUUID().slice(0, 8)}`;
    const a = await openBoard(room);
    const b = await openBoard(room);
    try {
      for (const [viewer, other] of [[a, b], [b, a]]) await viewer.page.locator(`#people li[data-id="${other.id}"]`).waitFor();

      await moveTo(a.page, 0.25, 0.6);
      const shown = await waitForPointer(b, a);
      assert.ok(Math.abs(shown.x - 0.25) < 0.01 && Math.abs(shown.y - 0.6) < 0.01, `A published ${JSON.stringify(shown)}`);
      // Drawn there too, once the easing settles: the arrow's tip is the cursor element's corner.
      await b.page.waitForFunction(({ id, x, y }) => {
        const board = document.getElementById('board').getBoundingClientRect();
        const cursor = document.querySelector(`.cursor[data-id="${id}"]`).getBoundingClientRect();
        return Math.abs((cursor.left - board.left) / board.width - x) < 0.005 && Math.abs((cursor.top - board.top) / board.height - y) < 0.005;
      }, { id: a.id, ...shown }, { timeout: 3_000 });
      assert.match(await b.page.locator(`.cursor[data-id="${a.id}"] .name`).textContent(), /^\w+ \w+$/);

      // Off the board: B hides the pointer but A is still here.
      await a.page.mouse.move(1, 1);
      await b.page.locator(`.cursor[data-id="${a.id}"]`).waitFor({ state: 'hidden' });
      await b.page.locator(`#people li[data-id="${a.id}"]`).waitFor();
      await b.page.locator('#status', { hasText: /^live · \d+ msg\/s$/ }).waitFor();

      // Leaving says so (a 'leave' on pagehide): B drops A at once, not after the 10 s silence.
      await a.page.goto('about:blank');
      await b.page.locator(`#people li[data-id="${a.id}"]`).waitFor({ state: 'detached', timeout: 3_000 });
      assert.deepEqual([...a.errors, ...b.errors], [], 'no page or console errors');
      assertNoServerErrors(server);
    } finally {
      await a.context.close();
      await b.context.close();
    }
  });

  test('a third participant stops reading: B still follows A live, the server cuts the stalled one, and both pages drop it', { timeout: 90_000 }, async () => {
    const room = `r${randomUUID().slice(0, 8)}`;
    const channel = `cursors.${room}`;
    const a = await openBoard(room);
    const b = await openBoard(room);
    const stalled = await Participant.join(server, channel);
    const me = { id: 'stalled', name: 'Stalled Sloth', color: '#6b7280' };
    let heartbeat;
    try {
      await stalled.publish('move', { ...me, x: 0.5, y: 0.5 });
      for (const viewer of [a, b]) await viewer.page.locator('#people li[data-id="stalled"]').waitFor();
      await a.page.waitForFunction(() => window.cursors.connections === 3, null, { timeout: TIMEOUT });

      // It stops reading but keeps saying it is here, as a frozen client whose socket still writes would.
      stalled.ws.pause();
      heartbeat = setInterval(() => { if (stalled.ws.readyState === WebSocket.OPEN) stalled.ws.send(JSON.stringify({ op: 'publish', channel, event: 'move', data: { ...me, x: 0.5, y: 0.5 } })); }, 1_000);
      const cut = waitForLog(server, new RegExp(`${stalled.connectionId}: (a send took longer|disconnected by the server \\(slow_consumer)`), 30_000);
      await saturate(server, channel);

      // A keeps moving, publishing as fast as the page does, until the server gives up on the stalled one.
      const publishedBefore = await a.page.evaluate(() => window.cursors.published);
      let isCut = false;
      cut.then(() => { isCut = true; }, () => {});
      for (let i = 0; !isCut; i++) {
        await moveTo(a.page, 0.1 + 0.8 * ((i % 20) / 20), 0.2 + 0.6 * ((i % 7) / 7), 4);
        if (i === 40) await waitForPointer(b, a, 2_000); // mid-stall, B is live
        if (i > 2_000) break;
      }
      await cut;
      const published = (await a.page.evaluate(() => window.cursors.published)) - publishedBefore;
      assert.ok(published > 50, `A published ${published} positions during the stall`);

      await moveTo(a.page, 0.8, 0.3);
      const last = await waitForPointer(b, a, 2_000);
      assert.ok(Math.abs(last.x - 0.8) < 0.01 && Math.abs(last.y - 0.3) < 0.01, `A's final position ${JSON.stringify(last)}`);

      // Reading again, the stalled client finds its connection gone (aborted after the send timeout: 1006).
      stalled.ws.resume();
      const code = await withTimeout(stalled.closed, TIMEOUT, 'the stalled connection to end');
      assert.ok([1006, 4001].includes(code), `closed with ${code}`);

      // Its heartbeats no longer reach anyone: both pages drop it, and the channel counts two connections.
      for (const viewer of [a, b]) await viewer.page.locator('#people li[data-id="stalled"]').waitFor({ state: 'detached', timeout: 15_000 });
      await a.page.waitForFunction(() => window.cursors.connections === 2, null, { timeout: TIMEOUT });
      await b.page.waitForFunction(() => window.cursors.connections === 2, null, { timeout: TIMEOUT });
      assert.equal(await b.page.locator('#board .cursor').count(), 1, 'B draws A only');
      mkdirSync(RESULTS, { recursive: true });
      await b.page.screenshot({ path: path.join(RESULTS, 'demo-cursors.png') });
      assert.deepEqual([...a.errors, ...b.errors], [], 'no page or console errors');
      assertNoServerErrors(server);
    } finally {
      clearInterval(heartbeat);
      stalled.ws.terminate();
      await a.context.close();
      await b.context.close();
    }
  });

  test('conflation: a subscriber that lags gets A\'s newest position once, not the 200 it missed', { timeout: 60_000 }, async () => {
    const channel = `cursors.c${randomUUID().slice(0, 8)}`;
    const lagging = await Participant.join(server, channel);
    const mover = await Participant.join(server, `noise.${randomUUID()}`);
    mover.channel = channel;
    try {
      lagging.ws.pause();
      await saturate(server, channel);
      for (let i = 1; i <= 200; i++) await mover.publish('move', { id: 'a', name: 'A', color: '#2563eb', x: i / 200, y: 1 - i / 200 });
      lagging.ws.resume();

      await lagging.pubWhere((p) => p.event === 'move' && p.data.x === 1, TIMEOUT);
      // A fence: every push queued before the ping has arrived when its reply does.
      assert.equal((await lagging.request({ op: 'ping' })).ok, true);
      const moves = lagging.pubs.filter((p) => p.event === 'move');
      assert.ok(moves.length <= 5, `received ${moves.length} of A's 200 positions`);
      assert.deepEqual(moves.at(-1).data, { id: 'a', name: 'A', color: '#2563eb', x: 1, y: 0 }, 'the last is A\'s final position');
      assert.equal(lagging.pubs.at(-1), moves.at(-1), 'nothing after it');
      for (let i = 1; i < lagging.pubs.length; i++) assert.ok(lagging.pubs[i].offset > lagging.pubs[i - 1].offset, 'in order');
      const noise = lagging.pubs.filter((p) => p.event === 'noise');
      assert.ok(noise.length < NOISE_COUNT, `the 60 KB noise conflated too (${noise.length} of ${NOISE_COUNT})`);
      assert.equal(lagging.ws.readyState, WebSocket.OPEN, 'not cut: what waited for it stayed one publication per key');

      // History of 'cursors.*' is one publication (appsettings.json), so nothing old is replayed to a newcomer.
      const history = await lagging.request({ op: 'history', channel });
      assert.deepEqual(history.publications.map((p) => p.data), [{ id: 'a', name: 'A', color: '#2563eb', x: 1, y: 0 }]);
      assertNoServerErrors(server);
    } finally {
      lagging.ws.terminate();
      mover.ws.terminate();
    }
  });

  test('the server restarts: the page says so, reconnects with backoff and finds the others again', { timeout: 60_000 }, async () => {
    const own = await startServer({ project: PROJECT, args: ['--Switchboard:Demos:TickerInterval=00:00:00'] });
    let restarted;
    const room = `r${randomUUID().slice(0, 8)}`;
    const contexts = [];
    try {
      const open = async () => {
        const context = await browser.newContext({ viewport: { width: 900, height: 760 } });
        contexts.push(context);
        const page = await context.newPage();
        await page.goto(`${own.url}/cursors.html?room=${room}`);
        await page.waitForFunction(() => window.cursors?.connected === true, null, { timeout: TIMEOUT });
        return { page, id: await page.evaluate(() => window.cursors.me.id) };
      };
      const a = await open();
      const b = await open();
      await b.page.locator(`#people li[data-id="${a.id}"]`).waitFor();

      await own.stop();
      await a.page.locator('#status[data-state="connecting"]', { hasText: 'reconnecting…' }).waitFor();
      assert.equal(await b.page.locator('#board .cursor').count(), 0, 'no stale pointers while away');
      restarted = await startServer({ project: PROJECT, args: ['--Switchboard:Demos:TickerInterval=00:00:00', '--urls', `http://127.0.0.1:${own.port}`] });
      for (const viewer of [a, b]) await viewer.page.waitForFunction(() => window.cursors.connected === true, null, { timeout: 20_000 });
      await b.page.locator(`#people li[data-id="${a.id}"]`).waitFor();
      await moveTo(a.page, 0.4, 0.4);
      await waitForPointer(b, a);
      assertNoServerErrors(restarted);
    } finally {
      for (const context of contexts) await context.close();
      await own.stop();
      await restarted?.stop();
    }
  });

  test('on a 390 px wide screen the board fits and the page does not scroll sideways', async () => {
    const { context, page, errors } = await openBoard(`r${randomUUID().slice(0, 8)}`, { width: 390, height: 844 });
    try {
      const box = await page.locator('#board').boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= 390 && box.width > 300, JSON.stringify(box));
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'no horizontal scroll');
      await page.screenshot({ path: path.join(RESULTS, 'demo-cursors-390.png') });
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
