// The recording side of the parity suite: official socket.io-client sockets whose every observation
// (events with their arguments, acknowledgement replies, connect / connect_error / disconnect) goes into
// a per-client list, and a transcript built from those lists at points where the order is defined.
// Nothing here knows which server it talks to. docs/conformance.md describes the suite.
import { Manager, io } from 'socket.io-client';

/** How long one wait may take before the transcript records that it timed out (and moves on). */
export const WAIT_MS = 3_000;

/** The client transports of each mode. */
export const MODES = Object.freeze({
  websocket: { transports: ['websocket'] },
  polling: { transports: ['polling'] },
  'polling+upgrade': { transports: ['polling', 'websocket'] },
});

/** One client's observations, in the order the client saw them. */
class Recorder {
  constructor(label, socket) {
    this.label = label;
    this.socket = socket;
    this.entries = [];
    this.flushed = 0;
    this.waiters = new Set();
  }

  push(entry) {
    this.entries.push(entry);
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Resolves true once an unflushed entry matches, false after timeoutMs. */
  wait(match, timeoutMs) {
    return new Promise((resolve) => {
      const check = () => {
        if (!this.entries.slice(this.flushed).some(match)) return false;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(true);
        return true;
      };
      const timer = setTimeout(() => { this.waiters.delete(check); resolve(false); }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

/**
 * One scenario run against one server in one transport mode: creates the clients, records what they
 * observe, and closes them all at the end.
 */
export class Session {
  /**
   * With `upgradeFirst`, in the polling+upgrade mode each client waits for its upgrade to WebSocket
   * once connected (for scenarios whose outcome depends on the transport in use, such as the reason of
   * a closed connection); otherwise traffic flows while the upgrade happens.
   */
  constructor(url, mode, { upgradeFirst = false } = {}) {
    this.url = url;
    this.mode = mode;
    this.upgradeFirst = upgradeFirst && MODES[mode].transports.length > 1;
    this.options = MODES[mode];
    this.recorders = new Map();
    this.managers = new Set();
    this.sharedManagers = new Map();
    /** socket id → client label, so ids compare across servers. */
    this.ids = new Map();
    this.transcript = [];
  }

  /**
   * Creates a client `label` on namespace `nsp`. With `manager`, sockets sharing that name share one
   * Engine.IO connection (multiplexing). Resolves once it connected or was refused (both are recorded).
   */
  async client(label, { nsp = '/', auth = { name: label }, manager } = {}) {
    let socket;
    if (manager) {
      let shared = this.sharedManagers.get(manager);
      if (!shared) {
        shared = new Manager(this.url, { ...this.options, reconnection: false, autoConnect: false });
        this.sharedManagers.set(manager, shared);
        this.managers.add(shared);
      }
      socket = shared.socket(nsp, { auth });
    } else {
      socket = io(`${this.url}${nsp}`, { ...this.options, forceNew: true, reconnection: false, autoConnect: false, auth });
      this.managers.add(socket.io);
    }
    const recorder = new Recorder(label, socket);
    this.recorders.set(label, recorder);
    socket.on('connect', () => {
      this.ids.set(socket.id, this.ids.has(socket.id) ? this.ids.get(socket.id) : this.nextIdLabel(label));
      recorder.push(['connect', { recovered: socket.recovered }]);
    });
    socket.on('connect_error', (err) => recorder.push(['connect_error', err.message, err.data ?? null]));
    socket.on('disconnect', (reason) => recorder.push(['disconnect', reason]));
    socket.onAny((event, ...args) => recorder.push(['event', event, ...args]));
    socket.io.on('close', (reason) => recorder.push(['engine closed', reason]));
    // Listeners first, then connect (autoConnect is off: connect() on an auto-connected socket whose
    // Manager is already open would send a second CONNECT for the namespace).
    socket.connect();
    if (!await recorder.wait((e) => e[0] === 'connect' || e[0] === 'connect_error', WAIT_MS)) {
      recorder.push(['timed out waiting for', 'connect or connect_error']);
    }
    if (this.upgradeFirst && socket.connected && socket.io.engine.transport.name !== 'websocket') {
      const upgraded = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), WAIT_MS);
        socket.io.engine.once('upgrade', () => { clearTimeout(timer); resolve(true); });
      });
      if (!upgraded) recorder.push(['timed out waiting for', 'upgrade']);
    }
    return socket;
  }

  /** The label a socket id stands for: the client's label, primed for each later id of the same client. */
  nextIdLabel(label) {
    let name = label;
    while ([...this.ids.values()].includes(name)) name += "'";
    return name;
  }

  socket(label) {
    return this.recorders.get(label).socket;
  }

  /** The current socket id of a client (to address it from another client). */
  id(label) {
    return this.socket(label).id;
  }

  /** Emits with an acknowledgement; the reply (or its absence within timeoutMs) goes into the client's list. */
  ack(label, event, ...args) {
    return this.ackWithin(WAIT_MS, label, event, ...args);
  }

  ackWithin(timeoutMs, label, event, ...args) {
    return this.ackAs((reply) => reply, timeoutMs, label, event, ...args);
  }

  /** Like ack(), recording map(reply) instead of the reply (to mark lists whose order is the server's). */
  ackAs(map, timeoutMs, label, event, ...args) {
    const recorder = this.recorders.get(label);
    return new Promise((resolve) => {
      recorder.socket.timeout(timeoutMs).emit(event, ...args, (err, ...reply) => {
        recorder.push(err ? ['no ack', event] : ['ack', event, ...map(reply)]);
        resolve(err ? undefined : reply);
      });
    });
  }

  /** Adds an entry of the scenario's own to a client's list (such as what a promise resolved to). */
  note(label, entry) {
    this.recorders.get(label).push(entry);
  }

  /** Emits without an acknowledgement. */
  emit(label, event, ...args) {
    this.socket(label).emit(event, ...args);
  }

  /** Waits until the client saw an entry of `kind` (and `name`, for events); a timeout is recorded. */
  async until(label, kind, name) {
    const recorder = this.recorders.get(label);
    const found = await recorder.wait((e) => e[0] === kind && (name === undefined || e[1] === name), WAIT_MS);
    if (!found) recorder.push(['timed out waiting for', kind, ...(name === undefined ? [] : [name])]);
  }

  /**
   * Ends a step: every connected client does an echo round trip (a server sends one connection's
   * packets in order, so whatever the step sent it has arrived), then each client's new entries go
   * into the transcript, clients in the order they were created.
   */
  async settle(step) {
    const fences = [];
    for (const recorder of this.recorders.values()) {
      const { socket } = recorder;
      if (!socket.connected) continue;
      fences.push(new Promise((resolve) => {
        socket.timeout(WAIT_MS).emit('echo', 'fence', (err) => {
          if (err) recorder.push(['fence timed out']);
          resolve();
        });
      }));
    }
    await Promise.all(fences);
    this.flush(step);
  }

  /** Moves each client's unflushed entries into the transcript under `step`. */
  flush(step) {
    const seen = {};
    for (const [label, recorder] of this.recorders) {
      if (recorder.entries.length > recorder.flushed) {
        seen[label] = recorder.entries.slice(recorder.flushed);
        recorder.flushed = recorder.entries.length;
      }
    }
    this.transcript.push({ step, ...seen });
  }

  /**
   * Disconnects every client, then waits (up to WAIT_MS) until the server no longer holds any of their
   * sockets, so what their disconnects make the server do (the app's "gone" broadcasts) is done before
   * the next scenario's clients connect.
   */
  async close() {
    for (const recorder of this.recorders.values()) {
      recorder.socket.offAny();
      recorder.socket.disconnect();
    }
    for (const manager of this.managers) {
      manager.reconnection(false);
      manager.disconnect();
    }
    const ours = new Set(this.ids.keys());
    const deadline = Date.now() + WAIT_MS;
    while (ours.size > 0 && Date.now() < deadline) {
      const held = await (await fetch(new URL('/parity/socket-ids', this.url))).json();
      if (!held.some((id) => ours.has(id))) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
