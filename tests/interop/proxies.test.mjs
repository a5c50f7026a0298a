// The standalone server (src/Switchboard.Server) behind the proxies it meets in production, each
// terminating TLS and speaking HTTP/2 to Chromium: nginx configured as tutorials do (`Host $host`, the
// Upgrade map, defaults otherwise), nginx with deploy/nginx.conf, and HAProxy with deploy/haproxy.cfg.
// Through each, the chat page's official socket.io-client must end on WebSocket (not stay on polling),
// SSE, the plain WebSocket and the long-poll must be live, and the server must see the browser's address
// and https. The proxies connect to the server from 127.0.0.2, as if from another machine, so the
// client's 127.0.0.1 can only come from X-Forwarded-For. Then the path prefix (Switchboard:PathBase=/rt
// behind nginx's `location /rt/`) and the demo pages at a phone's width (390 px). docs/proxies.md.
// Needs nginx, haproxy and openssl (test.sh installs them; NGINX_PATH, HAPROXY_PATH).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { launchChromium } from './lib/browser.mjs';
import { startHaproxy } from './lib/haproxy.mjs';
import { startNginxWith, tempPaths } from './lib/nginx.mjs';
import { repoRoot, startServer, withTimeout } from './lib/server.mjs';
import { selfSignedCertificate } from './lib/tls.mjs';

const TIMEOUT = 10_000;
const PROJECT = 'src/Switchboard.Server';
/** The address the proxies connect to the server from: not the browser's. */
const PROXY_SOURCE = '127.0.0.2';
const SERVER_ARGS = [
  '--Switchboard:Engine:RefusalLogInterval=00:00:00',
  '--Logging:LogLevel:Switchboard.Server=Debug',
];

const refusalLine = /refused: its Origin|answered without CORS headers/;

/** Resolves once the server's output matches `pattern` (polled), with the match. */
async function waitForOutput(server, pattern, ms = TIMEOUT) {
  const deadline = Date.now() + ms;
  for (;;) {
    const match = pattern.exec(server.output());
    if (match) return match;
    if (Date.now() > deadline) assert.fail(`no log line matching ${pattern}:\n${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function assertNoServerErrors(server) {
  assert.doesNotMatch(server.output(), /^(fail|crit):/m, `the server logged errors:\n${server.output()}`);
}

/** nginx as the tutorials have it: Host $host, the Upgrade map, buffering and timeouts left at their defaults. */
function tutorialNginx({ upstream, tls }) {
  return startNginxWith({
    render: ({ dir, binary, port }) => `daemon off;
master_process off;
pid ${path.join(dir, 'nginx.pid')};
error_log stderr notice;
events { worker_connections 256; }
http {
  access_log off;
${tempPaths(binary, dir)}
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:${port} ssl http2;
    ssl_certificate ${tls.cert};
    ssl_certificate_key ${tls.key};
    location / {
      proxy_pass ${upstream};
      proxy_bind ${PROXY_SOURCE};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`,
  });
}

/** nginx with the repository's deploy/nginx.conf, serving `prefix` ('/' or '/rt/'). */
function deployNginx({ upstream, tls, prefix = '/' }) {
  const template = readFileSync(path.join(repoRoot, 'deploy', 'nginx.conf'), 'utf8');
  return startNginxWith({
    render: ({ dir, binary, port }) => template
      .replaceAll('@DIR@', dir)
      .replaceAll('@ACCESS_LOG@', 'off')
      .replaceAll('@TEMP_PATHS@', tempPaths(binary, dir))
      .replaceAll('@UPSTREAM@', new URL(upstream).host)
      .replaceAll('@LISTEN@', `127.0.0.1:${port}`)
      .replaceAll('@CERT@', tls.cert)
      .replaceAll('@KEY@', tls.key)
      .replaceAll('@PREFIX@', prefix)
      .replace('proxy_pass http://switchboard;', `proxy_pass http://switchboard;\n      proxy_bind ${PROXY_SOURCE};`),
  });
}

/** HAProxy with the repository's deploy/haproxy.cfg. */
function deployHaproxy({ upstream, tls }) {
  const template = readFileSync(path.join(repoRoot, 'deploy', 'haproxy.cfg'), 'utf8');
  return startHaproxy({
    render: ({ port }) => template
      .replaceAll('@LISTEN@', `127.0.0.1:${port}`)
      .replaceAll('@PEM@', tls.pem)
      .replaceAll('@UPSTREAM@', `${new URL(upstream).host} source ${PROXY_SOURCE}`),
  });
}

/** The https URL of a started proxy (nginx's helper names it http). */
const httpsUrl = (proxy) => `https://127.0.0.1:${proxy.port}`;

describe('behind nginx and HAProxy, with TLS and HTTP/2', () => {
  let tls;
  let server;
  let browser;
  const proxies = {};

  before(async () => {
    tls = selfSignedCertificate();
    [server, browser] = await Promise.all([startServer({ project: PROJECT, args: SERVER_ARGS }), launchChromium()]);
    const upstream = server.url;
    [proxies.tutorial, proxies.nginx, proxies.haproxy] = await Promise.all([
      tutorialNginx({ upstream, tls }), deployNginx({ upstream, tls }), deployHaproxy({ upstream, tls }),
    ]);
  });

  after(async () => {
    await browser?.close();
    await Promise.all(Object.values(proxies).map((p) => p.stop()));
    await server?.stop();
    tls?.remove();
  });

  const cases = [
    ['nginx with a tutorial config (Host $host)', 'tutorial'],
    ['nginx with deploy/nginx.conf', 'nginx'],
    ['HAProxy with deploy/haproxy.cfg', 'haproxy'],
  ];

  for (const [name, key] of cases) {
    test(`${name}: the chat upgrades to WebSocket, and its handshake has the browser's address and https`, async () => {
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      try {
        const page = await context.newPage();
        await page.goto(`${httpsUrl(proxies[key])}/`);
        assert.equal(await page.evaluate(() => performance.getEntriesByType('navigation')[0].nextHopProtocol), 'h2',
          'the page came over HTTP/2');
        await page.waitForFunction(() => window.chat?.socket?.connected === true, null, { timeout: TIMEOUT });
        // socket.io-client's defaults: polling first, then the upgrade, which the Origin check used to refuse.
        await page.waitForFunction(() => window.chat.socket.io.engine.transport.name === 'websocket', null, { timeout: TIMEOUT })
          .catch(() => assert.fail(`the client stayed on polling; server log:\n${server.output()}`));
        const id = await page.evaluate(() => window.chat.socket.id);
        const [, address, secure] = await waitForOutput(server, new RegExp(`Socket ${id} connected from (\\S+) \\(secure: (\\w+)\\)`));
        assert.equal(address, '127.0.0.1', `the browser's address, not the proxy's ${PROXY_SOURCE}`);
        assert.equal(secure, 'True', 'the browser spoke https to the proxy');

        const ack = await page.evaluate(() => window.chat.socket.timeout(5000).emitWithAck('join', 'proxied', 'alice'));
        assert.deepEqual(ack, { room: 'proxied', nickname: 'alice' });
        assert.doesNotMatch(server.output(), refusalLine, 'no Origin was refused');
        assertNoServerErrors(server);
      } finally {
        await context.close();
      }
    });

    test(`${name}: SSE, the plain WebSocket and the long-poll are live through it`, async () => {
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      try {
        const base = httpsUrl(proxies[key]);
        const sse = await context.newPage();
        const ws = await context.newPage();
        await Promise.all([sse.goto(`${base}/ticker.html`), ws.goto(`${base}/ticker.html?via=ws`)]);
        // Several ticks (every 500 ms) each: the stream is passed on as it comes, not buffered.
        for (const page of [sse, ws]) {
          await page.waitForFunction(() => window.ticker?.connected && window.ticker.updates >= 10, null, { timeout: TIMEOUT });
        }
        assert.equal(await sse.locator('#status').textContent(), 'live · EventSource');
        assert.equal(await ws.locator('#status').textContent(), 'live · WebSocket');

        const poll = await sse.evaluate(async () => {
          const first = await (await fetch('poll?channel=prices.AAPL&timeout=0')).json();
          const res = await fetch(`poll?channel=prices.AAPL&timeout=20&cursor=${encodeURIComponent(first.cursor)}`);
          return { status: res.status, body: await res.json() };
        });
        assert.equal(poll.status, 200);
        assert.ok(poll.body.publications.length >= 1 && poll.body.publications.every((p) => p.channel === 'prices.AAPL'),
          `the held poll got the next tick: ${JSON.stringify(poll.body)}`);
        assert.doesNotMatch(server.output(), refusalLine, 'no Origin was refused');
        assertNoServerErrors(server);
      } finally {
        await context.close();
      }
    });
  }

  test('the Origin rule, straight to the server: default ports, a Host without a port, X-Forwarded-Host', async () => {
    /** Status of a WebSocket handshake to `path` with these Origin and headers: 101 when it opens. */
    const handshake = (path, origin, headers) => withTimeout(new Promise((resolve, reject) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}${path}`, { origin, headers });
      ws.once('open', () => { ws.terminate(); resolve(101); });
      ws.once('unexpected-response', (req, res) => { resolve(res.statusCode); req.destroy(); });
      ws.once('error', reject);
    }), TIMEOUT, `handshake to ${path}`);
    const cases = [
      // [Origin, headers, expected]
      ['https://127.0.0.1', { host: '127.0.0.1:443' }, 101], // the scheme's default port
      ['https://127.0.0.1:8443', { host: '127.0.0.1:443' }, 403], // a port named, and another
      ['https://127.0.0.1:8443', { host: '127.0.0.1' }, 101], // nginx's $host dropped the port
      ['https://127.0.0.1', { host: 'localhost' }, 403], // another host name
      // nginx without proxy_set_header Host: the upstream's name, unless X-Forwarded-Host says more.
      ['https://localhost:8443', { host: '127.0.0.1:5000' }, 403],
      ['https://localhost:8443', { host: '127.0.0.1:5000', 'x-forwarded-host': 'localhost:8443' }, 101],
      // A forwarded host outside AllowedHosts is ignored (DNS rebinding through the proxy).
      ['https://evil.example', { host: '127.0.0.1:5000', 'x-forwarded-host': 'evil.example' }, 403],
    ];
    for (const path of ['/ws', '/socket.io/?EIO=4&transport=websocket']) {
      const seen = [];
      for (const [origin, headers] of cases) seen.push([origin, headers, await handshake(path, origin, headers)]);
      assert.deepEqual(seen, cases, path);
    }
  });

  test('through the tutorial nginx a foreign Origin is still refused, and logged with the Origin and Host compared', async () => {
    const url = `${httpsUrl(proxies.tutorial).replace('https', 'wss')}/ws`;
    const status = await withTimeout(new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { origin: 'https://elsewhere.example', rejectUnauthorized: false });
      ws.once('open', () => { ws.terminate(); resolve(101); });
      ws.once('unexpected-response', (req, res) => { resolve(res.statusCode); req.destroy(); });
      ws.once('error', reject);
    }), TIMEOUT, 'WebSocket handshake');
    assert.equal(status, 403);
    await waitForOutput(server, /WebSocket to \/ws refused: its Origin https:\/\/elsewhere\.example is neither the request's host 127\.0\.0\.1 /);

    // SSE is left to CORS: served, but logged, since no browser will let the page read it.
    const sseStatus = await withTimeout(new Promise((resolve, reject) => {
      const req = https.get(`${httpsUrl(proxies.tutorial)}/sse?channel=prices.AAPL`,
        { headers: { origin: 'https://elsewhere.example' }, rejectUnauthorized: false }, (res) => {
          resolve(res.statusCode);
          req.destroy();
        });
      req.once('error', (err) => { if (err.code !== 'ECONNRESET') reject(err); });
    }), TIMEOUT, 'SSE request');
    assert.equal(sseStatus, 200);
    await waitForOutput(server, /\/sse answered without CORS headers, so the browser keeps it from the page: its Origin https:\/\/elsewhere\.example is neither the request's host 127\.0\.0\.1 /);
  });
});

describe('under a path prefix behind nginx (Switchboard:PathBase=/rt, location /rt/)', () => {
  let tls;
  let server;
  let proxy;
  let browser;
  let base;

  before(async () => {
    tls = selfSignedCertificate();
    [server, browser] = await Promise.all([
      startServer({ project: PROJECT, args: [...SERVER_ARGS, '--Switchboard:PathBase=/rt'] }),
      launchChromium(),
    ]);
    proxy = await deployNginx({ upstream: server.url, tls, prefix: '/rt/' });
    base = `${httpsUrl(proxy)}/rt/`;
  });

  after(async () => {
    await browser?.close();
    await proxy?.stop();
    await server?.stop();
    tls?.remove();
  });

  test('every demo page works under /rt/ and asks for nothing outside it', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const outside = [];
    context.on('request', (request) => { if (!request.url().startsWith(base)) outside.push(request.url()); });
    try {
      const [chat, ticker, tickerWs, cursors, stream] = await Promise.all([1, 2, 3, 4, 5].map(() => context.newPage()));
      await Promise.all([
        chat.goto(base), ticker.goto(`${base}ticker.html`), tickerWs.goto(`${base}ticker.html?via=ws`),
        cursors.goto(`${base}cursors.html`), stream.goto(`${base}stream.html`),
      ]);
      await chat.waitForFunction(() => window.chat?.socket?.connected && window.chat.socket.io.engine.transport.name === 'websocket',
        null, { timeout: TIMEOUT });
      for (const page of [ticker, tickerWs]) {
        await page.waitForFunction(() => window.ticker?.connected && window.ticker.updates >= 5, null, { timeout: TIMEOUT });
      }
      await cursors.waitForFunction(() => window.cursors?.connected === true, null, { timeout: TIMEOUT });
      await stream.fill('#prompt', 'Does it work under a prefix?');
      await stream.click('#send');
      await stream.waitForFunction(() => window.streamDemo.state?.count >= 3, null, { timeout: TIMEOUT });

      // The nav links stay under the prefix too.
      assert.deepEqual(await chat.locator('.demos-nav a').evaluateAll((links) => links.map((a) => a.href)),
        [base, `${base}ticker.html`, `${base}stream.html`, `${base}cursors.html`]);
      assert.deepEqual(outside, [], 'no request left /rt/');
      assert.doesNotMatch(server.output(), refusalLine);
      assertNoServerErrors(server);
    } finally {
      await context.close();
    }
  });

  test('every demo page fits a 390 px wide screen (screenshots in a temp directory)', async () => {
    const shots = mkdtempSync(path.join(os.tmpdir(), 'switchboard-390-'));
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 390, height: 844 } });
    try {
      const page = await context.newPage();
      const pages = {
        chat: ['', () => window.chat?.socket?.connected === true],
        ticker: ['ticker.html', () => window.ticker?.updates >= 1],
        'ticker-ws': ['ticker.html?via=ws', () => window.ticker?.updates >= 1],
        stream: ['stream.html', () => document.readyState === 'complete'],
        cursors: ['cursors.html', () => window.cursors?.connected === true],
      };
      const widths = {};
      for (const [name, [file, ready]] of Object.entries(pages)) {
        await page.goto(`${base}${file}`);
        await page.waitForFunction(ready, null, { timeout: TIMEOUT });
        widths[name] = await page.evaluate(() => document.documentElement.scrollWidth);
        await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
      }
      for (const [name, width] of Object.entries(widths)) {
        assert.ok(width <= 390, `${name} is ${width} px wide at a 390 px viewport (screenshots: ${shots})`);
      }
      assert.equal(Object.keys(widths).length, 5);
    } finally {
      await context.close();
    }
  });
});
