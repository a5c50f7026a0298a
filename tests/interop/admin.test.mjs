// The admin page of the standalone server (docs/admin.md) in headless Chromium: off (404) without a
// credential; with one, 401 without it; the page, fed by its own SSE stream of snapshots, shows a
// socket.io-client, an EventSource and a plain WebSocket client by protocol and their channel's
// subscriber count; its publish form reaches all three; its disconnect button ends the socket.io client.
// Every wait is for an event or a DOM state, with a timeout; nothing sleeps.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EventSource } from 'eventsource';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { startServer, waitFor, withTimeout } from './lib/server.mjs';
import { launchChromium } from './lib/browser.mjs';

const PROJECT = 'src/Switchboard.Server';
const PASSWORD = `pw-${process.pid}`;
const KEY = `key-${process.pid}`;
const TIMEOUT = 5_000;
const basic = (user, password) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function assertNoServerErrors(server) {
  assert.doesNotMatch(server.output(), /^(fail|crit):/m, `the server logged errors:\n${server.output()}`);
}

test('without Switchboard:Admin, /admin is 404 and the start-up log says the page is off', { timeout: 40_000 }, async () => {
  const server = await startServer({ project: PROJECT });
  try {
    for (const route of ['/admin', '/admin/', '/admin/stream', '/admin/admin.js']) {
      const res = await fetch(`${server.url}${route}`, { redirect: 'manual', headers: { Authorization: basic('admin', 'x') } });
      assert.equal(res.status, 404, `${route} answered ${res.status}`);
    }
    const publish = await fetch(`${server.url}/admin/publish`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"channel":"a","data":1}',
    });
    assert.equal(publish.status, 404);
    assert.match(server.output(), /The admin page \(\/admin\) is off/);
  } finally {
    await server.stop();
  }
});

test('under a path base, /base/admin goes to /base/admin/ and the endpoints answer there', { timeout: 40_000 }, async () => {
  const server = await startServer({ project: PROJECT, args: [`--Switchboard:Admin:Keys=${KEY}`, '--Switchboard:PathBase=/base'] });
  try {
    const redirect = await fetch(`${server.url}/base/admin`, { redirect: 'manual', headers: { 'X-Admin-Key': KEY } });
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.get('location'), '/base/admin/');
    const page = await fetch(`${server.url}/base/admin/`, { headers: { 'X-Admin-Key': KEY } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /^text\/html/);
    const detail = await fetch(`${server.url}/base/admin/channel?channel=a`, { headers: { 'X-Admin-Key': KEY } });
    assert.equal(detail.status, 200);
    // Keys only: no Basic challenge to answer.
    const refused = await fetch(`${server.url}/base/admin/`);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('www-authenticate'), null);
    assert.match(server.output(), /The admin page \(\/admin\) is on, with keys only/);
  } finally {
    await server.stop();
  }
});

describe('admin page with a credential', () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer({
      project: PROJECT,
      env: { Switchboard__Admin__Password: PASSWORD },
      args: [`--Switchboard:Admin:Keys=${KEY}`],
    });
    browser = await launchChromium();
  }, { timeout: 60_000 });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('refuses a request without the credential (401 with a Basic challenge), a wrong one, and another site', { timeout: 20_000 }, async () => {
    assert.match(server.output(), /The admin page \(\/admin\) is on, with HTTP Basic and keys/);
    for (const route of ['/admin/', '/admin/stream', '/admin/channel?channel=a']) {
      const res = await fetch(`${server.url}${route}`);
      assert.equal(res.status, 401, `${route} without a credential`);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="Switchboard admin"/);
    }
    const wrong = await fetch(`${server.url}/admin/`, { headers: { Authorization: basic('admin', `${PASSWORD}x`) } });
    assert.equal(wrong.status, 401);
    assert.equal((await wrong.json()).error.code, 'admin_credentials_invalid');
    const wrongUser = await fetch(`${server.url}/admin/`, { headers: { Authorization: basic('root', PASSWORD) } });
    assert.equal(wrongUser.status, 401);
    const badKey = await fetch(`${server.url}/admin/`, { headers: { 'X-Admin-Key': `${KEY}x` } });
    assert.equal(badKey.status, 401);
    const garbage = await fetch(`${server.url}/admin/`, { headers: { Authorization: 'Basic %%%not-base64' } });
    assert.equal(garbage.status, 401);
    const unauthenticatedPublish = await fetch(`${server.url}/admin/publish`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"channel":"a","data":1}',
    });
    assert.equal(unauthenticatedPublish.status, 401);

    // The right credentials, either way, are let in.
    const page = await fetch(`${server.url}/admin/`, { headers: { Authorization: basic('admin', PASSWORD) } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>Switchboard admin<\/title>/);
    const keyed = await fetch(`${server.url}/admin/channel?channel=a`, { headers: { 'X-Admin-Key': KEY } });
    assert.equal(keyed.status, 200);
    assert.equal((await keyed.json()).channel, 'a');

    // A browser's request from another site is refused even with the credential it has cached.
    const crossSite = await fetch(`${server.url}/admin/publish`, {
      method: 'POST',
      headers: { Authorization: basic('admin', PASSWORD), 'Content-Type': 'application/json', 'Sec-Fetch-Site': 'cross-site' },
      body: '{"channel":"a","data":1}',
    });
    assert.equal(crossSite.status, 403);
    // A form post (not JSON) is refused, and bad input gets the protocol's error and no crash.
    const form = await fetch(`${server.url}/admin/publish`, {
      method: 'POST', headers: { Authorization: basic('admin', PASSWORD), 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'channel=a&data=1',
    });
    assert.equal(form.status, 415);
    const noData = await fetch(`${server.url}/admin/publish`, {
      method: 'POST', headers: { 'X-Admin-Key': KEY, 'Content-Type': 'application/json' }, body: '{"channel":"a"}',
    });
    assert.equal(noData.status, 400);
    const notJson = await fetch(`${server.url}/admin/disconnect`, {
      method: 'POST', headers: { 'X-Admin-Key': KEY, 'Content-Type': 'application/json' }, body: '{"connectionId":',
    });
    assert.equal(notJson.status, 400);
    const unknown = await fetch(`${server.url}/admin/disconnect`, {
      method: 'POST', headers: { 'X-Admin-Key': KEY, 'Content-Type': 'application/json' }, body: '{"connectionId":"nobody"}',
    });
    assert.equal(unknown.status, 404);
    assertNoServerErrors(server);
  });

  test('the page shows the clients by protocol and the channel, publishes through its form and disconnects a client', { timeout: 45_000 }, async () => {
    const channel = `admin-${process.pid}`;
    const closers = [];
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      httpCredentials: { username: 'admin', password: PASSWORD },
    });
    closers.push(() => context.close());
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(TIMEOUT);
      const pageErrors = [];
      page.on('pageerror', (err) => pageErrors.push(err.message));
      page.on('console', (msg) => { if (msg.type() === 'error') pageErrors.push(msg.text()); });

      const response = await page.goto(`${server.url}/admin`);
      assert.equal(response.status(), 200);
      assert.equal(new URL(page.url()).pathname, '/admin/', 'GET /admin goes to /admin/, so relative URLs resolve under it');
      await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'live', null, { timeout: TIMEOUT });
      // Before any client, there are none of any protocol.
      await page.waitForFunction(() => document.body.dataset.snapshot !== undefined, null, { timeout: TIMEOUT });
      for (const protocol of ['socket.io', 'sse', 'websocket']) {
        assert.equal(await page.textContent(`.card[data-protocol="${protocol}"] .count`), '0', `${protocol} before any client`);
      }

      // Three clients of three protocols on one channel.
      const socket = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false });
      closers.push(() => socket.disconnect());
      const socketNotes = [];
      socket.on('note', (data) => socketNotes.push(data));
      await waitFor(socket, 'connect', TIMEOUT);
      const subscribed = await socket.timeout(TIMEOUT).emitWithAck('subscribe', { channel });
      assert.equal(subscribed.ok, true, JSON.stringify(subscribed));

      const es = new EventSource(`${server.url}/sse?channel=${encodeURIComponent(channel)}`);
      closers.push(() => es.close());
      const sseNotes = [];
      es.addEventListener('note', (event) => sseNotes.push(JSON.parse(event.data)));
      const sseHello = JSON.parse((await waitFor(es, 'subscribed', TIMEOUT)).data);

      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws`);
      closers.push(() => ws.close());
      const wsFrames = [];
      const wsWaiters = [];
      ws.on('message', (data) => {
        const frame = JSON.parse(data.toString('utf8'));
        wsFrames.push(frame);
        for (const w of wsWaiters.splice(0)) w();
      });
      const wsFrame = (predicate, label) => withTimeout(new Promise((resolve) => {
        const check = () => {
          const found = wsFrames.find(predicate);
          if (found) resolve(found); else wsWaiters.push(check);
        };
        check();
      }), TIMEOUT, label);
      const welcome = await wsFrame((f) => f.type === 'welcome', 'the welcome frame');
      ws.send(JSON.stringify({ id: 1, op: 'subscribe', channel }));
      const reply = await wsFrame((f) => f.id === 1, 'the subscribe reply');
      assert.ok(!reply.error, JSON.stringify(reply));

      // The page shows one connection of each protocol, each client listed, and the channel with three subscribers.
      for (const protocol of ['socket.io', 'sse', 'websocket']) {
        await page.waitForFunction((p) => document.querySelector(`.card[data-protocol="${p}"] .count`)?.textContent === '1', protocol, { timeout: TIMEOUT });
      }
      await page.waitForSelector(`#connections tr[data-connection="${socket.id}"][data-protocol="socket.io"]`);
      await page.waitForSelector(`#connections tr[data-connection="${sseHello.connectionId}"][data-protocol="sse"]`);
      await page.waitForSelector(`#connections tr[data-connection="${welcome.connectionId}"][data-protocol="websocket"]`);
      const row = `#channels tr[data-channel="${channel}"]`;
      await page.waitForFunction((r) => document.querySelector(`${r} .subscribers`)?.textContent === '3', row, { timeout: TIMEOUT });

      // Its detail: presence of the three, from the same hub call as the HTTP API's presence.
      await page.click(row);
      await page.waitForFunction(() => document.querySelectorAll('#presence li').length === 3, null, { timeout: TIMEOUT });
      const presence = await page.textContent('#presence');
      for (const id of [socket.id, sseHello.connectionId, welcome.connectionId]) assert.ok(presence.includes(id), `${id} in presence: ${presence}`);
      assert.equal(await page.inputValue('#publish-channel'), channel, 'choosing a channel fills the publish form');

      // Publish through the form: every subscriber gets it, whatever its protocol.
      await page.fill('#publish-event', 'note');
      await page.fill('#publish-data', '{"text":"from the admin page"}');
      const socketNote = waitFor(socket, 'note', TIMEOUT);
      const sseNote = waitFor(es, 'note', TIMEOUT);
      await page.click('#publish button[type="submit"]');
      const pushed = await wsFrame((f) => f.type === 'pub' && f.event === 'note', 'the publication on the plain WebSocket');
      assert.equal(pushed.channel, channel);
      assert.deepEqual(pushed.data, { text: 'from the admin page' });
      await page.waitForFunction(() => /Published to .* offset \d+/.test(document.querySelector('#publish-result')?.textContent ?? ''), null, { timeout: TIMEOUT });
      await socketNote;
      await sseNote;
      assert.deepEqual(socketNotes, [{ text: 'from the admin page' }], 'socket.io got the publication');
      assert.equal(sseNotes.length, 1, 'SSE got the publication once');
      assert.equal(sseNotes[0].channel, channel);
      assert.deepEqual(sseNotes[0].data, { text: 'from the admin page' }, 'SSE got the publication');
      // The channel's history in the detail follows, and its rate shows the publication.
      await page.waitForFunction(() => [...document.querySelectorAll('#history li')].some((li) => li.textContent.includes('from the admin page')), null, { timeout: TIMEOUT });
      await page.waitForFunction((r) => Number(document.querySelector(`${r} .rate`)?.textContent) > 0, row, { timeout: TIMEOUT });

      // Disconnect the socket.io client from the page: it sees the server end it.
      const disconnected = waitFor(socket, 'disconnect', TIMEOUT);
      await page.click(`#connections tr[data-connection="${socket.id}"] button.disconnect`);
      assert.equal((await disconnected)[0], 'io server disconnect');
      await page.waitForFunction(() => document.querySelector('.card[data-protocol="socket.io"] .count')?.textContent === '0', null, { timeout: TIMEOUT });
      await page.waitForFunction((r) => document.querySelector(`${r} .subscribers`)?.textContent === '2', row, { timeout: TIMEOUT });

      // It fits a 390 px screen: nothing wider than the viewport.
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `the page is ${width}px wide on a 390px screen`);
      assert.deepEqual(pageErrors, []);
      assertNoServerErrors(server);
    } finally {
      for (const close of closers.reverse()) await close();
    }
  });
});
