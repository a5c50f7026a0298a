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
import { parseArgs, cpuTicks, switches, frame, SocketIOConnection, stats, TICK } from './wire.mjs';

const args = parseArgs(process.argv.slice(2));
const port = Number(args.port);
const pid = Number(args.pid);
const rooms = Number(args.rooms ?? 1000);
const size = Number(args.size ?? 10);
const publishers = Number(args.publishers ?? 16);
const rate = args.rate ? Number(args.rate) : 0;
const inFlight = rate ? 0 : Number(args['in-flight'] ?? 8);
const warmup = Number(args.warmup ?? 20) * 1000;
const seconds = Number(args.seconds ?? 10) * 1000;

let measuring = false;
let delivered = 0;
const latencies = [];
// Publications outstanding: id -> [sent at, members still to receive it].
const pending = new Map();
let nextPublication = 0;
let nextRoom = 0;
let nextPublisher = 0;

/** A Socket.IO client that can emit with an ack; every event (42...) goes to `onEvent`. */
class Connection extends SocketIOConnection {
  constructor(onEvent) {
    super(port, (text) => {
      if (text.startsWith('43')) {
        const id = Number(/^43(\d+)/.exec(text)[1]);
        this.acks.get(id)?.();
        this.acks.delete(id);
      } else if (text.startsWith('42')) onEvent(text);
    });
    this.acks = new Map();
    this.nextAck = 0;
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
await stats(port);

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
await new Promise((r) => setTimeout(r, warmup));
const cpu0 = cpuTicks(pid);
const self0 = cpuTicks(process.pid);
const cs0 = switches(pid);
measuring = true;
const t0 = performance.now();
await new Promise((r) => setTimeout(r, seconds));
measuring = false;
const elapsed = (performance.now() - t0) / 1000;
const cpu = (cpuTicks(pid) - cpu0) / TICK;
const self = (cpuTicks(process.pid) - self0) / TICK;
const cs = switches(pid) - cs0;
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
