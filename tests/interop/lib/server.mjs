// Starts a built Switchboard app (a sample or the server) on a loopback port for the Node suites,
// plus the small timeout helpers every suite uses. Nothing here knows any protocol.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Repository root: test.sh exports SWITCHBOARD_REPO_ROOT; otherwise derived from this file. */
export const repoRoot = process.env.SWITCHBOARD_REPO_ROOT
  ? path.resolve(process.env.SWITCHBOARD_REPO_ROOT)
  : path.resolve(here, '..', '..', '..');

const configuration = process.env.SWITCHBOARD_CONFIGURATION || 'Release';
const targetFramework = process.env.SWITCHBOARD_TFM || 'net10.0';

/** The build output of a project directory such as 'samples/ProtocolConformance'. */
export function projectDll(project) {
  const name = path.basename(project);
  return path.join(repoRoot, project, 'bin', configuration, targetFramework, `${name}.dll`);
}

const running = new Set();

function killAll() {
  for (const child of running) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
  running.clear();
}

// A suite killed by a runner timeout must not leave servers bound to ports behind it.
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => { killAll(); process.exit(128 + (signal === 'SIGINT' ? 2 : 15)); });
}

const listeningLine = /Now listening on:\s*(https?:\/\/\S+)/;
// eslint-disable-next-line no-control-regex
const ansi = /\u001b\[[0-9;]*m/g;

/**
 * Spawns `dotnet <dll> --urls http://127.0.0.1:0 ...args` (in the project directory unless `cwd` is
 * given) and resolves once Kestrel reports the address it bound. Rejects with the captured output if
 * the process exits first or the line does not appear within timeoutMs.
 */
export function startServer({
  project = 'samples/ProtocolConformance',
  dll = projectDll(project),
  args = [],
  env = {},
  timeoutMs = 30_000,
  cwd: workingDirectory,
} = {}) {
  if (!existsSync(dll)) {
    return Promise.reject(new Error(
      `${dll} does not exist; build first: dotnet build Switchboard.slnx -c ${configuration}`));
  }
  // Run from the project directory as `dotnet run` would, so content-root files resolve the same.
  const projectDir = path.join(repoRoot, project);
  const cwd = workingDirectory ?? (existsSync(projectDir) ? projectDir : path.dirname(dll));
  const child = spawn('dotnet', [dll, '--urls', 'http://127.0.0.1:0', ...args], {
    cwd,
    env: {
      ...process.env,
      DOTNET_NOLOGO: '1',
      DOTNET_CLI_TELEMETRY_OPTOUT: '1',
      // The port is read from this log line, so keep it on whatever the app's defaults are.
      'Logging__LogLevel__Microsoft.Hosting.Lifetime': 'Information',
      // Connections still open when a suite stops its server are closed at once, not over the paced
      // drain's window (docs/drain.md); drain.test.mjs sets a window on the command line, which wins.
      Switchboard__Drain__Window: '00:00:00',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);

  let output = '';
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => { running.delete(child); resolve({ code, signal }); });
  });

  const server = {
    url: '',
    port: 0,
    process: child,
    /** Everything the process printed so far, for failure messages. */
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      try { return await exited; } finally { clearTimeout(timer); }
    },
  };

  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (message) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${message}\n--- output of ${path.basename(dll)} ---\n${output}`));
    };
    const onData = (chunk) => {
      output += chunk.toString('utf8');
      if (settled) return;
      const match = listeningLine.exec(output.replace(ansi, ''));
      if (!match) return;
      settled = true;
      clearTimeout(timer);
      const url = new URL(match[1]);
      server.url = `${url.protocol}//${url.host}`;
      server.port = Number(url.port);
      resolve(server);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (err) => fail(`could not start dotnet: ${err.message}`));
    exited.then(({ code, signal }) => fail(`server exited early (code ${code}, signal ${signal})`));
    const timer = setTimeout(() => fail(`no "Now listening on:" line within ${timeoutMs} ms`), timeoutMs);
  });
}

/**
 * Resolves with the arguments of the next `event` on an EventEmitter (as an array) or with the
 * event object of an EventTarget; rejects after timeoutMs. An EventEmitter's 'error' rejects too,
 * unless 'error' is the event awaited.
 */
export function waitFor(emitter, event, timeoutMs = 5_000) {
  return new Promise((resolve, reject) => {
    const isTarget = typeof emitter.addEventListener === 'function' && typeof emitter.on !== 'function';
    const cleanup = () => {
      clearTimeout(timer);
      if (isTarget) {
        emitter.removeEventListener(event, onEvent);
      } else {
        emitter.off(event, onEvent);
        if (event !== 'error') emitter.off('error', onError);
      }
    };
    const onEvent = (...args) => { cleanup(); resolve(isTarget ? args[0] : args); };
    const onError = (err) => { cleanup(); reject(err); };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for '${event}'`));
    }, timeoutMs);
    if (isTarget) {
      emitter.addEventListener(event, onEvent, { once: true });
    } else {
      emitter.on(event, onEvent);
      if (event !== 'error') emitter.on('error', onError);
    }
  });
}

/** Races a promise against a timer; the rejection names `label`. */
export function withTimeout(promise, ms, label = 'operation') {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
