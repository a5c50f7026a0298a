// Raw clients of our own protocols for the conformance suite: an SSE stream read byte by byte (so
// `retry:` and `: ping` comments are seen, which an EventSource hides), a plain WebSocket connection
// (the `ws` package), long-poll and HTTP API requests (Node's fetch). They move frames and parse
// them; every assertion lives in the cases. Every wait has a timeout.
import WebSocket from 'ws';

export const TIMEOUT = 5_000;

/** Races a promise against a timer; the rejection names `label`. */
export function withTimeout(promise, ms, label) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A queue of values that can be awaited one by one, failing once the source has ended. */
class Queue {
  #items = [];
  #waiters = [];
  #ended = null;

  push(item) {
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(item); else this.#items.push(item);
  }

  end(reason) {
    this.#ended = reason;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new Error(`ended (${reason}) while a frame was awaited`));
  }

  get buffered() { return this.#items.length; }

  next(timeoutMs, label) {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift());
    if (this.#ended !== null) return Promise.reject(new Error(`ended (${this.#ended}) while ${label} was awaited`));
    let waiter;
    const pending = new Promise((resolve, reject) => { waiter = { resolve, reject }; this.#waiters.push(waiter); });
    return withTimeout(pending, timeoutMs, label).catch((err) => {
      const index = this.#waiters.indexOf(waiter);
      if (index >= 0) this.#waiters.splice(index, 1);
      throw err;
    });
  }
}

const authHeaders = (token) => (token ? { authorization: `Bearer ${token}` } : {});

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, String(item));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

async function readBody(res) {
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, body: json };
}

// ---- SSE ---------------------------------------------------------------------------------------

/**
 * Opens `GET {sse}?channel=...` and resolves once the response headers are in. A refusal resolves
 * with `{ status, headers, body }` and no stream; a 200 with a stream whose `next()` yields, in order,
 * `{ retry }`, `{ comment }` and `{ event, id, data, json }` blocks as the W3C parser reads them.
 * `token: null` sends none; `headers` are added as given.
 */
export async function openSse(target, { channels, lastEventId, lastEventIdQuery, token = target.token, headers = {}, params = {}, method = 'GET' }) {
  const controller = new AbortController();
  const url = `${target.url}${target.paths.sse}${query({ channel: channels, lastEventId: lastEventIdQuery, token: undefined, ...params })}`;
  const res = await withTimeout(fetch(url, {
    method,
    headers: {
      accept: 'text/event-stream',
      ...authHeaders(token),
      ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
      ...headers,
    },
    signal: controller.signal,
  }), TIMEOUT, `SSE ${url}`);
  if (res.status !== 200) return readBody(res); // a refusal's body is short and ends
  return { status: 200, headers: res.headers, stream: new SseStream(res, controller) };
}

class SseStream {
  #blocks = new Queue();

  constructor(res, controller) {
    this.controller = controller;
    this.ended = false;
    this.#pump(res.body).catch(() => { /* an abort ends the stream; seen through next() */ });
  }

  async #pump(body) {
    const decoder = new TextDecoder();
    let buffer = '';
    let block = { data: [] };
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let match;
        // W3C: lines end with CRLF, LF or CR; a blank line dispatches the event.
        while ((match = /\r\n|\n|\r/.exec(buffer)) !== null) {
          if (match[0] === '\r' && match.index === buffer.length - 1) break; // maybe the CR of a CRLF
          const line = buffer.slice(0, match.index);
          buffer = buffer.slice(match.index + match[0].length);
          block = this.#line(line, block);
        }
      }
    } finally {
      this.ended = true;
      this.#blocks.end('the stream ended');
    }
  }

  #line(line, block) {
    if (line === '') {
      if (block.event !== undefined || block.data.length > 0 || block.id !== undefined) {
        const data = block.data.join('\n');
        let json;
        try { json = JSON.parse(data); } catch { json = undefined; }
        this.#blocks.push({ event: block.event ?? 'message', id: block.id, data, json });
      }
      return { data: [] };
    }
    if (line.startsWith(':')) {
      this.#blocks.push({ comment: line.slice(1).trimStart() });
      return block;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') block.event = value;
    else if (field === 'data') block.data.push(value);
    else if (field === 'id') block.id = value;
    else if (field === 'retry') this.#blocks.push({ retry: value });
    return block;
  }

  /** The next block of any kind. */
  next(timeoutMs = TIMEOUT) {
    return this.#blocks.next(timeoutMs, 'an SSE block');
  }

  /** The next event, skipping comments and `retry:`. */
  async nextEvent(timeoutMs = TIMEOUT) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const block = await this.#blocks.next(Math.max(1, deadline - Date.now()), 'an SSE event');
      if (block.event !== undefined) return block;
    }
  }

  /** Resolves when the server ends the response (after what it sent is read). */
  async end(timeoutMs = TIMEOUT) {
    const deadline = Date.now() + timeoutMs;
    const rest = [];
    for (;;) {
      try {
        rest.push(await this.#blocks.next(Math.max(1, deadline - Date.now()), 'the end of the stream'));
      } catch (err) {
        if (this.ended) return rest;
        throw err;
      }
    }
  }

  close() {
    this.controller.abort();
  }
}

// ---- plain WebSocket ---------------------------------------------------------------------------

const wsUrl = (target, token) => `${target.url.replace(/^http/, 'ws')}${target.paths.ws}${token ? `?token=${encodeURIComponent(token)}` : ''}`;

/** A plain WebSocket protocol connection (docs/protocols/websocket.md): frames queued in order. */
export class PlainConnection {
  /** Opens and reads the welcome; `protocols` as for `new WebSocket(url, protocols)`. */
  static async open(target, { token = target.token, protocols = ['switchboard.v1'] } = {}) {
    const connection = new PlainConnection(new WebSocket(wsUrl(target, token), protocols, { handshakeTimeout: TIMEOUT, perMessageDeflate: false }));
    await withTimeout(connection.opened, TIMEOUT, 'opening the WebSocket');
    connection.welcome = await connection.next();
    return connection;
  }

  #frames = new Queue();
  #nextId = 0;

  constructor(ws) {
    this.ws = ws;
    this.binaryFrames = 0;
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    this.opened.catch(() => { /* seen by open() */ });
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        resolve({ code, reason: reason.toString('utf8') });
        this.#frames.end(`closed with ${code}`);
      });
    });
    ws.on('error', () => { /* a failure also closes the socket, which ends the queue */ });
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.binaryFrames++;
      this.#frames.push(JSON.parse(data.toString('utf8')));
    });
  }

  next(timeoutMs = TIMEOUT) {
    return this.#frames.next(timeoutMs, 'a frame');
  }

  send(text) {
    this.ws.send(text);
  }

  /**
   * Sends `{id, op, ...fields}` and resolves with `{ reply, before }`: its reply and the pushes that
   * arrived before it (a frame with `ok` and another id fails: replies come in request order).
   */
  async request(op, fields = {}) {
    const id = ++this.#nextId;
    this.send(JSON.stringify({ id, op, ...fields }));
    const before = [];
    for (;;) {
      const frame = await this.next();
      if (frame.id === id && frame.type === undefined) return { reply: frame, before };
      if (frame.type === undefined) throw new Error(`a reply to another request: ${JSON.stringify(frame)}`);
      before.push(frame);
    }
  }

  /** request() that must succeed; resolves with the reply, the pushes before it in `reply.before`. */
  async ok(op, fields = {}) {
    const { reply, before } = await this.request(op, fields);
    if (reply.ok !== true) throw new Error(`${op} failed: ${JSON.stringify(reply)}`);
    return Object.defineProperty(reply, 'before', { value: before, enumerable: false });
  }

  close() {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    return withTimeout(this.closed, TIMEOUT, 'closing');
  }

  terminate() {
    this.ws.terminate();
  }
}

/** A WebSocket upgrade the server must refuse: resolves with its status, headers and JSON body. */
export function refusedUpgrade(target, { token = target.token, protocols } = {}) {
  return withTimeout(new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(target, token), protocols, { handshakeTimeout: TIMEOUT });
    ws.on('unexpected-response', (_req, res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body;
        try { body = JSON.parse(text); } catch { body = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, body });
        ws.terminate();
      });
    });
    ws.on('open', () => { ws.terminate(); reject(new Error('the upgrade was accepted')); });
    ws.on('error', () => { /* the refusal comes through unexpected-response */ });
  }), TIMEOUT, 'a refused upgrade');
}

// ---- long-poll and the HTTP API ----------------------------------------------------------------

/** `GET {poll}?channel=...&cursor=...&timeout=...`; resolves with status, headers, parsed body and elapsed ms. */
export async function poll(target, { channels, cursor, timeout, token = target.token, params = {}, timeoutMs = TIMEOUT + 30_000 }) {
  const started = Date.now();
  const res = await withTimeout(fetch(`${target.url}${target.paths.poll}${query({ channel: channels, cursor, timeout, ...params })}`, {
    headers: { accept: 'application/json', ...authHeaders(token) },
  }), timeoutMs, 'a poll');
  const answer = await readBody(res);
  answer.elapsed = Date.now() - started;
  return answer;
}

/**
 * Calls the HTTP API: `body` is JSON-encoded unless it is a string (sent as is). `key: null` sends no
 * key; `keyHeader` 'bearer' sends it as `Authorization: Bearer`.
 */
export async function api(target, method, route, body, { key = target.apiKey, keyHeader = 'x-api-key', headers = {} } = {}) {
  const keyHeaders = key === null || key === undefined ? {} : keyHeader === 'bearer' ? { authorization: `Bearer ${key}` } : { 'x-api-key': key };
  const res = await withTimeout(fetch(`${target.apiUrl}${target.paths.api}/${route}`, {
    method,
    headers: { ...keyHeaders, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  }), TIMEOUT, `${method} ${route}`);
  return readBody(res);
}

/**
 * Publishes one publication and resolves with its position `{ offset, epoch }`: through the HTTP API
 * when the target has a key, else from a plain WebSocket connection (the token must allow it).
 */
export async function publish(target, channel, data, event = 'tick') {
  if (target.apiKey) {
    const answer = await api(target, 'POST', 'publish', { channel, event, data });
    if (answer.status !== 200) throw new Error(`publish to ${channel} answered ${answer.status}: ${answer.text}`);
    return answer.body.results[channel];
  }
  target.publisher ??= PlainConnection.open(target);
  const connection = await target.publisher;
  const reply = await connection.ok('publish', { channel, event, data, echo: false });
  return { offset: reply.offset, epoch: reply.epoch };
}

/** Closes what publish() kept open. */
export async function closePublisher(target) {
  const pending = target.publisher;
  target.publisher = undefined;
  if (pending) (await pending.catch(() => null))?.terminate();
}
