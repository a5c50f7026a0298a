// A browser and Node client for Switchboard's channel protocols: the plain WebSocket protocol
// (docs/protocols/websocket.md), Server-Sent Events (docs/protocols/sse.md, read over fetch streaming)
// and long-poll (docs/protocols/longpoll.md), with the HTTP API (docs/protocols/http-api.md) for
// publishing when no WebSocket is open. One ES module, no dependencies, no build step.
// Behaviour (reconnection, resume, discontinuities, token refresh): docs/clients-js.md.

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

/** An error of this client or of the server: `code` is the server's `error.code` or one of this client's. */
export class SwitchboardError extends Error {
  constructor(code, message, extra = {}) {
    super(message || code);
    this.name = 'SwitchboardError';
    this.code = code;
    Object.assign(this, extra);
  }
}

// ---- cursors (docs/protocols/sse.md#the-cursor) -------------------------------------------------

const PLAIN_EPOCH = /^[A-Za-z0-9_-]+$/;

function base64UrlEncode(text) {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function base64UrlDecode(text) {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/** The positions of an SSE / long-poll cursor, in its channels' order; throws on a malformed one. */
export function parseCursor(cursor) {
  const parts = String(cursor).split('~');
  if (parts[0] !== 'v1' || parts.length < 2) throw new SwitchboardError('invalid_cursor', `not a v1 cursor: ${cursor}`);
  return parts.slice(1).map((segment) => {
    const dot = segment.indexOf('.');
    const offset = Number(segment.slice(0, dot));
    let epoch = segment.slice(dot + 1);
    if (dot < 1 || !/^\d{1,18}$/.test(segment.slice(0, dot))) throw new SwitchboardError('invalid_cursor', `bad segment ${segment}`);
    epoch = epoch.startsWith('.') ? base64UrlDecode(epoch.slice(1)) : epoch;
    if (!epoch) throw new SwitchboardError('invalid_cursor', `bad segment ${segment}`);
    return { offset, epoch };
  });
}

/** The cursor of these positions ({offset, epoch} each, in the request's channel order). */
export function formatCursor(positions) {
  return `v1${positions.map(({ offset, epoch }) => `~${offset}.${PLAIN_EPOCH.test(epoch) ? epoch : `.${base64UrlEncode(epoch)}`}`).join('')}`;
}

// ---- small helpers --------------------------------------------------------------------------------

/** The `exp` of a JWT in ms since the epoch, or undefined (not a JWT, or no exp). Not verified. */
function jwtExpiry(token) {
  try {
    const payload = JSON.parse(base64UrlDecode(String(token).split('.')[1]));
    return typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

// Switchboard's refusals of the request itself: retrying, or another transport, gets the same answer.
const FATAL_CODES = new Set(['forbidden', 'channel_missing', 'invalid_channel', 'duplicate_channel', 'too_many_channels', 'invalid_timeout']);

const isAuthCode = (code) => code === 'token_missing' || code === 'token_expired' || code === 'token_invalid';

async function refusal(res, transport) {
  let code = `http_${res.status}`;
  let message = `${transport}: HTTP ${res.status}`;
  try {
    const body = await res.json();
    if (body?.error?.code) ({ code, message } = body.error);
  } catch { /* no JSON body */ }
  const retryAfter = Number(res.headers.get('retry-after'));
  const fatal = FATAL_CODES.has(code);
  return new SwitchboardError(code, message, {
    status: res.status,
    transport,
    retryAfter: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
    // 429/503 are the server's limits and 401 its verdict on the token: another transport would get
    // the same. Anything else that is not Switchboard's own refusal (a proxy's 403, a 404 where the
    // endpoint is not mapped) may work on the next transport.
    fallback: !fatal && !isAuthCode(code) && res.status !== 429 && res.status !== 503,
    fatal,
  });
}

class Emitter {
  #listeners = new Map();

  /** Adds a listener; returns a function that removes it. */
  on(type, listener) {
    if (!this.#listeners.has(type)) this.#listeners.set(type, new Set());
    this.#listeners.get(type).add(listener);
    return () => this.off(type, listener);
  }

  off(type, listener) {
    this.#listeners.get(type)?.delete(listener);
  }

  emit(type, value) {
    for (const listener of [...(this.#listeners.get(type) ?? [])]) {
      try {
        listener(value);
      } catch (err) {
        queueMicrotask(() => { throw err; }); // a listener's bug is reported, never breaks delivery
      }
    }
  }

  listenerCount(type) {
    return this.#listeners.get(type)?.size ?? 0;
  }
}

// ---- subscriptions ------------------------------------------------------------------------------

/**
 * One channel of a client. Publications and discontinuities come as events (`on`) and through the
 * async iterator, which yields `{type:'publication', ...}` and `{type:'discontinuity', ...}` items.
 */
export class Subscription extends Emitter {
  #queue = [];
  #waiters = [];
  #ended = false;
  #iterated = false; // items are queued only for an iterator, so callback-only use keeps nothing

  constructor(client, channel) {
    super();
    this.client = client;
    this.channel = channel;
  }

  /** The last position delivered in this channel ({offset, epoch}), or null before the first. */
  get position() {
    return this.client.position(this.channel);
  }

  /** Stops this subscription (the channel is left when no other subscription of the client holds it). */
  unsubscribe() {
    this.client._release(this);
  }

  _push(item) {
    this.emit(item.type, item);
    if (this.#ended || !this.#iterated) return;
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve({ value: item, done: false });
    else this.#queue.push(item);
  }

  _end(error) {
    if (this.#ended) return;
    this.#ended = true;
    if (error) this.emit('error', error);
    for (const waiter of this.#waiters.splice(0)) {
      if (error) waiter.reject(error); else waiter.resolve({ value: undefined, done: true });
    }
    this.error = error;
  }

  /** Yields what arrives from now on; leaving the loop (break, return, throw) unsubscribes. */
  [Symbol.asyncIterator]() {
    this.#iterated = true;
    return {
      next: () => {
        if (this.#queue.length) return Promise.resolve({ value: this.#queue.shift(), done: false });
        if (this.#ended) return this.error ? Promise.reject(this.error) : Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
      },
      return: () => {
        this.unsubscribe();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

// ---- transports ---------------------------------------------------------------------------------
// Each moves frames between the server and the client: open() resolves once the server has accepted
// the connection (rejects with a SwitchboardError whose `fallback` says whether the next transport may
// do better), update() follows a change of the channel set, close() ends it quietly. A transport that
// drops after open() calls client._dropped(info).

class WebSocketTransport {
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

/** Reads an SSE response body, calling onEvent({event, data, id}) per event and onActivity per chunk. */
async function readEventStream(body, onEvent, onActivity) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = { event: '', data: [], id: undefined };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    onActivity();
    buffer += decoder.decode(value, { stream: true });
    for (;;) {
      const match = /\r\n|\n|\r/.exec(buffer);
      // A CR at the end may be the first half of a CRLF split across chunks.
      if (!match || (match[0] === '\r' && match.index === buffer.length - 1)) break;
      const line = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      if (line === '') {
        if (event.data.length) onEvent({ event: event.event || 'message', data: event.data.join('\n'), id: event.id });
        event = { event: '', data: [], id: undefined };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let text = colon < 0 ? '' : line.slice(colon + 1);
      if (text.startsWith(' ')) text = text.slice(1);
      if (field === 'event') event.event = text;
      else if (field === 'data') event.data.push(text);
      else if (field === 'id') event.id = text;
    }
  }
}

/** Where a new stream starts: the cursor of every channel, after learning the positions of new ones. */
async function streamStart(client, channels, probe) {
  const unknown = channels.filter((c) => !client.position(c));
  if (unknown.length === channels.length) return undefined; // all new: the stream starts from now
  if (unknown.length) {
    const positions = await probe(unknown);
    unknown.forEach((channel, i) => client._confirmed(channel, positions[i]));
  }
  return formatCursor(channels.map((c) => client.position(c)));
}

class ServerSentEventsTransport {
  name = 'sse';
  #abort = null;
  #idle = null;
  #generation = 0;

  constructor(client) {
    this.client = client;
  }

  async open() {
    await this.#start();
  }

  update() {
    this.#restart();
  }

  async #restart() {
    try {
      await this.#start();
    } catch (err) {
      if (err.name !== 'AbortError') this.#drop(err);
    }
  }

  async #start() {
    const { client } = this;
    const generation = ++this.#generation;
    this.#abort?.abort();
    clearTimeout(this.#idle);
    const abort = new AbortController();
    this.#abort = abort;
    this.version = client._version;
    const channels = [...client._channels.keys()];
    if (!channels.length) return;
    const cursor = await streamStart(client, channels, (unknown) => this.#probe(unknown, abort.signal));
    const res = await client._fetch('sse', client._endpoint('sse', channels, cursor ? { lastEventId: cursor } : {}), {
      headers: { accept: 'text/event-stream' }, signal: abort.signal,
    });
    if (!res.ok) throw await refusal(res, 'sse');
    let closing = null;
    let subscribed;
    const ready = new Promise((resolve, reject) => { subscribed = { resolve, reject }; });
    const armIdle = () => {
      clearTimeout(this.#idle);
      this.#idle = setTimeout(() => abort.abort(), client.options.sseIdleTimeout);
    };
    armIdle();
    const reading = readEventStream(res.body, ({ event, data }) => {
      let value;
      try {
        value = JSON.parse(data);
      } catch {
        return;
      }
      if (event === 'subscribed') {
        this.connectionId = value.connectionId;
        for (const position of value.channels ?? []) client._confirmed(position.channel, position);
        subscribed.resolve();
      } else if (event === 'discontinuity') client._discontinuity(value);
      else if (event === 'close') closing = value;
      else if (value && typeof value.channel === 'string') client._deliver(value);
    }, armIdle);
    reading.then(() => {
      subscribed.reject(new SwitchboardError('transport_failed', 'sse: the stream ended before subscribed', { fallback: true, transport: 'sse' }));
      if (generation === this.#generation) {
        clearTimeout(this.#idle);
        this.#drop(null, closing);
      }
    }, (err) => {
      subscribed.reject(new SwitchboardError('transport_failed', `sse: ${err.message}`, { fallback: true, transport: 'sse' }));
      if (generation === this.#generation && !(err.name === 'AbortError' && this.#abort !== abort)) this.#drop(err, closing);
    });
    await ready;
  }

  async #probe(channels, signal) {
    // A short stream without a cursor: its `subscribed` event holds the channels' current positions.
    const probe = new AbortController();
    signal.addEventListener('abort', () => probe.abort());
    const res = await this.client._fetch('sse', this.client._endpoint('sse', channels, {}), { headers: { accept: 'text/event-stream' }, signal: probe.signal });
    if (!res.ok) throw await refusal(res, 'sse');
    let positions;
    await readEventStream(res.body, ({ event, data }) => {
      if (event === 'subscribed' && !positions) {
        positions = JSON.parse(data).channels;
        probe.abort();
      }
    }, () => {}).catch((err) => { if (!positions) throw err; });
    if (!positions) throw new SwitchboardError('transport_failed', 'sse: no subscribed event', { transport: 'sse' });
    return positions;
  }

  #drop(err, closing) {
    if (this.#abort === null) return;
    this.#abort = null;
    this.client._dropped({
      transport: 'sse',
      code: closing?.code ?? err?.code ?? 'connection_lost',
      reason: closing?.reason ?? err?.message,
      reconnect: closing?.reconnect !== false && !err?.fatal,
      error: err?.fatal ? err : undefined,
    });
  }

  close() {
    const abort = this.#abort;
    this.#abort = null;
    this.#generation++;
    clearTimeout(this.#idle);
    abort?.abort();
  }
}

class LongPollTransport {
  name = 'poll';
  #abort = null;
  #running = false;

  constructor(client) {
    this.client = client;
  }

  async open() {
    this.#running = true;
    // The first poll answers at once: it proves the endpoint works and learns positions.
    await this.#poll(0);
    this.#loop();
  }

  update() {
    this.#abort?.abort(); // the loop polls again with the new channel set
  }

  async #loop() {
    while (this.#running) {
      try {
        await this.#poll(this.client.options.pollTimeout);
      } catch (err) {
        if (!this.#running) return;
        if (err.name === 'AbortError') continue;
        if (isAuthCode(err.code) && await this.client._refreshAfter(err)) continue;
        this.#running = false;
        this.client._dropped({ transport: 'poll', code: err.code ?? 'connection_lost', reason: err.message, reconnect: !err.fatal, error: err.fatal ? err : undefined });
        return;
      }
    }
  }

  async #poll(timeout) {
    const { client } = this;
    const abort = new AbortController();
    this.#abort = abort;
    this.version = client._version;
    const channels = [...client._channels.keys()];
    if (!channels.length) {
      await new Promise((resolve) => { abort.signal.addEventListener('abort', resolve); });
      return;
    }
    const cursor = await streamStart(client, channels, async (unknown) => {
      const answer = await this.#get(unknown, undefined, 0, abort.signal);
      return parseCursor(answer.cursor);
    });
    const answer = await this.#get(channels, cursor, timeout, abort.signal);
    if (!this.#running || abort.signal.aborted) return;
    for (const d of answer.discontinuities ?? []) client._discontinuity(d);
    for (const p of answer.publications ?? []) client._deliver(p);
    const positions = parseCursor(answer.cursor);
    channels.forEach((channel, i) => client._confirmed(channel, positions[i], true));
  }

  async #get(channels, cursor, timeout, signal) {
    const query = { timeout: String(timeout) };
    if (cursor) query.cursor = cursor;
    const res = await this.client._fetch('poll', this.client._endpoint('poll', channels, query), { headers: { accept: 'application/json' }, signal });
    if (!res.ok) throw await refusal(res, 'poll');
    return res.json();
  }

  close() {
    this.#running = false;
    this.#abort?.abort();
  }
}

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
