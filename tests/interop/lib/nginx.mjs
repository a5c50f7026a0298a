// Starts Debian's nginx in the foreground as a reverse proxy in front of a test server, or as the
// cluster's round-robin balancer (deploy/nginx-cluster.conf), with a generated config in its own temp
// directory (pid, temp paths), so nothing system-wide is touched.
// nginx sends its access log as syslog datagrams to a UDP socket of this process (a Node stdio pipe
// is a socket, which nginx cannot open as /dev/stdout), so entries arrive as events and can be awaited.
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findBinary, freePort, terminate, track } from './processes.mjs';
import { repoRoot, withTimeout } from './server.mjs';

/** test.sh exports NGINX_PATH; otherwise Debian's location. */
export function nginxPath() {
  return findBinary(process.env.NGINX_PATH, '/usr/sbin/nginx', '/usr/bin/nginx');
}

/** Temp-path directives for the modules this nginx was built with (nginx-light lacks some). */
export function tempPaths(binary, dir) {
  const built = spawnSync(binary, ['-V'], { encoding: 'utf8' }).stderr ?? '';
  return ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .filter((name) => name === 'client_body' || !built.includes(`--without-http_${name}_module`))
    .map((name) => `  ${name}_temp_path ${path.join(dir, name)};`)
    .join('\n');
}

function proxyConfig({ dir, binary, port, logPort }, { upstream, refuseWebSocket }) {
  const refuse = refuseWebSocket
    ? `      # The corporate proxy: no WebSocket through here.
      if ($http_upgrade != "") { return 403; }\n`
    : '';
  // One process (no master/worker split), so a kill, even SIGKILL, leaves no worker behind.
  return `daemon off;
master_process off;
pid ${path.join(dir, 'nginx.pid')};
error_log stderr notice;
events { worker_connections 256; }
http {
  log_format probe escape=json '{"status":$status,"method":"$request_method","uri":"$request_uri","upgrade":"$http_upgrade"}';
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  access_log syslog:server=127.0.0.1:${logPort},tag=probe,nohostname probe;
${tempPaths(binary, dir)}
  server {
    listen 127.0.0.1:${port};
    location / {
${refuse}      proxy_pass ${upstream};
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      # Long-polling: pass each response on as it comes, and let a poll wait its full course.
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 120s;
    }
  }
}
`;
}

/**
 * Starts nginx proxying every request to `upstream` (e.g. http://127.0.0.1:5000), WebSocket
 * upgrades included. With refuseWebSocket, any request carrying an Upgrade header is answered 403
 * and not proxied.
 * Resolves once nginx has bound its port; retries on a port taken in the meantime.
 */
export function startNginx({ upstream, refuseWebSocket = false, timeoutMs = 10_000, attempts = 3 }) {
  return start({ render: (at) => proxyConfig(at, { upstream, refuseWebSocket }), timeoutMs, attempts });
}

/**
 * Starts nginx as the cluster's load balancer from the repository's template deploy/nginx-cluster.conf
 * (the one scripts/cluster.sh uses): round-robin over `upstreams` (['http://127.0.0.1:5001', ...]),
 * no sticky sessions. Access-log entries also carry `upstream`, the node(s) a request went to.
 */
export function startBalancer({ upstreams, timeoutMs = 10_000, attempts = 3 }) {
  const template = readFileSync(path.join(repoRoot, 'deploy', 'nginx-cluster.conf'), 'utf8');
  const servers = upstreams.map((url) => `    server ${new URL(url).host} max_fails=1 fail_timeout=2s;`).join('\n');
  const render = ({ dir, binary, port, logPort }) => template
    .replaceAll('@DIR@', dir)
    .replaceAll('@LISTEN@', `127.0.0.1:${port}`)
    .replaceAll('@ACCESS_LOG@', `syslog:server=127.0.0.1:${logPort},tag=probe,nohostname cluster`)
    .replaceAll('@TEMP_PATHS@', tempPaths(binary, dir))
    .replaceAll('@SERVERS@', servers);
  return start({ render, timeoutMs, attempts });
}

/**
 * Starts nginx with a config of the caller's: `render({ dir, binary, port, logPort })` returns it, where
 * `port` is the free port to listen on and `logPort` the UDP port of the access log (syslog).
 */
export function startNginxWith({ render, timeoutMs = 10_000, attempts = 3 }) {
  return start({ render, timeoutMs, attempts });
}

async function start({ render, timeoutMs, attempts }) {
  const binary = nginxPath();
  if (!binary) throw new Error('nginx not found: install it (apt-get install nginx-light) or set NGINX_PATH');
  let lastError;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await startOnce({ binary, render, timeoutMs, port: await freePort() });
    } catch (err) {
      lastError = err;
      if (!/Address already in use/.test(err.message)) throw err;
    }
  }
  throw lastError;
}

/** A UDP socket on loopback that receives nginx's syslog datagrams. */
function openLogSocket() {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve(socket));
  });
}

async function startOnce({ binary, render, timeoutMs, port }) {
  const logSocket = await openLogSocket();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-nginx-'));
  const conf = path.join(dir, 'nginx.conf');
  const logPort = logSocket.address().port;
  writeFileSync(conf, render({ dir, binary, port, logPort }));
  const child = spawn(binary, ['-p', `${dir}/`, '-c', conf, '-e', 'stderr'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = track(child);

  let errors = '';
  const access = [];
  const waiters = new Set();
  const cleanUp = () => {
    logSocket.close();
    rmSync(dir, { recursive: true, force: true });
  };

  // Each datagram is "<PRI>timestamp probe: {json}".
  logSocket.on('message', (datagram) => {
    const text = datagram.toString('utf8');
    const entry = JSON.parse(text.slice(text.indexOf('{')));
    access.push(entry);
    for (const waiter of waiters) waiter(entry);
  });

  const proxy = {
    url: `http://127.0.0.1:${port}`,
    port,
    /** Every access-log entry so far: { status, method, uri, upgrade }. */
    access,
    /** nginx's error log (stderr) so far, for failure messages. */
    errors: () => errors,
    /** Resolves with the first access-log entry, past or future, that matches `predicate`. */
    waitForAccess(predicate, ms = 5_000) {
      const seen = access.find(predicate);
      if (seen) return Promise.resolve(seen);
      let waiter;
      const found = new Promise((resolve) => {
        waiter = (entry) => { if (predicate(entry)) resolve(entry); };
        waiters.add(waiter);
      });
      return withTimeout(found, ms, 'waiting for an nginx access-log entry')
        .finally(() => waiters.delete(waiter));
    },
    async stop() {
      await terminate(child, exited);
      cleanUp();
    },
  };

  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!err) { resolve(proxy); return; }
      child.kill('SIGKILL');
      exited.then(cleanUp);
      reject(new Error(`${err}\n--- nginx stderr ---\n${errors}`));
    };
    child.stderr.on('data', (chunk) => {
      errors += chunk.toString('utf8');
      // nginx logs the OS line after it has opened its listening sockets.
      if (/\[notice\] .*OS: /.test(errors)) settle();
    });
    child.once('error', (err) => settle(`could not start ${binary}: ${err.message}`));
    exited.then(({ code, signal }) => settle(`nginx exited early (code ${code}, signal ${signal})`));
    const timer = setTimeout(() => settle(`nginx did not start within ${timeoutMs} ms`), timeoutMs);
  });
}
