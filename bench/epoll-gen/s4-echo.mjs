// A second, independent S4 generator: one Node event loop (epoll), raw TCP sockets and its own RFC 6455
// framing, no socket.io-client. Its shape follows the external generator of issue 15 (one epoll thread,
// own framing), to check bench/'s figures at a fixed rate against a generator that batches differently.
//
//   node s4-echo.mjs --port P --pid PID [--connections 1000] [--rate 10000 | --saturate] [--warmup 30] [--seconds 10] [--timeline]
//
// Prints one JSON line: echoes/s, server CPU µs per echo (utime+stime of PID over the window), the
// server's voluntary context switches per echo (all its threads), RTT p50/p99/p99.9 in ms, and at a fixed
// rate the echoes sent per tick and ticks per second in the window.
import { parseArgs, cpuTicks as cpuTicksOf, switches as switchesOf, frame, SocketIOConnection, stats as statsOf, TICK } from './wire.mjs';

const args = parseArgs(process.argv.slice(2));
const port = Number(args.port);
const pid = Number(args.pid);
const connections = Number(args.connections ?? 1000);
const saturate = args.saturate === 'true';
const rate = Number(args.rate ?? 10000);
// 30 s by default: a fresh .NET server is still compiling (tiered JIT) for 10-20 s under this load.
const warmup = Number(args.warmup ?? 30) * 1000;
const seconds = Number(args.seconds ?? 10) * 1000;
const payload = JSON.stringify('x'.repeat(64));
const cpuTicks = () => cpuTicksOf(pid);
const switches = () => switchesOf(pid);

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
    this.inFlight = new Map();
    this.nextId = 0;
    this.connection = new SocketIOConnection(port, (text) => this.packet(text));
    this.socket = this.connection.socket;
    this.ready = this.connection.ready;
  }

  packet(text) {
    if (text.startsWith('43')) {
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
function stats() { return statsOf(port); }
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
