// Running the standalone server in production (docs/operations.md), on real processes: a start that
// cannot succeed ends with one line and an exit code (2 for a bad setting, 1 for a port in use or, with
// FailFast, an unreachable Redis), /healthz and /readyz answer as documented (readiness follows a real
// redis-server going from absent to up), and the built server runs from any directory.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { projectDll, startServer, withTimeout } from './lib/server.mjs';
import { freePort } from './lib/processes.mjs';
import { startRedis } from './lib/redis.mjs';

const PROJECT = 'src/Switchboard.Server';
const DLL = projectDll(PROJECT);
const QUIET = ['--Switchboard:Demos:TickerInterval=00:00:00'];

/** Runs the server with `args` until it exits by itself; resolves with its exit code and output. */
function runToExit(args, timeoutMs = 30_000) {
  const child = spawn('dotnet', [DLL, ...args], {
    cwd: path.join(path.dirname(DLL), '..'),
    env: { ...process.env, DOTNET_NOLOGO: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => { stdout += chunk; });
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
  return withTimeout(exited, timeoutMs, `server with ${args.join(' ')} to exit`).catch((err) => {
    child.kill('SIGKILL');
    throw err;
  });
}

/** The one line a failed start writes to stderr; the output holds no stack trace and no other error. */
function oneLine({ stdout, stderr }) {
  const lines = stderr.split('\n').filter((l) => l.trim().length > 0);
  assert.equal(lines.length, 1, `exactly one line on stderr, got:\n${stderr}`);
  assert.doesNotMatch(stdout + stderr, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(stdout + stderr, /Unhandled exception|Hosting failed to start/);
  return lines[0];
}

async function getJson(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: await response.json() };
}

describe('a start that cannot succeed', () => {
  test('a malformed setting: exit 2 and one line naming it', async () => {
    const result = await runToExit(['--urls', 'http://127.0.0.1:0', '--Switchboard:Engine:PingInterval=banana']);
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(oneLine(result), /Switchboard:Engine:PingInterval: 'banana' is not a time span/);
  });

  test('a negative limit: exit 2 and one line naming it', async () => {
    const result = await runToExit(['--urls', 'http://127.0.0.1:0', '--Switchboard:Limits:MaxConnectionsPerIp=-1']);
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(oneLine(result), /Switchboard:Limits:MaxConnectionsPerIp must be 0 \(no limit\) or more \(it is -1\)/);
  });

  test('a port in use: exit 1 and one line', async () => {
    const taken = net.createServer();
    await new Promise((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = taken.address();
      const result = await runToExit(['--urls', `http://127.0.0.1:${port}`, ...QUIET]);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(oneLine(result), new RegExp(`127\\.0\\.0\\.1:${port}: address already in use`));
    } finally {
      taken.close();
    }
  });

  test('Redis out of reach with FailFast: exit 1 and one line', async () => {
    const port = await freePort();
    const result = await runToExit(['--urls', 'http://127.0.0.1:0', ...QUIET,
      `--Switchboard:Redis:Configuration=127.0.0.1:${port},connectTimeout=1000`,
      '--Switchboard:Redis:StartTimeout=00:00:01', '--Switchboard:Redis:FailFast=true']);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(oneLine(result), new RegExp(`Redis \\(127\\.0\\.0\\.1:${port}\\) was not reached within 1 s and Switchboard:Redis:FailFast is on`));
  });
});

describe('health and readiness', () => {
  const cleanups = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  test('started from another directory it reads its settings and serves the demo page; both probes 200', async () => {
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'switchboard-cwd-'));
    cleanups.push(() => rmSync(elsewhere, { recursive: true, force: true }));
    const server = await startServer({ project: PROJECT, cwd: elsewhere, args: QUIET });
    cleanups.push(() => server.stop());

    const page = await fetch(`${server.url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script src="lib\/socket\.io\.min\.js"><\/script>/);
    assert.equal((await fetch(`${server.url}/lib/socket.io.min.js`)).status, 200);
    assert.match(server.output(), new RegExp(`Content root path: ${path.dirname(DLL).replaceAll('.', '\\.')}`));

    assert.deepEqual(await getJson(`${server.url}/healthz`), { status: 200, body: { status: 'Healthy', checks: {} } });
    assert.deepEqual(await getJson(`${server.url}/readyz`), {
      status: 200,
      body: { status: 'Healthy', checks: { switchboard: { status: 'Healthy', description: 'listening' } } },
    });
  });

  test('in a cluster, /readyz is 503 while Redis is out of reach and 200 once it is up; /healthz stays 200', async () => {
    const port = await freePort();
    const server = await startServer({
      project: PROJECT,
      args: [...QUIET, `--Switchboard:Redis:Configuration=127.0.0.1:${port}`, '--Switchboard:Redis:StartTimeout=00:00:00'],
    });
    cleanups.push(() => server.stop());

    const down = await getJson(`${server.url}/readyz`);
    assert.equal(down.status, 503);
    assert.equal(down.body.status, 'Unhealthy');
    assert.equal(down.body.checks.switchboard.status, 'Healthy');
    assert.equal(down.body.checks.redis.status, 'Unhealthy');
    assert.equal(down.body.checks.redis.redis, `127.0.0.1:${port}`);
    assert.match(down.body.checks.redis.description, /Redis unreachable: Connection refused/);
    assert.deepEqual(await getJson(`${server.url}/healthz`), { status: 200, body: { status: 'Healthy', checks: {} } });

    const redis = await startRedis({ port });
    cleanups.push(() => redis.dispose());
    let ready;
    const deadline = Date.now() + 20_000;
    do {
      ready = await getJson(`${server.url}/readyz`);
      if (ready.status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
    } while (ready.status !== 200 && Date.now() < deadline);
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.equal(ready.body.checks.redis.description, 'joined, lease fresh');
    assert.equal(ready.body.checks.redis.redis, `127.0.0.1:${port}`);

    // Each failed attempt was one short line, without the client's thread-pool diagnostics.
    const attempts = server.output().split('\n').filter((l) => l.includes('cannot reach Redis yet'));
    assert.ok(attempts.length >= 1, server.output());
    for (const line of attempts) {
      assert.ok(line.length < 200, line);
      assert.match(line, new RegExp(`\\(attempt \\d+, next in [\\d.]+ s\\): 127\\.0\\.0\\.1:${port}: Connection refused$`));
    }
    assert.doesNotMatch(server.output(), /IOCP|could not renew its lease/);
  });
});
