// Types of switchboard-channels.js (hand-written; the module has no build step).

export declare const VERSION: string;

/** A place in a channel's stream: the offset of the last publication seen, in the channel's epoch. */
export interface Position {
  offset: number;
  epoch: string;
}

export interface Publication extends Position {
  type: 'publication';
  channel: string;
  /** The publisher's event name ("message" by default). */
  event: string;
  data: unknown;
}

/** Publications of `channel` were missed and cannot be replayed; live delivery goes on from this position. */
export interface Discontinuity extends Position {
  type: 'discontinuity';
  channel: string;
}

export interface Subscribed extends Position {
  channel: string;
}

export type TransportName = 'ws' | 'sse' | 'poll';
export type ClientState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface ClientOptions {
  /** Transports to try, in order, on every (re)connect. Default ['ws', 'sse', 'poll']. */
  transports?: TransportName[];
  /** Endpoint paths, relative to the URL. Default { ws: '/ws', sse: '/sse', poll: '/poll', api: '/api' }. */
  paths?: Partial<Record<TransportName | 'api', string>>;
  /** The client's token (a JWT with the standalone server), sent as `Authorization: Bearer` (HTTP) and `?token=` (WebSocket). */
  token?: string;
  /** Send the token as `?token=` on HTTP transports too, instead of the Authorization header. */
  tokenInQuery?: boolean;
  /**
   * Called when the server refuses the token (token_expired, token_invalid, token_missing), or before
   * a (re)connect when the token is a JWT whose exp has passed; resolves with the new token (or a
   * falsy value to give up, which closes the client with the refusal as its error).
   */
  refreshToken?: (reason: { code: string; message: string }) => string | null | undefined | Promise<string | null | undefined>;
  /** An HTTP API key: publish() then works over /api/publish when no WebSocket is in use (backends only). */
  apiKey?: string;
  /** Delay before reconnect attempt n: min(max, initial * 2^n), times a random 0.5 to 1.5. Default 500 ms, 30 s. */
  backoff?: { initial?: number; max?: number };
  /** How long a transport may take to be accepted before the next one is tried, ms. Default 10 000. */
  connectTimeout?: number;
  /** How long a WebSocket request waits for its reply, ms. Default 10 000. */
  requestTimeout?: number;
  /** WebSocket: a `ping` request this often (ms, 0 = never); a missing reply drops the connection. Default 25 000. */
  pingInterval?: number;
  /** SSE: a stream silent this long (ms; the server sends `: ping` every 15 s) is reopened. Default 45 000. */
  sseIdleTimeout?: number;
  /** Long-poll: how long the server may hold a poll, s. Default 25. */
  pollTimeout?: number;
  /** A WebSocket constructor (default globalThis.WebSocket; in Node 20, pass the `ws` package's). Without one, 'ws' is skipped. */
  WebSocket?: new (url: string, protocols?: string | string[]) => any;
  /** A fetch function (default globalThis.fetch). */
  fetch?: typeof fetch;
}

export interface ClientEvents {
  publication: Publication;
  discontinuity: Discontinuity;
  subscribed: Subscribed;
  state: { state: ClientState; transport: TransportName | null; delay?: number; connectionId?: string | null };
  connected: { transport: TransportName; connectionId: string | null };
  disconnected: { transport: TransportName; code: string; reason?: string; reconnect: boolean };
  attempt: { transport: TransportName };
  /** A transport that could not be opened (the next is tried). */
  transportError: SwitchboardError;
  /** A refusal that ends a subscription (e.g. forbidden) or the client. */
  error: SwitchboardError;
  closed: { error: SwitchboardError | null };
}

export declare class SwitchboardError extends Error {
  /** The server's error.code, or this client's: transport_failed, connect_timeout, connection_closed, not_connected, timeout, publish_unavailable, closed, invalid_cursor. */
  code: string;
  status?: number;
  transport?: TransportName | 'api';
  channel?: string;
  retryAfter?: number;
}

export type SubscriptionItem = Publication | Discontinuity;

export declare class Subscription implements AsyncIterable<SubscriptionItem> {
  readonly client: ChannelClient;
  readonly channel: string;
  /** The last position delivered or confirmed in this channel, or null. */
  readonly position: Position | null;
  /** Set when the subscription was refused. */
  readonly error?: SwitchboardError;
  on(type: 'publication', listener: (p: Publication) => void): () => void;
  on(type: 'discontinuity', listener: (d: Discontinuity) => void): () => void;
  on(type: 'subscribed', listener: (s: Subscribed) => void): () => void;
  on(type: 'error', listener: (e: SwitchboardError) => void): () => void;
  off(type: string, listener: (value: any) => void): void;
  unsubscribe(): void;
  [Symbol.asyncIterator](): AsyncIterator<SubscriptionItem>;
}

export declare class ChannelClient {
  constructor(url: string | URL, options?: ClientOptions);
  readonly url: string;
  readonly state: ClientState;
  /** The transport in use while connected, else null. */
  readonly transport: TransportName | null;
  readonly connectionId: string | null;
  token: string | undefined;
  /** Set when the client closed because of a refusal. */
  readonly closeError?: SwitchboardError;
  on<K extends keyof ClientEvents>(type: K, listener: (value: ClientEvents[K]) => void): () => void;
  off<K extends keyof ClientEvents>(type: K, listener: (value: ClientEvents[K]) => void): void;
  /** Subscribes from `since` (resume after it) or from now. */
  subscribe(channel: string, options?: { since?: Position | null }): Subscription;
  /** Resolves with where the publication landed. */
  publish(channel: string, data?: unknown, options?: { event?: string; echo?: boolean }): Promise<{ channel: string; offset: number; epoch: string }>;
  /** A plain WebSocket request: 'presence', 'history', 'ping'. Needs the ws transport in use. */
  request(op: string, fields?: Record<string, unknown>): Promise<any>;
  position(channel: string): Position | null;
  positions(): Record<string, Position | null>;
  connect(): Promise<void>;
  close(): void;
}

export declare function createClient(url: string | URL, options?: ClientOptions): ChannelClient;
/** The positions in an SSE / long-poll cursor (docs/protocols/sse.md), in its channels' order. */
export declare function parseCursor(cursor: string): Position[];
export declare function formatCursor(positions: Position[]): string;
