// The plain WebSocket transport of the channels client (docs/protocols/websocket.md).
import { SwitchboardError } from './common.js';

// ---- transports ---------------------------------------------------------------------------------
// Each moves frames between the server and the client: open() resolves once the server has accepted
// the connection (rejects with a SwitchboardError whose `fallback` says whether the next transport may
// do better), update() follows a change of the channel set, close() ends it quietly. A transport that
// drops after open() calls client._dropped(info).

export class WebSocketTransport {
  name = 'ws';
  #pending = new Map();
  #nextId = 0;
  #subscribed = new Set();
  #closing = null;
  #pinger = null;

  constructor(client) {
    this.client = client;
  }

  open() {
    const { client } = this;
    const url = new URL(client.options.paths.ws, client.url);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (client.token) url.searchParams.set('token', client.token);
    return new Promise((resolve, reject) => {
      let opened = false;
      let socket;
      try {
        socket = new client.options.WebSocket(url.href, 'switchboard.v1');
      } catch (err) {
        reject(new SwitchboardError('transport_failed', `ws: ${err.message}`, { fallback: true, transport: 'ws' }));
        return;
      }
      this.socket = socket;
      const timer = setTimeout(() => {
        reject(new SwitchboardError('connect_timeout', 'ws: no welcome in time', { fallback: true, transport: 'ws' }));
        this.close();
      }, client.options.connectTimeout);
      socket.addEventListener('error', () => { /* followed by close */ });
      socket.addEventListener('message', (e) => {
        let frame;
        try {
          frame = JSON.parse(typeof e.data === 'string' ? e.data : String(e.data));
        } catch {
          return;
        }
        if (frame.type === 'welcome') {
          clearTimeout(timer);
          opened = true;
          this.connectionId = frame.connectionId;
          this.#startPinger();
          this.update();
          resolve();
        } else {
          this.#onFrame(frame);
        }
      });
      socket.addEventListener('close', (e) => {
        clearTimeout(timer);
        clearInterval(this.#pinger);
        const error = new SwitchboardError('connection_closed', `ws: closed (${e.code})`, { transport: 'ws' });
        for (const pending of this.#pending.values()) pending.reject(error);
        this.#pending.clear();
        if (this.socket !== socket) return; // closed by us
        this.socket = null;
        if (!opened) {
          reject(new SwitchboardError('transport_failed', `ws: closed before the welcome (${e.code})`, { fallback: true, transport: 'ws', wsCode: e.code }));
          return;
        }
        const closing = this.#closing;
        const noReconnect = closing?.reconnect === false || (e.code >= 4500 && e.code <= 4999);
        client._dropped({ transport: 'ws', code: closing?.code ?? `ws_${e.code}`, reason: closing?.reason ?? e.reason, reconnect: !noReconnect });
      });
    });
  }

  #onFrame(frame) {
    const { client } = this;
    if (frame.type === 'pub') client._deliver(frame);
    else if (frame.type === 'discontinuity') client._discontinuity(frame);
    else if (frame.type === 'close') this.#closing = frame;
    else if (frame.type === undefined && this.#pending.has(frame.id)) {
      const pending = this.#pending.get(frame.id);
      this.#pending.delete(frame.id);
      clearTimeout(pending.timer);
      if (frame.ok) pending.resolve(frame);
      else pending.reject(new SwitchboardError(frame.error?.code ?? 'error', frame.error?.message, { transport: 'ws' }));
    }
  }

  #startPinger() {
    const interval = this.client.options.pingInterval;
    if (!interval) return;
    // Browsers do not expose the server's WebSocket pings: a ping request notices a dead server.
    this.#pinger = setInterval(() => {
      this.request({ op: 'ping' }).catch((err) => {
        if (err.code === 'timeout') this.#fail('ping timeout');
      });
    }, interval);
  }

  #fail(reason) {
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    clearInterval(this.#pinger);
    try { socket.close(); } catch { /* already closing */ }
    this.client._dropped({ transport: 'ws', code: 'connection_lost', reason, reconnect: true });
  }

  get isOpen() {
    return this.socket && this.socket.readyState === 1;
  }

  /** Sends a request and resolves with its reply (rejects with the reply's error). */
  request(body) {
    if (!this.isOpen) return Promise.reject(new SwitchboardError('not_connected', 'ws: not open'));
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new SwitchboardError('timeout', `ws: no reply to ${body.op} in time`));
      }, this.client.options.requestTimeout);
      this.#pending.set(id, { resolve, reject, timer });
      this.socket.send(JSON.stringify({ id, ...body }));
    });
  }

  update() {
    const { client } = this;
    this.version = client._version;
    const wanted = new Set(client._channels.keys());
    for (const channel of wanted) {
      if (this.#subscribed.has(channel)) continue;
      this.#subscribed.add(channel);
      this.request({ op: 'subscribe', channel, since: client.position(channel) })
        .then((reply) => client._confirmed(channel, reply))
        .catch((err) => {
          this.#subscribed.delete(channel);
          if (err.code !== 'not_connected' && err.code !== 'connection_closed') client._refused(channel, err);
        });
    }
    for (const channel of this.#subscribed) {
      if (wanted.has(channel)) continue;
      this.#subscribed.delete(channel);
      this.request({ op: 'unsubscribe', channel }).catch(() => { /* gone with the connection */ });
    }
  }

  close() {
    const socket = this.socket;
    this.socket = null;
    clearInterval(this.#pinger);
    try { socket?.close(1000); } catch { /* already closed */ }
  }
}
