// What the helpers that run outside programs (redis-server, nginx, haproxy) share: finding the binary,
// a free loopback port, and killing every child left running when the test process exits.
import { existsSync } from 'node:fs';
import net from 'node:net';

/** The first of `candidates` (an environment override first, e.g. test.sh's NGINX_PATH) that exists. */
export function findBinary(...candidates) {
  for (const candidate of candidates) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return null;
}

/** A loopback port that was free a moment ago (a caller that loses the race retries). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

const running = new Set();
process.once('exit', () => {
  for (const child of running) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

/**
 * Keeps `child` on the list killed at exit until it ends; resolves with { code, signal } when it does.
 * Call right after spawn, before anything can await.
 */
export function track(child) {
  running.add(child);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => { running.delete(child); resolve({ code, signal }); });
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when `child` (tracked, `exited` from track) is gone. */
export async function terminate(child, exited, graceMs = 5_000) {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited.finally(() => clearTimeout(timer));
  }
}
