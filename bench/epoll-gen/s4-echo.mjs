// A second, independent S4 generator: one Node event loop (epoll), raw TCP sockets and its own RFC 6455
// framing, no socket.io-client. Its shape follows the external generator of issue 15 (one epoll thread,
// own framing), to check bench/'s figures at a fixed rate against a generator that batches differently.
//
//   node s4-echo.mjs --port P --pid PID [--connections 1000] [--rate 10000 | --saturate] [--warmup 30] [--seconds 10] [--timeline]
//
// Prints one JSON line: echoes/s, server CPU µs per echo (utime+stime of PID over the window), the
// server's voluntary context switches per echo (all its threads), RTT p50/p99/p99.9 in ms, and at a fixed
// rate the echoes sent per tick and ticks per second in the window.
import net from 'node:net';
import crypto from 'node:crypto';
import fs from 'node:fs';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => {
  if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : 'true']);
  return pairs;
}, []));
const port = Number(args.port);
const pid = Number(args.pid);
const connections = Number(args.connections ?? 1000);
const saturate = args.saturate === 'true';
const rate = Number(args.rate ?? 10000);
// 30 s by default: a fresh .NET server is still compiling (tiered JIT) for 10-20 s under this load.
const warmup = Number(args.warmup ?? 30) * 1000;
const seconds = Number(args.seconds ?? 10) * 1000;
const payload = JSON.stringify('x'.repeat(64));
const TICK = 100; // clock ticks per second in /proc/<pid>/stat

function cpuTicks() {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
function switches() {
  let total = 0;
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = fs.readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
      total += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)[1]);
    } catch { /* a thread that ended */ }
  }
  return total;
}

function frame(text) {
  const body = Buffer.from(text);
  const mask = crypto.randomBytes(4);
  const head = body.length < 126 ? Buffer.from([0x81, 0x80 | body.length]) : Buffer.from([0x81, 0xfe, body.length >> 8, body.length & 0xff]);
  for (let i = 0; i < body.length; i++) body[i] ^= mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

let measuring = false;
// --timeline: the worst round trip of each 50 ms of the window (by send time), listed where over 5 ms, to
// tell a periodic stall (GC, a timer) from one at the window's start (the generator's own) or none.
const timeline = args.timeline === 'true';
const worst = [];
let windowStart = 0;
function note(sent, rtt) {
  const bucket = Math.floor((sent - windowStart) / 50);
  if (bucket >= 0) worst[bucket] = Math.max(worst[bucket] ?? 0, rtt);
}
let acked = 0;
// Ticks that sent something in the window, and what they sent: requests per tick, as LoadGen's sends_per_tick.
let ticks = 0;
let tickSends = 0;
const rtts = [];

class Client {
  constructor(index) {
    this.index = index;
    this.buffer = Buffer.alloc(0);
    this.upgraded = false;
    this.inFlight = new Map();
    this.nextId = 0;
    this.ready = new Promise((resolve, reject) => { this.resolve = resolve; this.reject = reject; });
    this.socket = net.connect(port, '127.0.0.1', () => {
      this.socket.setNoDelay(true);
      const key = crypto.randomBytes(16).toString('base64');
      this.socket.write(`GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    this.socket.on('data', (data) => this.read(data));
    this.socket.on('error', (e) => this.reject(e));
    this.socket.on('close', () => this.reject(new Error(`connection ${index} closed`)));
  }

  read(data) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
    if (!this.upgraded) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (!this.buffer.subarray(0, 12).toString().includes('101')) { this.reject(new Error(this.buffer.subarray(0, end).toString())); return; }
      this.upgraded = true;
      this.buffer = this.buffer.subarray(end + 4);
    }
    while (this.buffer.length >= 2) {
      let length = this.buffer[1] & 0x7f;
      let offset = 2;
      if (length === 126) { if (this.buffer.length < 4) return; length = this.buffer.readUInt16BE(2); offset = 4; }
      else if (length === 127) { if (this.buffer.length < 10) return; length = Number(this.buffer.readBigUInt64BE(2)); offset = 10; }
      if (this.buffer.length < offset + length) return;
      const opcode = this.buffer[0] & 0x0f;
      const text = this.buffer.toString('utf8', offset, offset + length);
      this.buffer = this.buffer.subarray(offset + length);
      if (opcode === 1) this.packet(text);
    }
  }

  packet(text) {
    if (text[0] === '0') this.socket.write(frame('40'));
    else if (text === '2') this.socket.write(frame('3'));
    else if (text.startsWith('40')) this.resolve();
    else if (text.startsWith('43')) {
      const id = Number(/^43(\d+)/.exec(text)[1]);
      const sent = this.inFlight.get(id);
      this.inFlight.delete(id);
      if (measuring) { acked++; const now = performance.now(); rtts.push(now - sent); if (timeline) note(sent, now - sent); }
      if (saturate) this.echo();
    }
  }

  echo() {
    const id = this.nextId++;
    this.inFlight.set(id, performance.now());
    this.socket.write(frame(`42${id}["echo",${payload}]`));
  }
}

const clients = [];
for (let i = 0; i < connections; i++) {
  clients.push(new Client(i));
  if (i % 100 === 99) await Promise.all(clients.slice(-100).map((c) => c.ready));
}
await Promise.all(clients.map((c) => c.ready));
// fetch() loads its HTTP client on first use and blocks the loop for tens of ms: the catch-up burst after it
// would land in the window and set everyone's p99. Use it once now.
await stats();

let sent = 0;
const started = performance.now();
let next = 0;
if (saturate) {
  for (const c of clients) c.echo();
} else {
  // Every millisecond or so, send what the rate owes by now, round-robin over the connections.
  const tick = () => {
    const owed = Math.floor((performance.now() - started) * rate / 1000) - sent;
    for (let i = 0; i < owed; i++) { clients[next].echo(); next = (next + 1) % connections; }
    sent += Math.max(0, owed);
    if (measuring && owed > 0) { ticks++; tickSends += owed; }
    if (!done) setTimeout(tick, 1);
  };
  var done = false;
  tick();
}
async function stats() {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/debug/stats`);
    return response.ok ? await response.json() : null;
  } catch { return null; }
}
await new Promise((r) => setTimeout(r, warmup));
const stats0 = await stats();
const cpu0 = cpuTicks();
const cs0 = switches();
measuring = true;
const t0 = performance.now();
windowStart = t0;
await new Promise((r) => setTimeout(r, seconds));
measuring = false;
const elapsed = (performance.now() - t0) / 1000;
const cpu = (cpuTicks() - cpu0) / TICK;
const cs = switches() - cs0;
const stats1 = await stats();
done = true;
rtts.sort((a, b) => a - b);
const q = (p) => rtts[Math.min(rtts.length - 1, Math.floor(rtts.length * p))]?.toFixed(2);
console.log(JSON.stringify({
  mode: saturate ? 'saturated' : `${rate}/s`, connections, echoes_per_s: Math.round(acked / elapsed),
  cpu_us_per_echo: +(cpu * 1e6 / acked).toFixed(2), cpu_pct: +(cpu * 100 / elapsed).toFixed(1),
  vcsw_per_echo: +(cs / acked).toFixed(3),
  sends_per_tick: ticks ? +(tickSends / ticks).toFixed(2) : undefined, ticks_per_s: ticks ? Math.round(ticks / elapsed) : undefined,
  // .NET servers (bench/Shared/BenchHosting.cs /debug/stats): thread-pool work items and allocations per echo.
  work_items_per_echo: stats0?.completedWorkItems !== undefined ? +((stats1.completedWorkItems - stats0.completedWorkItems) / acked).toFixed(2) : undefined,
  bytes_per_echo: stats0 ? Math.round((stats1.allocatedBytes - stats0.allocatedBytes) / acked) : undefined, rtt_p50: q(0.5), rtt_p99: q(0.99), rtt_p999: q(0.999),
  // The JIT still compiling in the window (tiered compilation's later waves) and the GC's pauses: the tail's usual suspects.
  jit_methods: stats0?.jitCompiledMethods !== undefined ? stats1.jitCompiledMethods - stats0.jitCompiledMethods : undefined,
  jit_ms: stats0?.jitMs !== undefined ? +(stats1.jitMs - stats0.jitMs).toFixed(1) : undefined,
  gc_pause_ms: stats0 ? +(stats1.gcPauseMs - stats0.gcPauseMs).toFixed(1) : undefined,
  stalls: timeline ? worst.map((ms, i) => [i * 50, +(ms ?? 0).toFixed(1)]).filter(([, ms]) => ms > 5) : undefined,
}));
for (const c of clients) c.socket.destroy();
process.exit(0);
