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
import net from 'node:net';
import http from 'node:http';
import { WebSocket, args, io, publish as publishTo, rssKb, startServer, tally, withTimeout } from './lib.mjs';

const seconds = +(args.seconds ?? 20);
const size = +(args.size ?? 60000);
const rssBoundMb = +(args['rss-bound-mb'] ?? 256);
const stalledSpec = Object.fromEntries((args.stalled ?? 'sio=3,ws=3,sse=2,siopoll=1').split(',').map((kv) => kv.split('=')).map(([k, v]) => [k, +v]));
const port = +(args.port ?? 18191);
const base = `http://127.0.0.1:${port}`;
const channel = 'chat.flood';

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

const publish = (agent, body) => publishTo(base, agent, body);

const { child, lines } = await startServer(port, ['--Logging:LogLevel:Switchboard', 'Information',
  '--Logging:LogLevel:Switchboard.SocketChannels', 'Warning']);
const results = { seconds, size, stalled: stalledSpec, rssBoundMb };
const { check, fail, summary } = tally();
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
  fail(e);
} finally {
  child.kill('SIGINT');
}
console.log(JSON.stringify(results));
process.exit(summary());
