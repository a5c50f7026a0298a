// The channels client's shared parts: its error type, the cursor codec (docs/protocols/sse.md#the-cursor),
// refusals read from HTTP answers, a small event emitter, and where a resumed stream starts.

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
export function jwtExpiry(token) {
  try {
    const payload = JSON.parse(base64UrlDecode(String(token).split('.')[1]));
    return typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

// Switchboard's refusals of the request itself: retrying, or another transport, gets the same answer.
const FATAL_CODES = new Set(['forbidden', 'channel_missing', 'invalid_channel', 'duplicate_channel', 'too_many_channels', 'invalid_timeout']);

export const isAuthCode = (code) => code === 'token_missing' || code === 'token_expired' || code === 'token_invalid';

export async function refusal(res, transport) {
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

export class Emitter {
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


/** Where a new stream starts: the cursor of every channel, after learning the positions of new ones. */
export async function streamStart(client, channels, probe) {
  const unknown = channels.filter((c) => !client.position(c));
  if (unknown.length === channels.length) return undefined; // all new: the stream starts from now
  if (unknown.length) {
    const positions = await probe(unknown);
    unknown.forEach((channel, i) => client._confirmed(channel, positions[i]));
  }
  return formatCursor(channels.map((c) => client.position(c)));
}
