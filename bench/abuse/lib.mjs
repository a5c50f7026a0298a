// What the abuse scenarios share: their arguments, the npm clients (from tests/interop), the standalone
// server they start, a publish through its HTTP API, the server's RSS, and the "N passed, N failed" tally.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'tests/interop/package.json'));
export const { io } = require('socket.io-client');
export const WebSocket = require('ws');

/** `--name value` pairs of the command line. */
export const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));

export const apiKey = 'abuse-key';
export const delay = (ms) => new Promise((r) => setTimeout(r, ms));
export const withTimeout = (promise, ms, what) => Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))]);

/** The resident set of a process, in KB. */
export const rssKb = (pid) => +(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

/**
 * Extra settings for the server of every scenario: `--server "--Switchboard:DirectWebSockets false"` on the
 * command line, or ABUSE_SERVER_ARGS in the environment (split on spaces), e.g. to run the suite against
 * Kestrel's path instead of the direct WebSocket mode (the server's default).
 */
export const serverArgs = (args.server ?? process.env.ABUSE_SERVER_ARGS ?? '').split(' ').filter(Boolean);

/**
 * Starts the standalone server (the build of SWITCHBOARD_CONFIGURATION, Release by default) on
 * `port` with an API key, `settings` (command-line pairs) and `serverArgs`; resolves once it answers. `lines` collects
 * its output, each line with the time it arrived.
 */
export async function startServer(port, settings = []) {
  const base = `http://127.0.0.1:${port}`;
  const dir = path.join(root, 'src/Switchboard.Server');
  const dll = path.join(dir, `bin/${process.env.SWITCHBOARD_CONFIGURATION ?? 'Release'}/net10.0/Switchboard.Server.dll`);
  const child = spawn('dotnet', [dll, '--urls', base, '--Switchboard:Api:Keys:0', apiKey, '--Logging:LogLevel:Default', 'Warning', ...settings, ...serverArgs],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const onData = (d) => { for (const line of d.toString().split('\n')) if (line.trim()) lines.push({ at: Date.now(), line }); };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  for (let i = 0; i < 200; i++) {
    try {
      await new Promise((resolve, reject) => http.get(`${base}/`, (res) => { res.resume(); resolve(); }).on('error', reject));
      return { child, lines, base };
    } catch { await delay(100); }
  }
  child.kill();
  throw new Error('server did not start: ' + lines.map((l) => l.line).join('\n'));
}

/** POST /api/publish; resolves with the answer, rejects on anything but 200. */
export function publish(base, agent, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}/api/publish`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-api-key': apiKey, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`publish ${res.statusCode}: ${text}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Counts checks; `summary()` prints the last line every abuse scenario ends with. */
export function tally() {
  let passed = 0;
  let failed = 0;
  return {
    check(ok, what) { console.log(`${ok ? 'ok' : 'FAIL'} ${what}`); ok ? passed++ : failed++; },
    fail(error) { console.log('FAIL ' + (error?.stack ?? error)); failed++; },
    summary() { console.log(`${passed} passed, ${failed} failed`); return failed ? 1 : 0; },
  };
}
