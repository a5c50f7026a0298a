// The browser's own EventSource (headless Chromium) against tests/interop/channels-server: the server
// drops the stream mid-way, Chromium reconnects by itself with Last-Event-ID, and gets exactly the
// publications it missed, in order, once each. The reconnection request is held by Playwright's
// request interception until the test has published what the browser must catch up on, so
// "published while disconnected" is certain, not a matter of timing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { projectDll, startServer } from './lib/server.mjs';
import { launchChromium } from './lib/browser.mjs';

const PROJECT = 'tests/interop/channels-server';
const DLL = path.join(path.dirname(projectDll(PROJECT)), 'Switchboard.ChannelsInteropServer.dll');
const API_KEY = 'interop-key';

let server;
let browser;

before(async () => {
  server = await startServer({ project: PROJECT, dll: DLL });
  browser = await launchChromium();
}, { timeout: 60_000 });

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function api(route, body) {
  const res = await fetch(`${server.url}/api/${route}`, {
    method: 'POST',
    headers: { 'X-Api-Key': API_KEY, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  assert.equal(res.status, 200, `/api/${route} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

test('Chromium EventSource: a server-side drop mid-stream, a reconnect with Last-Event-ID, no loss and no duplicate', { timeout: 30_000 }, async () => {
  const channel = `browser-${process.pid}`;
  const page = await browser.newPage();
  try {
    // Hold every reconnection of the stream until released; record the headers it carried.
    const streamRequests = [];
    let release;
    const released = new Promise((resolve) => { release = resolve; });
    await page.route('**/sse?**', async (route) => {
      streamRequests.push(await route.request().allHeaders());
      if (streamRequests.length > 1) await released;
      await route.continue();
    });

    // Any page of the server's origin will do: the EventSource is same-origin.
    await page.goto(`${server.url}/api/presence?channel=${channel}`);
    await page.evaluate((url) => {
      window.ticks = [];
      window.subscribed = [];
      window.errors = 0;
      const es = new EventSource(url);
      es.addEventListener('tick', (e) => window.ticks.push({ data: JSON.parse(e.data), id: e.lastEventId }));
      es.addEventListener('subscribed', (e) => window.subscribed.push(JSON.parse(e.data)));
      es.onerror = () => { window.errors++; };
      window.es = es;
    }, `${server.url}/sse?channel=${channel}`);

    await page.waitForFunction(() => window.subscribed.length === 1, null, { timeout: 10_000 });
    const { connectionId } = await page.evaluate(() => window.subscribed[0]);
    for (let n = 1; n <= 5; n++) await api('publish', { channel, event: 'tick', data: { n } });
    await page.waitForFunction(() => window.ticks.length === 5, null, { timeout: 10_000 });
    const lastIdBeforeDrop = await page.evaluate(() => window.ticks[4].id);
    assert.match(lastIdBeforeDrop, /^v1~5\./, 'event ids are cursors at the publication');

    // The server drops the stream; the browser notices and tries to reconnect (held by the route).
    await api('disconnect', { connectionId });
    await page.waitForFunction(() => window.errors >= 1, null, { timeout: 10_000 });
    for (let n = 6; n <= 10; n++) await api('publish', { channel, event: 'tick', data: { n } });
    release();

    await page.waitForFunction(() => window.subscribed.length === 2, null, { timeout: 10_000 });
    await api('publish', { channel, event: 'tick', data: { n: 11 } });
    await page.waitForFunction(() => window.ticks.length >= 11, null, { timeout: 10_000 });

    const ticks = await page.evaluate(() => window.ticks);
    assert.deepEqual(ticks.map((t) => t.data.data.n), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 'every publication once, in order');
    assert.equal(streamRequests.length, 2, 'Chromium reconnected once');
    // Playwright's interception does not show the Last-Event-ID header Blink adds to a reconnection;
    // the server says it resumed from it, and the replay above is exactly what followed that id.
    const resumedStream = await page.evaluate(() => window.subscribed[1]);
    assert.equal(resumedStream.resumed, true, 'the server resumed the stream from the last event id');
    assert.match(ticks[5].id, /^v1~6\./, "the first replayed event follows the last one seen");
  } finally {
    await page.close();
  }
});
