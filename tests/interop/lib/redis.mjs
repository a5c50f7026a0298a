// Starts Debian's redis-server for a Node suite: a free loopback port, in memory only, its own temp
// directory, ready once it logs "Ready to accept connections", killed with the suite.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** test.sh exports REDIS_SERVER_PATH; otherwise Debian's location. */
export function redisServerPath() {
  for (const candidate of [process.env.REDIS_SERVER_PATH, '/usr/bin/redis-server', '/usr/sbin/redis-server']) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return null;
}

const running = new Set();
process.once('exit', () => {
  for (const child of running) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Resolves with { port, url, stop() } once the server accepts connections; rejects with its output otherwise. */
export async function startRedis({ timeoutMs = 15_000 } = {}) {
  const binary = redisServerPath();
  if (!binary) throw new Error('redis-server not found (apt-get install redis-server)');
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-redis-'));
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--daemonize', 'no', '--logfile', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const exited = new Promise((resolve) => child.once('exit', () => { running.delete(child); rmSync(dir, { recursive: true, force: true }); resolve(); }));
  let output = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server not ready within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk) => {
      output += chunk.toString('utf8');
      if (output.includes('Ready to accept connections')) { clearTimeout(timer); resolve(); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then(() => { clearTimeout(timer); reject(new Error(`redis-server exited:\n${output}`)); });
  });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    endpoint: `127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      try { await exited; } finally { clearTimeout(timer); }
    },
  };
}
