// What both epoll generators share: their command line, /proc readings of the server, and the client side of
// RFC 6455 and Socket.IO's WebSocket handshake on a raw TCP socket (one Node event loop, no socket.io-client).
import net from 'node:net';
import crypto from 'node:crypto';
import fs from 'node:fs';

/** `--name value` pairs (a flag without a value is 'true'). */
export function parseArgs(argv) {
  return Object.fromEntries(argv.reduce((pairs, a, i, all) => {
    if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : 'true']);
    return pairs;
  }, []));
}

/** utime + stime of a process, in clock ticks (100 a second). */
export function cpuTicks(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
export const TICK = 100;

/** The voluntary context switches of all of a process's threads. */
export function switches(pid) {
  let total = 0;
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8'))[1]);
    } catch { /* a thread that ended */ }
  }
  return total;
}

/** A masked text frame, as a client sends it. */
export function frame(text) {
  const body = Buffer.from(text);
  const mask = crypto.randomBytes(4);
  const head = body.length < 126 ? Buffer.from([0x81, 0x80 | body.length]) : Buffer.from([0x81, 0xfe, body.length >> 8, body.length & 0xff]);
  for (let i = 0; i < body.length; i++) body[i] ^= mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

/**
 * A Socket.IO client on a WebSocket to /socket.io on `port`: answers the open packet with CONNECT and pings with
 * pongs, resolves `ready` on the CONNECT reply, and hands every other text packet to `onPacket(text)`.
 */
export class SocketIOConnection {
  constructor(port, onPacket) {
    this.onPacket = onPacket;
    this.buffer = Buffer.alloc(0);
    this.upgraded = false;
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
    else this.onPacket(text);
  }
}

/** The bench server's /debug/stats (null from servers without it). */
export async function stats(port) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/debug/stats`);
    return response.ok ? await response.json() : null;
  } catch { return null; }
}
