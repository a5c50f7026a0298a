// Abuse scenario "stalled": stalled subscribers on every protocol under a publication flood.
//
// Starts the standalone server (the Release build) with an API key, connects per protocol some clients
// that subscribe to one channel and then stop reading (their TCP socket paused: the kernel buffers fill,
// then the server's writes block), one healthy socket.io-client subscriber of the same channel, and
// floods the channel through the HTTP API with large publications. Measures the server's RSS (idle,
// peak, after), when each stalled client was cut, and whether the healthy subscriber got every
// publication. Prints one JSON line of results and "N passed, N failed" over its bounds.
//
//   node bench/abuse/stalled.mjs [--seconds 20] [--size 60000] [--stalled sio=3,ws=3,sse=2,siopoll=1] [--rss-bound-mb 256]
//
// sio: Socket.IO over WebSocket; siopoll: Socket.IO over polling that stops polling; ws: the plain
// WebSocket protocol; sse: Server-Sent Events. (A long-poll has no connection between its polls: a
// client that stops polling holds nothing.)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const require = createRequire(path.join(root, 'tests/interop/package.json'));
const { io } = require('socket.io-client');
const WebSocket = require('ws');

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const seconds = +(args.seconds ?? 20);
const size = +(args.size ?? 60000);
const rssBoundMb = +(args['rss-bound-mb'] ?? 256);
const stalledSpec = Object.fromEntries((args.stalled ?? 'sio=3,ws=3,sse=2,siopoll=1').split(',').map((kv) => kv.split('=')).map(([k, v]) => [k, +v]));
const port = +(args.port ?? 18191);
const base = `http://127.0.0.1:${port}`;
const channel = 'chat.flood';
const apiKey = 'abuse-key';
const configuration = process.env.SWITCHBOARD_CONFIGURATION ?? 'Release';

const withTimeout = (promise, ms, what) => Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))]);
const rssKb = (pid) => +(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

async function startServer() {
  const dir = path.join(root, 'src/Switchboard.Server');
  const dll = path.join(dir, `bin/${configuration}/net10.0/Switchboard.Server.dll`);
  const child = spawn('dotnet', [dll, '--urls', base, '--Switchboard:Api:Keys:0', apiKey,
    '--Logging:LogLevel:Default', 'Warning', '--Logging:LogLevel:Switchboard', 'Information',
    '--Logging:LogLevel:Switchboard.SocketChannels', 'Warning', ...(args.server ?? '').split(' ').filter(Boolean),
], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const onData = (d) => { for (const line of d.toString().split('\n')) if (line.trim()) lines.push({ at: Date.now(), line }); };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  for (let i = 0; i < 200; i++) {
    try {
      await new Promise((resolve, reject) => http.get(`${base}/`, (res) => { res.resume(); resolve(); }).on('error', reject));
      return { child, lines };
    } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  throw new Error('server did not start: ' + lines.map((l) => l.line).join('\n'));
}

// A Socket.IO client over a raw WebSocket that subscribes, then stops reading.
async function stalledSocketIo() {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false });
  const state = { protocol: 'socket.io', id: null, cutAt: null, ws };
  await withTimeout(new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('0')) { state.id = JSON.parse(text.slice(1)).sid; ws.send('40'); }
      else if (text.startsWith('40')) ws.send(`421["subscribe",${JSON.stringify({ channel })}]`);
      else if (text.startsWith('431')) resolve();
      else if (text === '2') ws.send('3');
    });
  }), 10000, 'socket.io subscribe');
  ws.removeAllListeners('message');
  ws.on('error', () => {});
  ws.on('close', () => { state.cutAt ??= Date.now(); });
  ws._socket.pause();
  return state;
}

// A Socket.IO client over HTTP long-polling that subscribes, then never polls again.
async function stalledSocketIoPolling() {
  const url = (sid) => `${base}/socket.io/?EIO=4&transport=polling${sid ? `&sid=${sid}` : ''}`;
  const request = (method, target, body) => new Promise((resolve, reject) => {
    const req = http.request(target, { method, agent: false, headers: body ? { 'content-type': 'text/plain;charset=UTF-8' } : {} }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
  const open = await request('GET', url());
  const sid = JSON.parse(open.text.slice(1)).sid;
  const state = { protocol: 'socket.io polling', id: sid, cutAt: null, poll: () => request('GET', url(sid)) };
  await request('POST', url(sid), '40');
  for (let i = 0; i < 5 && !(await request('GET', url(sid))).text.includes('40{'); i++);
  await request('POST', url(sid), `421["subscribe",${JSON.stringify({ channel })}]`);
  for (let i = 0; i < 5 && !(await request('GET', url(sid))).text.includes('431'); i++);
  return state;
}

async function stalledPlainWs() {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
  const state = { protocol: 'websocket', id: null, cutAt: null, ws };
  await withTimeout(new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type === 'welcome') { state.id = frame.connectionId; ws.send(JSON.stringify({ id: 1, op: 'subscribe', channel })); }
      else if (frame.id === 1) resolve();
    });
  }), 10000, 'plain ws subscribe');
  ws.removeAllListeners('message');
  ws.on('error', () => {});
  ws.on('close', () => { state.cutAt ??= Date.now(); });
  ws._socket.pause();
  return state;
}

async function stalledSse() {
  const socket = net.connect(port, '127.0.0.1');
  const state = { protocol: 'sse', id: null, cutAt: null, socket };
  await withTimeout(new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.write(`GET /sse?channel=${channel} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`);
    let text = '';
    socket.on('data', (d) => {
      text += d.toString();
      const m = /"connectionId":"([^"]+)"/.exec(text);
      if (m) { state.id = m[1]; resolve(); }
    });
  }), 10000, 'sse subscribe');
  socket.removeAllListeners('data');
  socket.on('error', () => {});
  socket.on('close', () => { state.cutAt ??= Date.now(); });
  socket.pause();
  return state;
}

async function healthySubscriber() {
  const socket = io(base, { transports: ['websocket'], reconnection: false });
  const got = [];
  const state = { socket, got, disconnects: [] };
  socket.on('disconnect', (reason) => state.disconnects.push(reason));
  socket.on('flood', (data) => got.push(data.n));
  await withTimeout(new Promise((resolve, reject) => { socket.on('connect', resolve); socket.on('connect_error', reject); }), 10000, 'healthy connect');
  const ack = await socket.timeout(10000).emitWithAck('subscribe', { channel });
  if (!ack.ok) throw new Error('healthy subscribe refused: ' + JSON.stringify(ack));
  return state;
}

function publish(agent, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}/api/publish`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-api-key': apiKey, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`publish ${res.statusCode}: ${text}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const { child, lines } = await startServer();
const results = { seconds, size, stalled: stalledSpec, rssBoundMb };
let passed = 0;
let failed = 0;
const check = (ok, what) => { console.log(`${ok ? 'ok' : 'FAIL'} ${what}`); ok ? passed++ : failed++; };
try {
  const healthy = await healthySubscriber();
  const stalled = [];
  for (let i = 0; i < (stalledSpec.sio ?? 0); i++) stalled.push(await stalledSocketIo());
  for (let i = 0; i < (stalledSpec.siopoll ?? 0); i++) stalled.push(await stalledSocketIoPolling());
  for (let i = 0; i < (stalledSpec.ws ?? 0); i++) stalled.push(await stalledPlainWs());
  for (let i = 0; i < (stalledSpec.sse ?? 0); i++) stalled.push(await stalledSse());
  await new Promise((r) => setTimeout(r, 1000));
  const idleKb = rssKb(child.pid);
  let peakKb = idleKb;
  const sampler = setInterval(() => { peakKb = Math.max(peakKb, rssKb(child.pid)); }, 100);

  const pad = 'x'.repeat(size);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const started = Date.now();
  let sent = 0;
  const publishers = Array.from({ length: 4 }, async () => {
    while (Date.now() - started < seconds * 1000) {
      const n = sent++;
      await publish(agent, JSON.stringify({ channel, event: 'flood', data: { n, pad } }));
    }
  });
  await Promise.all(publishers);
  const floodMs = Date.now() - started;
  // The healthy subscriber drains what is still on its way.
  const deadline = Date.now() + 30000;
  while (healthy.got.length < sent && Date.now() < deadline && healthy.socket.connected) await new Promise((r) => setTimeout(r, 50));
  clearInterval(sampler);
  peakKb = Math.max(peakKb, rssKb(child.pid));
  const afterKb = rssKb(child.pid);

  // Each stalled client reads again: what the server sent drains, then its connection must end.
  await Promise.all(stalled.map(async (s) => {
    if (s.poll) {
      // A poll for a session the server cut is answered 400 (Session ID unknown).
      const answer = await s.poll();
      if (answer.status === 400) s.cutAt = Date.now();
      return null;
    }
    const sock = s.ws?._socket ?? s.socket;
    if (s.cutAt) return null;
    const ended = new Promise((resolve) => { sock.once('close', resolve); });
    if (s.socket) s.socket.on('data', () => {});
    sock.resume();
    return Promise.race([ended, new Promise((r) => setTimeout(r, 15000))]);
  }));
  const missing = [];
  const seen = new Set(healthy.got);
  for (let n = 0; n < sent; n++) if (!seen.has(n)) missing.push(n);
  const cut = stalled.map((s) => {
    const log = lines.find((l) => s.id && l.line.includes(s.id) && /slow consumer|slow_consumer|stopped reading|took longer/i.test(l.line));
    return { protocol: s.protocol, id: s.id, cutAfterMs: log ? log.at - started : null, closedAfterMs: s.cutAt ? s.cutAt - started : null };
  });
  Object.assign(results, {
    published: sent, publishedMb: Math.round((sent * size) / 1e6), floodMs,
    rss: { idleMb: Math.round(idleKb / 1024), peakMb: Math.round(peakKb / 1024), afterMb: Math.round(afterKb / 1024), growthMb: Math.round((peakKb - idleKb) / 1024) },
    healthy: { received: healthy.got.length, missing: missing.length, disconnects: healthy.disconnects },
    cut,
  });
  check(results.rss.growthMb <= rssBoundMb, `RSS grew by ${results.rss.growthMb} MB over idle (bound ${rssBoundMb} MB)`);
  for (const c of cut) check(c.cutAfterMs !== null && c.closedAfterMs !== null, `stalled ${c.protocol} client ${c.id} cut (logged ${c.cutAfterMs} ms after the flood began; its connection ended)`);
  check(missing.length === 0 && healthy.disconnects.length === 0, `healthy subscriber received ${healthy.got.length} of ${sent} publications, disconnects: ${JSON.stringify(healthy.disconnects)}`);
  healthy.socket.close();
  for (const s of stalled) { s.ws?.terminate(); s.socket?.destroy(); }
} catch (e) {
  console.log('FAIL ' + (e.stack ?? e));
  failed++;
} finally {
  child.kill('SIGINT');
}
console.log(JSON.stringify(results));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
