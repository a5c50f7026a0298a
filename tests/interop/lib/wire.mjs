// Raw Engine.IO v4 clients for conformance tests: a WebSocket with a message queue and an HTTP
// long-polling session. They only move packets as strings/bytes; assertions live in the tests.
import http from 'node:http';
import WebSocket from 'ws';
import { withTimeout } from './server.mjs';

export const RECORD_SEPARATOR = '\x1e';
const DEFAULT_TIMEOUT = 3_000;

/**
 * A raw WebSocket whose incoming frames are queued as `{ binary: false, data: string }` or
 * `{ binary: true, data: Buffer }`. With autoPong (the default) an Engine.IO ping `2` is answered
 * with `3` and kept out of the queue, so tests see only what they are about.
 */
export class WireSocket {
  constructor(url, { autoPong = true } = {}) {
    this.url = url;
    this.autoPong = autoPong;
    this.queue = [];
    this.waiters = [];
    this.closeInfo = null;
    this.errors = [];
    this.ws = new WebSocket(url, { handshakeTimeout: DEFAULT_TIMEOUT });
    this.ws.binaryType = 'nodebuffer';
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('close', () => reject(new Error(`WebSocket ${url} closed before opening`)));
    });
    this.opened.catch(() => { /* observed through closed */ });
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString('utf8') };
        resolve(this.closeInfo);
        for (const waiter of this.waiters.splice(0)) waiter.reject(this.#closedError());
      });
    });
    // A refused upgrade (ws reports 'Unexpected server response: 400') is an expected outcome in
    // some tests: keep the error for assertions and let 'close' follow.
    this.ws.on('error', (err) => this.errors.push(err));
    this.ws.on('message', (data, isBinary) => {
      const message = isBinary
        ? { binary: true, data: Buffer.from(data) }
        : { binary: false, data: data.toString('utf8') };
      if (this.autoPong && !message.binary && message.data === '2') {
        this.sendText('3');
        return;
      }
      const waiter = this.waiters.shift();
      if (waiter) waiter.resolve(message); else this.queue.push(message);
    });
  }

  #closedError() {
    const info = this.closeInfo ? ` (code ${this.closeInfo.code})` : '';
    return new Error(`WebSocket closed${info} while a message was awaited`);
  }

  /** Resolves with the next queued message; rejects on timeout or when the socket closes first. */
  next(timeoutMs = DEFAULT_TIMEOUT) {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift());
    if (this.closeInfo) return Promise.reject(this.#closedError());
    let waiter;
    const pending = new Promise((resolve, reject) => {
      waiter = { resolve, reject };
      this.waiters.push(waiter);
    });
    return withTimeout(pending, timeoutMs, 'waiting for a WebSocket message').catch((err) => {
      const index = this.waiters.indexOf(waiter);
      if (index >= 0) this.waiters.splice(index, 1);
      throw err;
    });
  }

  /** The next message, which must be a text frame. */
  async nextText(timeoutMs = DEFAULT_TIMEOUT) {
    const message = await this.next(timeoutMs);
    if (message.binary) {
      throw new Error(`expected a text frame, got binary [${[...message.data].join(',')}]`);
    }
    return message.data;
  }

  /** The next message, which must be a binary frame. */
  async nextBinary(timeoutMs = DEFAULT_TIMEOUT) {
    const message = await this.next(timeoutMs);
    if (!message.binary) throw new Error(`expected a binary frame, got text ${JSON.stringify(message.data)}`);
    return message.data;
  }

  sendText(text) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text, { binary: false });
  }

  sendBinary(bytes) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(Buffer.from(bytes), { binary: true });
  }

  get isOpen() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Resolves with { code, reason } once the socket is closed (by either side or by a refusal). */
  waitClosed(timeoutMs = DEFAULT_TIMEOUT) {
    return withTimeout(this.closed, timeoutMs, `waiting for ${this.url} to close`);
  }

  close() {
    if (this.closeInfo) return;
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    else this.ws.close();
  }
}

/** Opens a WebSocket and consumes the Engine.IO open packet; returns { socket, handshake }. */
export async function openEngineSocket(url, options = {}) {
  const socket = new WireSocket(url, options);
  await withTimeout(socket.opened, DEFAULT_TIMEOUT, `opening ${url}`);
  const first = await socket.nextText();
  if (!first.startsWith('0')) throw new Error(`expected an open packet, got ${JSON.stringify(first)}`);
  return { socket, handshake: JSON.parse(first.slice(1)) };
}

/** HTTP helper over node:http, so a test can know when a request has been fully sent. */
export function rawRequest(url, { method = 'GET', body, headers = {}, timeoutMs = DEFAULT_TIMEOUT } = {}) {
  let markSent;
  const sent = new Promise((resolve) => { markSent = resolve; });
  const response = new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({
        status: res.statusCode,
        headers: res.headers,
        text: Buffer.concat(chunks).toString('utf8'),
      }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.on('finish', markSent);
    req.end(body);
  });
  return { sent, response };
}

/** fetch with a timeout; resolves with { status, headers, text }. */
export async function httpText(url, { method = 'GET', body, headers, timeoutMs = DEFAULT_TIMEOUT } = {}) {
  const res = await fetch(url, { method, body, headers, signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** An Engine.IO long-polling session opened by a handshake GET. */
export class PollingSession {
  constructor(baseUrl, handshake) {
    this.baseUrl = baseUrl;
    this.handshake = handshake;
    this.sid = handshake.sid;
  }

  /** baseUrl is the endpoint, e.g. http://127.0.0.1:5000/engine.io/ */
  static async open(baseUrl) {
    const res = await httpText(`${baseUrl}?EIO=4&transport=polling`);
    if (res.status !== 200 || !res.text.startsWith('0')) {
      throw new Error(`polling handshake failed: HTTP ${res.status} ${JSON.stringify(res.text)}`);
    }
    return new PollingSession(baseUrl, JSON.parse(res.text.slice(1)));
  }

  get url() {
    return `${this.baseUrl}?EIO=4&transport=polling&sid=${encodeURIComponent(this.sid)}`;
  }

  /** One GET; resolves with { status, text } as received. */
  get(timeoutMs = DEFAULT_TIMEOUT) {
    return httpText(this.url, { timeoutMs });
  }

  /** One POST of an already-encoded payload; resolves with { status, text }. */
  post(payload, timeoutMs = DEFAULT_TIMEOUT) {
    return httpText(this.url, {
      method: 'POST',
      body: payload,
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      timeoutMs,
    });
  }

  /**
   * GETs until at least one packet other than a ping arrives, answering each ping with a pong.
   * Resolves with the non-ping packets of that response, in order.
   */
  async poll(timeoutMs = DEFAULT_TIMEOUT) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no packet other than pings within ${timeoutMs} ms`);
      const res = await this.get(remaining);
      if (res.status !== 200) throw new Error(`poll failed: HTTP ${res.status} ${res.text}`);
      const packets = res.text.split(RECORD_SEPARATOR);
      const others = packets.filter((p) => p !== '2');
      if (others.length < packets.length) {
        const pong = await this.post('3');
        if (pong.status !== 200) throw new Error(`pong failed: HTTP ${pong.status} ${pong.text}`);
      }
      if (others.length > 0) return others;
    }
  }
}
