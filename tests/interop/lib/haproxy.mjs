// Starts Debian's HAProxy in the foreground (-db) with a config of the caller's, in its own temp
// directory, so nothing system-wide is touched. Ready once its port accepts connections.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findBinary, freePort, terminate, track } from './processes.mjs';

/** test.sh exports HAPROXY_PATH; otherwise Debian's location. */
export function haproxyPath() {
  return findBinary(process.env.HAPROXY_PATH, '/usr/sbin/haproxy', '/usr/bin/haproxy');
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts HAProxy with `render({ dir, port })` as its config, `port` being a free port for it to listen on.
 * Resolves with { url, port, output(), stop() } once the port accepts connections.
 */
export async function startHaproxy({ render, timeoutMs = 10_000 }) {
  const binary = haproxyPath();
  if (!binary) throw new Error('haproxy not found: install it (apt-get install haproxy) or set HAPROXY_PATH');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-haproxy-'));
  const port = await freePort();
  const conf = path.join(dir, 'haproxy.cfg');
  writeFileSync(conf, render({ dir, port }));
  const child = spawn(binary, ['-db', '-f', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = track(child);
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const proxy = {
    url: `https://127.0.0.1:${port}`,
    port,
    output: () => output,
    async stop() {
      await terminate(child, exited);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // Polls the port (HAProxy prints nothing when it is up), failing fast if the process exits.
  const deadline = Date.now() + timeoutMs;
  let gone = null;
  exited.then((result) => { gone = result; });
  while (!(await accepts(port))) {
    if (gone || Date.now() > deadline) {
      await proxy.stop();
      throw new Error(`haproxy did not start (${gone ? `exit ${gone.code}` : 'timeout'}):\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return proxy;
}
