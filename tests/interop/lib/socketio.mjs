// Helpers for suites that drive tests/interop/server (Switchboard.InteropServer) with the official
// socket.io-client: starting the app, tracking clients so each test closes its own, awaiting
// acknowledgements, events and server log lines, all with timeouts.
import path from 'node:path';
import { Manager, io } from 'socket.io-client';
import { projectDll, startServer, waitFor, withTimeout } from './server.mjs';

export const INTEROP_PROJECT = 'tests/interop/server';
export const INTEROP_DLL = path.join(path.dirname(projectDll(INTEROP_PROJECT)), 'Switchboard.InteropServer.dll');

/** The interop app's profile (tests/interop/server/Program.cs). */
export const PROFILE = Object.freeze({
  pingInterval: 1_000,
  pingTimeout: 5_000,
  maxPayload: 100_000,
  askTimeout: 500,
  serverBytes: Buffer.from([0xde, 0xad, 0xbe, 0xef]),
});

const DEFAULT_TIMEOUT = 3_000;

/**
 * Starts the interop app on port 0, or on `port` (a restart on the same address). ASP.NET's
 * per-request logs are turned down so the output holds what the library itself logs.
 */
export function startInteropServer({ port } = {}) {
  return startServer({
    project: INTEROP_PROJECT,
    dll: INTEROP_DLL,
    args: port ? ['--urls', `http://127.0.0.1:${port}`] : [],
    env: { 'Logging__LogLevel__Microsoft.AspNetCore': 'Warning' },
  });
}

/**
 * Resolves with the server output once it matches `pattern` (the console logger writes from a
 * queue, so a line can trail the event that caused it); rejects after timeoutMs.
 */
export function waitForLog(server, pattern, timeoutMs = DEFAULT_TIMEOUT) {
  if (pattern.test(server.output())) return Promise.resolve(server.output());
  const { stdout, stderr } = server.process;
  let onData;
  const found = new Promise((resolve) => {
    // server.mjs appends to its output in its own 'data' listener, registered first, so the
    // chunk is already part of server.output() here.
    onData = () => { if (pattern.test(server.output())) resolve(server.output()); };
    stdout.on('data', onData);
    stderr.on('data', onData);
  });
  return withTimeout(found, timeoutMs, `waiting for ${pattern} in the server log`).finally(() => {
    stdout.off('data', onData);
    stderr.off('data', onData);
  });
}

/** Log entries at Error or Critical level in the ASP.NET console format ("fail:" / "crit:"). */
export function errorLogEntries(output) {
  return output.split('\n').filter((line) => /^(fail|crit): /.test(line));
}

/** Official clients created for one test; closeAll() ends them all (call it in afterEach). */
export class ClientPool {
  constructor(baseUrl, options = {}) {
    this.baseUrl = baseUrl;
    this.options = options;
    this.managers = new Set();
    this.sockets = new Set();
  }

  /** A socket with its own Manager (forceNew), on namespace `nsp`. */
  socket(nsp = '/', options = {}) {
    const socket = io(`${this.baseUrl}${nsp}`, { ...this.options, forceNew: true, ...options });
    this.sockets.add(socket);
    this.managers.add(socket.io);
    return socket;
  }

  /** A Manager whose namespaces share one Engine.IO connection. */
  manager(options = {}) {
    const manager = new Manager(this.baseUrl, { ...this.options, ...options });
    this.managers.add(manager);
    return manager;
  }

  closeAll() {
    for (const socket of this.sockets) socket.disconnect();
    for (const manager of this.managers) {
      manager.reconnection(false);
      manager.disconnect();
    }
    this.sockets.clear();
    this.managers.clear();
  }
}

/** Resolves once the socket is connected; rejects with the connect_error, or on timeout. */
export function connected(socket, timeoutMs = DEFAULT_TIMEOUT) {
  if (socket.connected) return Promise.resolve(socket);
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
    };
    const onConnect = () => { cleanup(); resolve(socket); };
    const onError = (err) => { cleanup(); reject(err); };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`socket ${socket.nsp} did not connect within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', onConnect);
    socket.on('connect_error', onError);
  });
}

/** Resolves with the connect_error the socket gets; rejects if it connects instead, or on timeout. */
export function connectError(socket, timeoutMs = DEFAULT_TIMEOUT) {
  return connected(socket, timeoutMs).then(
    () => { throw new Error(`socket ${socket.nsp} connected; a connect_error was expected`); },
    (err) => {
      if (/did not connect within/.test(err.message)) throw err;
      return err;
    },
  );
}

/** Emits with an acknowledgement and resolves with every argument of the ack (an array). */
export function emitAck(socket, event, ...args) {
  return emitAckWithin(DEFAULT_TIMEOUT, socket, event, ...args);
}

export function emitAckWithin(timeoutMs, socket, event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(timeoutMs).emit(event, ...args, (err, ...response) => {
      if (err) reject(new Error(`no ack for '${event}' on ${socket.nsp} within ${timeoutMs} ms`));
      else resolve(response);
    });
  });
}

/**
 * Records every `event` a socket receives. `events` keeps them all (for "received nothing"
 * assertions); next() hands them out in order, waiting when none is left.
 */
export class EventRecorder {
  constructor(emitter, event) {
    this.event = event;
    this.events = [];
    this.cursor = 0;
    this.waiters = [];
    emitter.on(event, (...args) => {
      this.events.push(args);
      const waiter = this.waiters.shift();
      if (waiter) {
        this.cursor++;
        waiter(args);
      }
    });
  }

  next(timeoutMs = DEFAULT_TIMEOUT) {
    if (this.cursor < this.events.length) return Promise.resolve(this.events[this.cursor++]);
    let waiter;
    const pending = new Promise((resolve) => { waiter = resolve; this.waiters.push(waiter); });
    return withTimeout(pending, timeoutMs, `waiting for '${this.event}'`).catch((err) => {
      const index = this.waiters.indexOf(waiter);
      if (index >= 0) this.waiters.splice(index, 1);
      throw err;
    });
  }
}

/**
 * Proves that nothing more is on its way to `socket` from earlier server work: one connection's
 * packets arrive in the order the server queued them, so once an echo round trip started after
 * that work completes, anything that work sent to this socket has already arrived.
 */
export async function fence(socket) {
  const [token] = await emitAck(socket, 'echo', 'fence');
  if (token !== 'fence') throw new Error(`fence echo answered ${JSON.stringify(token)}`);
}

export { waitFor, withTimeout };
