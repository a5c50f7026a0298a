// Starts Debian's redis-server in the foreground on a loopback port, in memory only (no RDB, no AOF),
// so a restart comes back empty as after a real crash of a cache-only Redis. Also: redis-cli commands,
// and a MONITOR connection that records every command Redis runs, scripts' PUBLISHes included.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findBinary, freePort, track } from './processes.mjs';
import { withTimeout } from './server.mjs';

/** test.sh exports REDIS_SERVER_PATH; otherwise Debian's location. */
export function redisServerPath() {
  return findBinary(process.env.REDIS_SERVER_PATH, '/usr/bin/redis-server', '/usr/local/bin/redis-server');
}

/** redis-cli from the same package (redis-tools), next to redis-server or on the PATH. */
function redisCliPath() {
  const server = redisServerPath();
  const sibling = server && path.join(path.dirname(server), 'redis-cli');
  return sibling && existsSync(sibling) ? sibling : 'redis-cli';
}

/**
 * Starts redis-server on `port` (a free one when not given) and resolves once it accepts connections.
 * The returned handle can stop it and start it again on the same port (`restart`).
 */
export async function startRedis({ port, args = [], timeoutMs = 10_000 } = {}) {
  const binary = redisServerPath();
  if (!binary) throw new Error('redis-server not found: install it (apt-get install redis-server) or set REDIS_SERVER_PATH');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-redis-'));
  let current = null;
  const redis = {
    port: port ?? await freePort(),
    /** What a StackExchange.Redis configuration string needs. */
    get endpoint() { return `127.0.0.1:${this.port}`; },
    /** What a Node redis client needs. */
    get url() { return `redis://127.0.0.1:${this.port}`; },
    output: () => current?.output() ?? '',
    /** Runs redis-cli with the arguments; resolves with its output, trimmed. */
    cli: (...args) => redisCli(redis.port, ...args),
    /** Kills the server at once (no save: nothing was to be saved) and waits for it to be gone. */
    async stop() {
      const stopping = current;
      current = null;
      if (stopping) await stopping.kill();
    },
    /** Starts it again on the same port, empty. */
    async start() {
      current = await launch({ binary, dir, port: redis.port, args, timeoutMs });
    },
    async dispose() {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await redis.start();
  return redis;
}

function launch({ binary, dir, port, args = [], timeoutMs }) {
  return spawnRedis({
    binary,
    args: ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no',
      '--dir', dir, '--loglevel', 'notice', ...args],
    ready: /Ready to accept connections/,
    timeoutMs,
  });
}

/**
 * Spawns redis-server with `args` and resolves with a handle ({ output(), kill() }) once its output
 * matches `ready`. The process is killed when the test process exits. For other modes (a sentinel:
 * `[confFile, '--sentinel', ...]`) with their own ready line.
 */
export function spawnRedis({ binary = redisServerPath(), args, ready, timeoutMs = 10_000 }) {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = track(child);
  let output = '';
  const handle = {
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!err) { resolve(handle); return; }
      child.kill('SIGKILL');
      reject(new Error(`${err}\n--- redis-server output ---\n${output}`));
    };
    const onData = (chunk) => {
      output += chunk.toString('utf8');
      if (ready.test(output)) settle();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (err) => settle(`could not start ${binary}: ${err.message}`));
    exited.then(({ code, signal }) => settle(`redis-server exited early (code ${code}, signal ${signal})`));
    const timer = setTimeout(() => settle(`redis-server did not start within ${timeoutMs} ms`), timeoutMs);
  });
}

/** Runs `redis-cli -p port args...`; resolves with its output, trimmed. */
export function redisCli(port, ...args) {
  return new Promise((resolve, reject) => {
    execFile(redisCliPath(), ['-h', '127.0.0.1', '-p', String(port), ...args.map(String)], { timeout: 10_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`redis-cli ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(stdout.trim())));
  });
}

/**
 * A MONITOR connection: every command Redis runs from now on, in the order it runs them, one line
 * each ('1700000000.123456 [0 lua] "PUBLISH" "sb:inbox:n1" "..."'). `fence()` runs a marker command
 * on another connection and resolves once the monitor has seen it, so everything Redis ran before
 * is in `lines` by then: no waiting on time.
 */
export async function monitor(port, timeoutMs = 5_000) {
  const socket = net.connect(port, '127.0.0.1');
  const lines = [];
  const waiters = new Set();
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    buffer += chunk;
    let end;
    while ((end = buffer.indexOf('\r\n')) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      // MONITOR answers "+OK", then one simple string per command, its arguments quoted and escaped.
      if (line.startsWith('+') && line !== '+OK') {
        lines.push(line.slice(1));
        for (const waiter of waiters) waiter(line);
      }
    }
  });
  socket.on('error', () => { /* ended by the test (close) or a Redis restart */ });
  const started = new Promise((resolve) => socket.once('data', resolve));
  socket.write('MONITOR\r\n');
  await withTimeout(started, timeoutMs, 'starting MONITOR');

  let fences = 0;
  return {
    lines,
    /** The PUBLISH commands seen so far: { channel, message } with the message still escaped. */
    publishes() {
      return lines.flatMap((line) => {
        const match = /"PUBLISH" "([^"]*)" "(.*)"$/.exec(line);
        return match ? [{ channel: match[1], message: match[2] }] : [];
      });
    },
    async fence() {
      const marker = `fence-${process.pid}-${++fences}`;
      let waiter;
      const seen = new Promise((resolve) => {
        waiter = (line) => { if (line.includes(marker)) resolve(); };
        waiters.add(waiter);
      });
      try {
        await redisCli(port, 'ECHO', marker);
        await withTimeout(seen, timeoutMs, `waiting for ${marker} in MONITOR`);
      } finally {
        waiters.delete(waiter);
      }
    },
    close() { socket.destroy(); },
  };
}
