// Abuse scenario "churn": connect / subscribe / disconnect cycles on every protocol, then the server's
// managed heap after a forced GC (dotnet-gcdump) compared with where it started. A closed connection
// must leave nothing behind.
//
//   node bench/abuse/churn.mjs [--cycles 30000] [--others 10000] [--concurrency 200] [--bound-mb 5]
//
// --cycles is for the official socket.io-client over WebSocket; --others for socket.io-client over
// polling, the plain WebSocket protocol, SSE and long-poll each. Needs dotnet-gcdump (dotnet tool
// restore, from the repository's tool manifest).
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { WebSocket, args, delay, io, root, startServer, tally, withTimeout } from './lib.mjs';

const cycles = +(args.cycles ?? 30000);
const others = +(args.others ?? 10000);
const concurrency = +(args.concurrency ?? 200);
const boundMb = +(args['bound-mb'] ?? 5);
const port = +(args.port ?? 18192);
const base = `http://127.0.0.1:${port}`;

/** The managed heap after a forced GC, in bytes (dotnet-gcdump collects after a full blocking GC). */
function heapBytes(pid) {
  const file = path.join(os.tmpdir(), `switchboard-churn-${pid}-${Date.now()}.gcdump`);
  execFileSync('dotnet', ['gcdump', 'collect', '-p', String(pid), '-o', file], { stdio: 'ignore', cwd: root });
  const report = execFileSync('dotnet', ['gcdump', 'report', file], { encoding: 'utf8', cwd: root });
  return +/([\d,]+)\s+GC Heap bytes/.exec(report)[1].replaceAll(',', '');
}

const channel = 'chat.churn';
const cycleOf = {
  'socket.io websocket': () => sioCycle(['websocket']),
  'socket.io polling': () => sioCycle(['polling']),
  'plain websocket': () => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
    ws.on('error', reject);
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type === 'welcome') ws.send(JSON.stringify({ id: 1, op: 'subscribe', channel }));
      else if (frame.id === 1) { ws.on('close', resolve); ws.close(); }
    });
  }),
  sse: () => new Promise((resolve, reject) => {
    const req = http.get(`${base}/sse?channel=${channel}`, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      res.on('data', (d) => { if (d.toString().includes('connectionId')) req.destroy(); });
      res.on('error', () => {});
      res.on('close', resolve);
    });
    req.on('error', (e) => (e.code === 'ECONNRESET' ? resolve() : reject(e)));
  }),
  'long-poll': () => new Promise((resolve, reject) => {
    http.get(`${base}/poll?channel=${channel}&timeout=0`, { agent: false }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
  }),
};

function sioCycle(transports) {
  return new Promise((resolve, reject) => {
    const s = io(base, { transports, forceNew: true, reconnection: false });
    s.on('connect_error', reject);
    s.on('connect', async () => {
      try {
        const ack = await s.timeout(10000).emitWithAck('subscribe', { channel });
        if (!ack.ok) throw new Error(JSON.stringify(ack));
        s.disconnect();
        resolve();
      } catch (e) { reject(e); }
    });
  });
}

async function run(cycle, count) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) { next++; await withTimeout(cycle(), 20000, 'cycle'); }
  }));
}

// Every cycle comes from 127.0.0.1, thousands a second: the per-address limits would refuse them.
const { child } = await startServer(port, ['--Logging:LogLevel:Switchboard', 'Warning',
  '--Switchboard:Limits:HandshakesPerSecondPerIp', '0', '--Switchboard:Limits:MaxConnectionsPerIp', '0']);
const { check, fail, summary } = tally();
const results = [];
try {
  // Warm up every path (JIT, pools, first-time caches) before the baseline.
  for (const cycle of Object.values(cycleOf)) await run(cycle, 300);
  // Let sessions that closed during the warm-up leave the server's drain windows.
  await delay(2000);
  const start = heapBytes(child.pid);
  for (const [name, cycle] of Object.entries(cycleOf)) {
    const count = name === 'socket.io websocket' ? cycles : others;
    const began = Date.now();
    await run(cycle, count);
    results.push({ protocol: name, cycles: count, seconds: (Date.now() - began) / 1000 });
  }
  await delay(2000);
  const end = heapBytes(child.pid);
  const growthMb = (end - start) / 1048576;
  console.log(JSON.stringify({ startMb: +(start / 1048576).toFixed(1), endMb: +(end / 1048576).toFixed(1), growthMb: +growthMb.toFixed(1), results }));
  check(growthMb <= boundMb, `managed heap after ${results.map((r) => `${r.cycles} ${r.protocol}`).join(', ')} cycles: ${growthMb.toFixed(1)} MB over the start (bound ${boundMb} MB)`);
} catch (e) {
  fail(e);
} finally {
  child.kill('SIGINT');
}
process.exit(summary());
