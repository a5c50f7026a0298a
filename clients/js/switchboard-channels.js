// A browser and Node client for Switchboard's channel protocols: the plain WebSocket protocol
// (docs/protocols/websocket.md), Server-Sent Events (docs/protocols/sse.md, read over fetch streaming)
// and long-poll (docs/protocols/longpoll.md), with the HTTP API (docs/protocols/http-api.md) for
// publishing when no WebSocket is open. ES modules (this one and channels/), no dependencies, no build step.
// Behaviour (reconnection, resume, discontinuities, token refresh): docs/clients-js.md.

import { SwitchboardError, jwtExpiry, isAuthCode, refusal, Emitter } from './channels/common.js';
import { Subscription } from './channels/subscription.js';
import { WebSocketTransport } from './channels/websocket.js';
import { ServerSentEventsTransport } from './channels/sse.js';
import { LongPollTransport } from './channels/longpoll.js';

export { SwitchboardError, parseCursor, formatCursor } from './channels/common.js';
export { Subscription } from './channels/subscription.js';

export const VERSION = '1.0.0';

const DEFAULTS = {
  transports: ['ws', 'sse', 'poll'],
  paths: { ws: '/ws', sse: '/sse', poll: '/poll', api: '/api' },
  backoff: { initial: 500, max: 30_000 },
  connectTimeout: 10_000,
  requestTimeout: 10_000,
  pingInterval: 25_000,
  sseIdleTimeout: 45_000,
  pollTimeout: 25,
};

const TRANSPORTS = { ws: WebSocketTransport, sse: ServerSentEventsTransport, poll: LongPollTransport };

// ---- the client ---------------------------------------------------------------------------------

/**
 * A connection to one Switchboard server's channels, over the first transport that works of
 * `options.transports` (default ws, then sse, then poll), that reconnects and resumes by itself.
 */
export class ChannelClient extends Emitter {
  /** channel -> { position: {offset, epoch} | null, subscriptions: Set<Subscription> } */
  _channels = new Map();
  /** Counts changes of the channel set; a transport that opened with an older one is updated. */
  _version = 0;
  #transport = null;
  #state = 'idle';
  #attempt = 0;
  #timer = null;
  #connecting = null;
  #flushQueued = false;
  #refreshing = null;

  /**
   * @param {string} url the server's base URL (http or https), e.g. location.origin
   * @param {object} [options] see switchboard-channels.d.ts
   */
  constructor(url, options = {}) {
    super();
    this.url = new URL(url, globalThis.location?.href).href;
    this.options = {
      ...DEFAULTS,
      ...options,
      paths: { ...DEFAULTS.paths, ...options.paths },
      backoff: { ...DEFAULTS.backoff, ...options.backoff },
      WebSocket: options.WebSocket ?? globalThis.WebSocket,
      fetch: options.fetch ?? globalThis.fetch?.bind(globalThis),
    };
    for (const name of this.options.transports) {
      if (!TRANSPORTS[name]) throw new SwitchboardError('invalid_option', `unknown transport '${name}'`);
    }
    this.token = options.token;
  }

  /** idle, connecting, connected, reconnecting or closed. */
  get state() {
    return this.#state;
  }

  /** The name of the transport in use ('ws', 'sse', 'poll'), or null. */
  get transport() {
    return this.#state === 'connected' ? this.#transport?.name ?? null : null;
  }

  /** The server's id of the current connection (plain WebSocket or SSE), for the HTTP API's exclude. */
  get connectionId() {
    return this.#transport?.connectionId ?? null;
  }

  /** The last position delivered (or confirmed by the server) in a channel, or null. */
  position(channel) {
    const position = this._channels.get(channel)?.position;
    return position ? { offset: position.offset, epoch: position.epoch } : null;
  }

  /** Every channel's position, as an object keyed by channel. */
  positions() {
    return Object.fromEntries([...this._channels.keys()].map((c) => [c, this.position(c)]));
  }

  /**
   * Subscribes to a channel, from `since` ({offset, epoch}: resume after it) or from now.
   * Several subscriptions of one channel share its position and deliveries.
   */
  subscribe(channel, { since = null } = {}) {
    if (typeof channel !== 'string' || !channel) throw new SwitchboardError('invalid_channel', 'a channel is a non-empty string');
    if (this.#state === 'closed') throw new SwitchboardError('closed', 'the client is closed');
    const subscription = new Subscription(this, channel);
    let entry = this._channels.get(channel);
    if (!entry) {
      entry = { position: since ? { offset: since.offset, epoch: since.epoch } : null, subscriptions: new Set() };
      this._channels.set(channel, entry);
      this.#changed();
    }
    entry.subscriptions.add(subscription);
    return subscription;
  }

  _release(subscription) {
    const entry = this._channels.get(subscription.channel);
    subscription._end();
    if (!entry?.subscriptions.delete(subscription) || entry.subscriptions.size) return;
    this._channels.delete(subscription.channel);
    this.#changed();
  }

  #changed() {
    this._version++;
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      if (this.#state === 'closed') return;
      if (this.#state === 'connected') this.#transport.update();
      else if (this.#state === 'idle') this.connect().catch(() => { /* reported as 'error' */ });
    });
  }

  /** Connects now (subscribe and publish connect by themselves). Resolves once connected. */
  connect() {
    if (this.#state === 'closed') return Promise.reject(new SwitchboardError('closed', 'the client is closed'));
    if (this.#state === 'connected') return Promise.resolve();
    if (this.#state === 'idle') {
      this.#setState('connecting');
      this.#run();
    }
    return this.#whenConnected();
  }

  #whenConnected() {
    return new Promise((resolve, reject) => {
      const offState = this.on('state', ({ state }) => {
        if (state === 'connected') { offState(); resolve(); }
        if (state === 'closed') { offState(); reject(this.closeError ?? new SwitchboardError('closed', 'the client is closed')); }
      });
    });
  }

  #setState(state, extra = {}) {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', { state, transport: this.#transport?.name ?? null, ...extra });
  }

  async #run() {
    if (this.#connecting) return;
    this.#connecting = true;
    try {
      let refreshed = false;
      let retryAfter;
      const names = this.options.transports.filter((n) => n !== 'ws' || this.options.WebSocket);
      for (let i = 0; i < names.length && this.#state !== 'closed'; i++) {
        await this.#freshToken();
        const transport = new TRANSPORTS[names[i]](this);
        this.emit('attempt', { transport: names[i] });
        try {
          this.#transport = transport;
          await transport.open();
          if (this.#state === 'closed' || this.#transport !== transport) { transport.close(); return; }
          this.#attempt = 0;
          if (transport.version !== this._version) transport.update();
          this.#setState('connected', { connectionId: transport.connectionId ?? null });
          this.emit('connected', { transport: transport.name, connectionId: transport.connectionId ?? null });
          this.#flushPublishes();
          return;
        } catch (err) {
          transport.close();
          this.#transport = null;
          if (this.#state === 'closed') return;
          this.emit('transportError', err);
          if (isAuthCode(err.code) && !refreshed && await this._refreshAfter(err)) {
            refreshed = true;
            i--;
            continue;
          }
          if (isAuthCode(err.code) || err.fatal) {
            this.#fail(err);
            return;
          }
          if (!err.fallback) { retryAfter = err.retryAfter; break; }
        }
      }
      if (this.#state !== 'closed') this.#retry(retryAfter);
    } finally {
      this.#connecting = false;
    }
  }

  #retry(retryAfter) {
    const { initial, max } = this.options.backoff;
    const base = Math.min(max, initial * 2 ** this.#attempt++);
    const delay = Math.max(retryAfter ?? 0, base * (0.5 + Math.random())); // jitter: 0.5x to 1.5x
    this.#setState('reconnecting', { delay });
    this.#timer = setTimeout(() => { this.#timer = null; this.#run(); }, delay);
  }

  /** A transport that was connected has dropped. */
  _dropped({ transport, code, reason, reconnect, error }) {
    if (this.#state !== 'connected' || this.#transport?.name !== transport) return;
    this.#transport.close();
    this.#transport = null;
    this.emit('disconnected', { transport, code, reason, reconnect });
    if (!reconnect) {
      this.#fail(error ?? new SwitchboardError(code, reason || code, { transport }));
      return;
    }
    this.#retry();
  }

  #fail(error) {
    this.closeError = error;
    this.emit('error', error);
    this.close();
  }

  /** Asks `options.refreshToken` for a new token after a refusal; true when one came. */
  async _refreshAfter(error) {
    if (typeof this.options.refreshToken !== 'function') return false;
    this.#refreshing ??= Promise.resolve()
      .then(() => this.options.refreshToken({ code: error.code, message: error.message }))
      .finally(() => { this.#refreshing = null; });
    try {
      const token = await this.#refreshing;
      if (!token) return false;
      this.token = token;
      return true;
    } catch (err) {
      this.emit('transportError', err);
      return false;
    }
  }

  /** Before connecting: a token that is a JWT past its exp is refreshed first (a WebSocket cannot tell why it was refused). */
  async #freshToken() {
    const expiry = this.token ? jwtExpiry(this.token) : undefined;
    if (expiry !== undefined && expiry <= Date.now() + 5_000) {
      await this._refreshAfter(new SwitchboardError('token_expired', 'the token has expired'));
    }
  }

  _deliver(publication) {
    const entry = this._channels.get(publication.channel);
    if (!entry) return;
    const { offset, epoch } = publication;
    const last = entry.position;
    if (last && last.epoch === epoch && offset <= last.offset) return; // already delivered (a replay overlap)
    entry.position = { offset, epoch };
    const item = { type: 'publication', channel: publication.channel, offset, epoch, event: publication.event, data: publication.data };
    for (const subscription of entry.subscriptions) subscription._push(item);
    this.emit('publication', item);
  }

  _discontinuity({ channel, offset, epoch }) {
    const entry = this._channels.get(channel);
    if (!entry) return;
    entry.position = { offset, epoch };
    const item = { type: 'discontinuity', channel, offset, epoch };
    for (const subscription of entry.subscriptions) subscription._push(item);
    this.emit('discontinuity', item);
  }

  /** The server confirmed a channel's position (a subscribe reply, `subscribed`, a poll's cursor). */
  _confirmed(channel, { offset, epoch }, always = false) {
    const entry = this._channels.get(channel);
    if (!entry) return;
    const first = !entry.confirmed;
    entry.confirmed = true;
    // Live publications may come before the reply: a position already held is newer.
    if (!entry.position || always) entry.position = { offset, epoch };
    if (first) {
      const item = { channel, offset, epoch };
      for (const subscription of entry.subscriptions) subscription.emit('subscribed', item);
      this.emit('subscribed', item);
    }
  }

  _refused(channel, error) {
    const entry = this._channels.get(channel);
    if (!entry) return;
    this._channels.delete(channel);
    error.channel = channel;
    for (const subscription of entry.subscriptions) subscription._end(error);
    this.emit('error', error);
  }

  // ---- publishing and requests --------------------------------------------------------------------

  #publishQueue = [];

  /**
   * Publishes `data` as `event` (default "message") on a channel and resolves with where it landed,
   * {channel, offset, epoch}: over the plain WebSocket when that is the transport in use, else over
   * the HTTP API when `options.apiKey` is set.
   */
  publish(channel, data = null, { event, echo } = {}) {
    return new Promise((resolve, reject) => {
      this.#publishQueue.push({ channel, data, event, echo, resolve, reject });
      if (this.#state === 'idle') this.connect().catch(() => {});
      this.#flushPublishes();
    });
  }

  #flushPublishes() {
    const canWait = this.#state === 'connecting' || this.#state === 'reconnecting';
    if (this.#state === 'closed') {
      for (const p of this.#publishQueue.splice(0)) p.reject(new SwitchboardError('closed', 'the client is closed'));
      return;
    }
    const ws = this.#state === 'connected' && this.#transport?.name === 'ws' ? this.#transport : null;
    if (!ws && !this.options.apiKey && canWait) return; // sent once connected
    for (const p of this.#publishQueue.splice(0)) {
      const { channel, data, event, echo } = p;
      let sent;
      if (ws) {
        const request = { op: 'publish', channel, data };
        if (event !== undefined) request.event = event;
        if (echo !== undefined) request.echo = echo;
        sent = ws.request(request).then((r) => ({ channel: r.channel, offset: r.offset, epoch: r.epoch }));
      } else if (this.options.apiKey) {
        sent = this.#publishOverApi(channel, event, data);
      } else {
        sent = Promise.reject(new SwitchboardError('publish_unavailable',
          `publishing needs the plain WebSocket transport or an apiKey (transport in use: ${this.transport ?? 'none'})`));
      }
      sent.then(p.resolve, p.reject);
    }
  }

  async #publishOverApi(channel, event, data) {
    const res = await this.options.fetch(new URL(`${this.options.paths.api}/publish`, this.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': this.options.apiKey },
      body: JSON.stringify({ channel, event, data }),
    });
    if (!res.ok) throw await refusal(res, 'api');
    const body = await res.json();
    return { channel, ...body.results[channel] };
  }

  /** A plain WebSocket request (`presence`, `history`, `ping`); needs the ws transport in use. */
  request(op, fields = {}) {
    if (this.transport !== 'ws') return Promise.reject(new SwitchboardError('not_connected', `'${op}' needs the plain WebSocket transport`));
    return this.#transport.request({ op, ...fields });
  }

  /** Stops everything: no more reconnects; iterators end. */
  close() {
    if (this.#state === 'closed') return;
    clearTimeout(this.#timer);
    this.#transport?.close();
    this.#transport = null;
    this.#setState('closed');
    this.#flushPublishes();
    for (const entry of this._channels.values()) {
      for (const subscription of entry.subscriptions) subscription._end();
    }
    this.emit('closed', { error: this.closeError ?? null });
  }

  // ---- for the transports -------------------------------------------------------------------------

  _endpoint(kind, channels, query) {
    const url = new URL(this.options.paths[kind], this.url);
    for (const channel of channels) url.searchParams.append('channel', channel);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    if (this.token && this.options.tokenInQuery) url.searchParams.set('token', this.token);
    return url;
  }

  _fetch(transport, url, init) {
    const headers = { ...init.headers };
    if (this.token && !this.options.tokenInQuery) headers.authorization = `Bearer ${this.token}`;
    return this.options.fetch(url, { ...init, headers, cache: 'no-store' }).catch((err) => {
      if (err.name === 'AbortError') throw err;
      throw new SwitchboardError('transport_failed', `${transport}: ${err.message}`, { fallback: true, transport });
    });
  }
}

/** Same as `new ChannelClient(url, options)`. */
export function createClient(url, options) {
  return new ChannelClient(url, options);
}
