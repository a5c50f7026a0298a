// The independent generator's fan-out rows (S2, S3): one Node event loop (epoll), raw TCP sockets and its own
// RFC 6455 framing, as s4-echo.mjs. ROOMS rooms of SIZE subscribers each join their room over Socket.IO on a
// WebSocket; PUBLISHERS other connections emit publish(room, id) round-robin over the rooms, either keeping
// --in-flight publications outstanding (one completes when every member of its room has it) or at a fixed
// --rate of deliveries per second.
//
//   node rooms.mjs --port P --pid PID [--rooms 1000] [--size 10] [--publishers 16]
//                  [--in-flight 8 | --rate 40000] [--warmup 20] [--seconds 10]
//
// S3: --rooms 1000 --size 10 --in-flight 8 (or 64); S2-1k: --rooms 1 --size 1000 --in-flight 16 | --rate 40000.
// Prints one JSON line: deliveries/s, server CPU µs per delivery (utime+stime of PID over the window), its
// voluntary context switches per delivery, the generator's own CPU share, and delivery latency p50/p99/p99.9 ms
// (from the publish's write to each member's receipt).
import net from 'node:net';
import crypto from 'node:crypto';
import fs from 'node:fs';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => {
  if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : 'true']);
  return pairs;
}, []));
const port = Number(args.port);
const pid = Number(args.pid);
const rooms = Number(args.rooms ?? 1000);
const size = Number(args.size ?? 10);
const publishers = Number(args.publishers ?? 16);
const rate = args.rate ? Number(args.rate) : 0;
const inFlight = rate ? 0 : Number(args['in-flight'] ?? 8);
const warmup = Number(args.warmup ?? 20) * 1000;
const seconds = Number(args.seconds ?? 10) * 1000;
const TICK = 100; // clock ticks per second in /proc/<pid>/stat

function cpuTicks(of) {
  const stat = fs.readFileSync(`/proc/${of}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
function switches() {
  let total = 0;
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8'))[1]);
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
let delivered = 0;
const latencies = [];
// Publications outstanding: id -> [sent at, members still to receive it].
const pending = new Map();
let nextPublication = 0;
let nextRoom = 0;
let nextPublisher = 0;

class Connection {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = Buffer.alloc(0);
    this.upgraded = false;
    this.acks = new Map();
    this.nextAck = 0;
    this.ready = new Promise((resolve, reject) => { this.resolve = resolve; this.reject = reject; });
    this.socket = net.connect(port, '127.0.0.1', () => {
      this.socket.setNoDelay(true);
      const key = crypto.randomBytes(16).toString('base64');
      this.socket.write(`GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    this.socket.on('data', (data) => this.read(data));
    this.socket.on('error', (e) => this.reject(e));
    this.socket.on('close', () => this.reject(new Error('a connection closed')));
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
      this.acks.get(id)?.();
      this.acks.delete(id);
    } else if (text.startsWith('42')) this.onEvent(text);
  }

  ask(event, ...values) {
    const id = this.nextAck++;
    return new Promise((resolve) => {
      this.acks.set(id, resolve);
      this.socket.write(frame(`42${id}${JSON.stringify([event, ...values])}`));
    });
  }
}

function received(text) {
  // 42["msg","<id>"] (a server may append more arguments, such as an offset).
  const id = Number(/^42\["msg","(\d+)"/.exec(text)?.[1]);
  const entry = pending.get(id);
  if (entry === undefined) return;
  if (measuring) { delivered++; latencies.push(performance.now() - entry[0]); }
  if (--entry[1] === 0) {
    pending.delete(id);
    if (inFlight) publish();
  }
}

const publisherConnections = [];
function publish() {
  const id = nextPublication++;
  const room = nextRoom;
  nextRoom = (nextRoom + 1) % rooms;
  pending.set(id, [performance.now(), size]);
  const publisher = publisherConnections[nextPublisher];
  nextPublisher = (nextPublisher + 1) % publishers;
  publisher.socket.write(frame(`42["publish","r${room}","${id}"]`));
}

const subscribers = [];
for (let r = 0; r < rooms; r++) {
  for (let m = 0; m < size; m++) subscribers.push([r, new Connection(received)]);
  if (subscribers.length % 200 < size) await Promise.all(subscribers.slice(-200).map(([, c]) => c.ready));
}
await Promise.all(subscribers.map(([, c]) => c.ready));
for (let i = 0; i < subscribers.length; i += 500) {
  await Promise.all(subscribers.slice(i, i + 500).map(([room, c]) => c.ask('join', `r${room}`)));
}
for (let p = 0; p < publishers; p++) publisherConnections.push(new Connection(() => {}));
await Promise.all(publisherConnections.map((c) => c.ready));
// fetch() blocks the loop for tens of ms on first use: once now, not in the window.
await stats();

let done = false;
const started = performance.now();
let owedSent = 0;
if (inFlight) {
  for (let i = 0; i < inFlight; i++) publish();
} else {
  // Every millisecond or so, the publications the rate owes by now (deliveries / room size).
  const tick = () => {
    const owed = Math.floor((performance.now() - started) * rate / size / 1000) - owedSent;
    for (let i = 0; i < owed; i++) publish();
    owedSent += Math.max(0, owed);
    if (!done) setTimeout(tick, 1);
  };
  tick();
}
async function stats() {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/debug/stats`);
    return response.ok ? await response.json() : null;
  } catch { return null; }
}
await new Promise((r) => setTimeout(r, warmup));
const cpu0 = cpuTicks(pid);
const self0 = cpuTicks(process.pid);
const cs0 = switches();
measuring = true;
const t0 = performance.now();
await new Promise((r) => setTimeout(r, seconds));
measuring = false;
const elapsed = (performance.now() - t0) / 1000;
const cpu = (cpuTicks(pid) - cpu0) / TICK;
const self = (cpuTicks(process.pid) - self0) / TICK;
const cs = switches() - cs0;
done = true;
latencies.sort((a, b) => a - b);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]?.toFixed(2);
console.log(JSON.stringify({
  mode: inFlight ? `${inFlight} in flight` : `${rate}/s`, rooms, size, deliveries_per_s: Math.round(delivered / elapsed),
  cpu_us_per_delivery: +(cpu * 1e6 / delivered).toFixed(2), cpu_pct: +(cpu * 100 / elapsed).toFixed(1),
  vcsw_per_delivery: +(cs / delivered).toFixed(3), generator_cpu_pct: +(self * 100 / elapsed).toFixed(1),
  p50_ms: q(0.5), p99_ms: q(0.99), p999_ms: q(0.999),
}));
for (const [, c] of subscribers) c.socket.destroy();
for (const c of publisherConnections) c.socket.destroy();
process.exit(0);
