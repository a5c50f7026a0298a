// The server behaviours the protocol documents promise, as data: one example of every frame, event
// and answer a client has to handle (docs/protocols/*.md), and client scenarios made of them. The
// conformance suite holds a live server to these shapes (assertShape: every field of the example is
// there, with the same JSON type; fields the example does not have are allowed, as readers must ignore
// them), and tests/interop/channels-client-conformance.test.mjs replays the scenarios to the JS
// client from a fake server, so the client is tested against exactly what a conforming server sends.
import assert from 'node:assert/strict';

const E = 'k3Jd9aQx';

/** Example frames, per protocol, each named after the doc section that defines it. */
export const frames = {
  sse: {
    // sse.md#framing: the first event, and a publication, a discontinuity, a close.
    subscribed: { event: 'subscribed', id: `v1~41.${E}`, json: { connectionId: 'Wq8o1Gf2bM3x0c9Lr5Tz', resumed: false, channels: [{ channel: 'prices', epoch: E, offset: 41 }] } },
    publication: { event: 'tick', id: `v1~42.${E}`, json: { channel: 'prices', offset: 42, epoch: E, event: 'tick', data: { price: 12.5 } } },
    discontinuity: { event: 'discontinuity', id: `v1~57.Zp0_x1Lm`, json: { channel: 'prices', epoch: 'Zp0_x1Lm', offset: 57 } },
    close: { event: 'close', json: { code: 'disconnected', reason: 'disconnected by the server', reconnect: false } },
  },
  ws: {
    // websocket.md#pushes and #requests-and-replies.
    welcome: { type: 'welcome', v: 1, connectionId: 'buJ1KAjEKuRHqZNtXXpA', maxMessageSize: 65536 },
    subscribed: { id: 1, ok: true, channel: 'prices', offset: 41, epoch: E },
    published: { id: 2, ok: true, channel: 'prices', offset: 42, epoch: E },
    pub: { type: 'pub', channel: 'prices', offset: 42, epoch: E, event: 'tick', data: { price: 12.5 } },
    discontinuity: { type: 'discontinuity', channel: 'prices', offset: 57, epoch: 'u9LOzR5x' },
    error: { id: 3, ok: false, error: { code: 'forbidden', message: "not allowed to publish to 'prices'" } },
    close: { type: 'close', code: 'disconnected', reason: 'disconnected by the server', reconnect: false },
    history: { id: 4, ok: true, channel: 'prices', offset: 42, epoch: E, continuous: true, publications: [{ type: 'pub', channel: 'prices', offset: 42, epoch: E, event: 'tick', data: 1 }] },
    presence: { id: 5, ok: true, channel: 'prices', count: 3, users: 2 },
  },
  poll: {
    // longpoll.md#answer.
    answer: { publications: [{ channel: 'prices', offset: 43, epoch: E, event: 'tick', data: { price: 12.6 } }], cursor: `v1~43.${E}`, discontinuities: [] },
    discontinuity: { publications: [], cursor: `v1~57.Zp0_x1Lm`, discontinuities: [{ channel: 'prices', epoch: 'Zp0_x1Lm', offset: 57 }] },
  },
  api: {
    // http-api.md.
    error: { error: { code: 'invalid_json', message: 'the body is not JSON' } },
    published: { seq: 1207, results: { prices: { offset: 42, epoch: E } } },
    history: { channel: 'prices', publications: [{ channel: 'prices', offset: 42, epoch: E, event: 'tick', data: 1 }], top: { offset: 42, epoch: E }, continuous: true },
    presence: { channel: 'prices', connections: 3, users: 2, members: [{ connectionId: 'Wq8o1Gf2bM3x0c9Lr5Tz', userId: 'ada', protocol: 'sse' }] },
  },
};

const typeOf = (value) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/**
 * Asserts that `actual` has every field of `example` with the same JSON type, recursively; array
 * elements are checked against the example's first element. `data` fields are free (any JSON), and
 * `userId` / `node` may also be null (http-api.md#get-presence).
 */
export function assertShape(actual, example, where = 'frame') {
  const expected = typeOf(example);
  const got = typeOf(actual);
  assert.equal(got, expected, `${where}: expected ${expected}, got ${got} (${JSON.stringify(actual)})`);
  if (expected === 'array' && example.length > 0) {
    actual.forEach((item, i) => assertShape(item, example[0], `${where}[${i}]`));
  } else if (expected === 'object') {
    for (const [key, value] of Object.entries(example)) {
      assert.ok(Object.hasOwn(actual, key), `${where}: no field '${key}' in ${JSON.stringify(actual)}`);
      if (key === 'data') continue;
      if ((key === 'userId' || key === 'node') && actual[key] === null) continue;
      assertShape(actual[key], value, `${where}.${key}`);
    }
  }
}

/** sse.md#the-cursor, parsed by its grammar (not by the server's code): [{offset, epoch}] or null. */
export function parseCursor(text) {
  if (typeof text !== 'string') return null;
  const segments = text.split('~');
  if (segments.shift() !== 'v1' || segments.length === 0) return null;
  const positions = [];
  for (const segment of segments) {
    let match = /^(\d{1,18})\.([A-Za-z0-9_-]+)$/.exec(segment);
    if (match) {
      positions.push({ offset: Number(match[1]), epoch: match[2] });
      continue;
    }
    match = /^(\d{1,18})\.\.([A-Za-z0-9_-]+)$/.exec(segment);
    if (!match) return null;
    positions.push({ offset: Number(match[1]), epoch: Buffer.from(match[2], 'base64url').toString('utf8') });
  }
  return positions;
}

/** Builds a cursor from positions, by the same grammar. */
export function formatCursor(positions) {
  const segment = ({ offset, epoch }) => (/^[A-Za-z0-9_-]+$/.test(epoch)
    ? `${offset}.${epoch}`
    : `${offset}..${Buffer.from(epoch, 'utf8').toString('base64url')}`);
  return `v1${positions.map((p) => `~${segment(p)}`).join('')}`;
}

/**
 * What a conforming server does in the situations a client must handle, as the frames it sends, for
 * the client test. Each scenario names its doc section; `connections` are played in order, one per
 * (re)connection of the client; `expect` is what the client must request on that connection and
 * what it must report to the application.
 */
export const clientScenarios = [
  {
    name: 'plain WebSocket: after a drop the client resubscribes with since = the last position and gets the missed publication once',
    section: 'websocket.md#positions-and-recovery',
    transport: 'ws',
    channel: 'prices',
    connections: [
      { onSubscribe: [{ ...frames.ws.subscribed, offset: 41 }, { ...frames.ws.pub, offset: 42, data: 'a' }], then: 'drop' },
      { expectSince: { offset: 42, epoch: E }, onSubscribe: [{ ...frames.ws.pub, offset: 43, data: 'b' }, { ...frames.ws.subscribed, offset: 43 }] },
    ],
    expect: { publications: [[42, 'a'], [43, 'b']], discontinuities: [] },
  },
  {
    name: 'plain WebSocket: a discontinuity push on resume reaches the application with its channel, then live publications',
    section: 'websocket.md#discontinuity',
    transport: 'ws',
    channel: 'prices',
    connections: [
      { onSubscribe: [{ ...frames.ws.subscribed, offset: 41 }, { ...frames.ws.pub, offset: 42, data: 'a' }], then: 'drop' },
      { expectSince: { offset: 42, epoch: E }, onSubscribe: [frames.ws.discontinuity, { ...frames.ws.subscribed, offset: 57, epoch: 'u9LOzR5x' }, { ...frames.ws.pub, offset: 58, epoch: 'u9LOzR5x', data: 'c' }] },
    ],
    expect: { publications: [[42, 'a'], [58, 'c']], discontinuities: [{ channel: 'prices', offset: 57, epoch: 'u9LOzR5x' }] },
  },
  {
    name: 'plain WebSocket: a close push with reconnect false (status 4500) ends the client without a reconnect',
    section: 'websocket.md#how-the-server-closes-a-connection',
    transport: 'ws',
    channel: 'prices',
    connections: [
      { onSubscribe: [{ ...frames.ws.subscribed, offset: 41 }], then: { close: frames.ws.close, status: 4500 } },
    ],
    expect: { publications: [], discontinuities: [], closedWith: 'disconnected' },
  },
  {
    name: 'SSE: the reconnection carries the last event id as its cursor and the replay is delivered once',
    section: 'sse.md#resuming',
    transport: 'sse',
    channel: 'prices',
    connections: [
      { events: [frames.sse.subscribed, { ...frames.sse.publication, json: { ...frames.sse.publication.json, data: 'a' } }], then: 'drop' },
      { expectCursor: `v1~42.${E}`, events: [{ ...frames.sse.subscribed, id: `v1~42.${E}`, json: { ...frames.sse.subscribed.json, resumed: true, channels: [{ channel: 'prices', epoch: E, offset: 42 }] } }, { event: 'tick', id: `v1~43.${E}`, json: { ...frames.sse.publication.json, offset: 43, data: 'b' } }] },
    ],
    expect: { publications: [[42, 'a'], [43, 'b']], discontinuities: [] },
  },
  {
    name: 'SSE: a discontinuity event on resume reaches the application with its channel',
    section: 'sse.md#resuming',
    transport: 'sse',
    channel: 'prices',
    connections: [
      { events: [frames.sse.subscribed, { ...frames.sse.publication, json: { ...frames.sse.publication.json, data: 'a' } }], then: 'drop' },
      { expectCursor: `v1~42.${E}`, events: [{ ...frames.sse.subscribed, json: { ...frames.sse.subscribed.json, resumed: true } }, frames.sse.discontinuity, { event: 'tick', id: 'v1~58.Zp0_x1Lm', json: { ...frames.sse.publication.json, offset: 58, epoch: 'Zp0_x1Lm', data: 'c' } }] },
    ],
    expect: { publications: [[42, 'a'], [58, 'c']], discontinuities: [{ channel: 'prices', offset: 57, epoch: 'Zp0_x1Lm' }] },
  },
  {
    name: 'SSE: a close event with reconnect false ends the client without a reconnect',
    section: 'sse.md#framing',
    transport: 'sse',
    channel: 'prices',
    connections: [
      { events: [frames.sse.subscribed, frames.sse.close], then: 'end' },
    ],
    expect: { publications: [], discontinuities: [], closedWith: 'disconnected' },
  },
  {
    name: 'long-poll: the next poll sends the answer\'s cursor; discontinuities are reported before the publications',
    section: 'longpoll.md#answer',
    transport: 'poll',
    channel: 'prices',
    connections: [
      { answer: { publications: [], cursor: `v1~42.${E}`, discontinuities: [] } },
      { expectCursor: `v1~42.${E}`, answer: frames.poll.answer },
      { expectCursor: `v1~43.${E}`, answer: { ...frames.poll.discontinuity, publications: [{ channel: 'prices', offset: 58, epoch: 'Zp0_x1Lm', event: 'tick', data: 'c' }], cursor: 'v1~58.Zp0_x1Lm' } },
      { expectCursor: 'v1~58.Zp0_x1Lm', answer: 'hold' },
    ],
    expect: { publications: [[43, { price: 12.6 }], [58, 'c']], discontinuities: [{ channel: 'prices', offset: 57, epoch: 'Zp0_x1Lm' }] },
  },
];
