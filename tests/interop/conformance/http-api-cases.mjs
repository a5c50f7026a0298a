// Conformance cases for the HTTP API for backends (docs/protocols/http-api.md). Every case needs an
// API key with full access (SWITCHBOARD_API_KEY).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { assertShape, frames } from './expectations.mjs';
import { assertRefusal } from './sse-cases.mjs';
import { freshChannel } from './target.mjs';
import { PlainConnection, api, openSse } from './wire.mjs';

const needs = ['apiKey'];

async function published(target, body, options) {
  const answer = await api(target, 'POST', 'publish', body, options);
  assert.equal(answer.status, 200, `publish answered ${answer.status}: ${answer.text}`);
  // `results` is keyed by channel: each value is a position.
  const example = frames.api.published;
  assertShape(answer.body, { ...example, results: {} }, 'publish answer');
  for (const [channel, position] of Object.entries(answer.body.results)) assertShape(position, example.results.prices, `results[${channel}]`);
  return answer;
}

export const httpApiCases = [
  {
    section: 'http-api.md#post-publish', name: 'publish answers seq and the position in each channel: gapless offsets, increasing seq, one publication per channel to subscribers', needs,
    async run(target) {
      const a = freshChannel(target, 'api');
      const b = freshChannel(target, 'api');
      const subscriber = await PlainConnection.open(target);
      try {
        await subscriber.ok('subscribe', { channel: a });
        await subscriber.ok('subscribe', { channel: b });
        const one = (await published(target, { channel: a, event: 'tick', data: { price: 12.5 } })).body;
        const both = (await published(target, { channels: [a, b], data: 'both' })).body;
        assert.ok(both.seq > one.seq, 'seq increases');
        assert.deepEqual(Object.keys(both.results).sort(), [a, b].sort());
        assert.equal(both.results[a].offset, one.results[a].offset + 1);
        const pubs = [await subscriber.next(), await subscriber.next(), await subscriber.next()];
        assert.deepEqual(pubs.map((p) => [p.channel, p.event, p.data]).sort(), [[a, 'message', 'both'], [a, 'tick', { price: 12.5 }], [b, 'message', 'both']].sort());
      } finally {
        subscriber.terminate();
      }
    },
  },
  {
    section: 'http-api.md#post-publish', name: 'data is delivered as given: numbers keep their digits, null is a value', needs,
    async run(target) {
      const channel = freshChannel(target, 'api');
      const raw = `{"channel":${JSON.stringify(channel)},"data":{"price":12.50,"big":123456789012345678901234567890,"none":null}}`;
      await published(target, raw);
      const history = await api(target, 'GET', `history?channel=${encodeURIComponent(channel)}`);
      assert.equal(history.status, 200);
      assert.match(history.text, /"price":12\.50/);
      assert.match(history.text, /"big":123456789012345678901234567890/);
      await published(target, { channel, data: null });
    },
  },
  {
    section: 'http-api.md#post-publish', name: 'a repeated idempotencyKey gets the first answer byte for byte with Idempotent-Replayed and publishes nothing', needs,
    async run(target) {
      const channel = freshChannel(target, 'api');
      const idempotencyKey = `conf-${randomUUID()}`;
      const first = await published(target, { channel, data: 1, idempotencyKey });
      const again = await published(target, { channel, data: 2, idempotencyKey });
      assert.equal(again.text, first.text);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(first.headers.get('idempotent-replayed'), null);
      const history = await api(target, 'GET', `history?channel=${encodeURIComponent(channel)}`);
      assert.deepEqual(history.body.publications.map((p) => p.data), [1]);
    },
  },
  {
    section: 'http-api.md#post-publish', name: 'exclude keeps one connection from the live delivery; others get it and history keeps it', needs,
    async run(target) {
      const channel = freshChannel(target, 'api');
      const excluded = await PlainConnection.open(target);
      const other = await PlainConnection.open(target);
      try {
        await excluded.ok('subscribe', { channel });
        await other.ok('subscribe', { channel });
        await published(target, { channel, data: 'not for you', exclude: excluded.welcome.connectionId });
        await published(target, { channel, data: 'for all' });
        assert.deepEqual([(await other.next()).data, (await other.next()).data], ['not for you', 'for all']);
        assert.equal((await excluded.next()).data, 'for all', 'the excluded connection got only the second');
        const history = await api(target, 'GET', `history?channel=${encodeURIComponent(channel)}`);
        assert.deepEqual(history.body.publications.map((p) => p.data), ['not for you', 'for all']);
      } finally {
        excluded.terminate();
        other.terminate();
      }
    },
  },
  {
    section: 'http-api.md#get-history', name: 'history: the latest, the ones after a position, continuous false for a gone position, limit, top', needs,
    async run(target) {
      const channel = freshChannel(target, 'api');
      const positions = [];
      for (let n = 1; n <= 4; n++) positions.push((await published(target, { channel, event: 'n', data: n })).body.results[channel]);
      const q = (query) => api(target, 'GET', `history?channel=${encodeURIComponent(channel)}${query}`);
      const latest = await q('&limit=2');
      assert.equal(latest.status, 200);
      assertShape(latest.body, frames.api.history, 'history');
      assert.deepEqual(latest.body.publications.map((p) => p.data), [3, 4]);
      assert.deepEqual(latest.body.top, positions[3]);
      assert.equal(latest.body.continuous, true);
      const after = await q(`&since=${positions[1].offset}&epoch=${positions[1].epoch}`);
      assert.deepEqual(after.body.publications.map((p) => [p.offset, p.event, p.data]), [[positions[2].offset, 'n', 3], [positions[3].offset, 'n', 4]]);
      const gone = await q('&since=1&epoch=gone-epoch');
      assert.deepEqual([gone.body.continuous, gone.body.publications], [false, []]);
    },
  },
  {
    section: 'http-api.md#get-presence', name: 'presence counts the subscribed connections of every protocol, with their ids', needs,
    async run(target) {
      const channel = freshChannel(target, 'api');
      const ws = await PlainConnection.open(target);
      const sse = await openSse(target, { channels: [channel] });
      try {
        await ws.ok('subscribe', { channel });
        const subscribed = await sse.stream.nextEvent();
        const answer = await api(target, 'GET', `presence?channel=${encodeURIComponent(channel)}`);
        assert.equal(answer.status, 200, answer.text);
        assertShape(answer.body, frames.api.presence, 'presence');
        assert.equal(answer.body.connections, 2);
        assert.deepEqual(answer.body.members.map((m) => m.connectionId).sort(), [ws.welcome.connectionId, subscribed.json.connectionId].sort());
      } finally {
        ws.terminate();
        sse.stream.close();
      }
    },
  },
  {
    section: 'http-api.md#post-disconnect', name: 'disconnect of an unknown connection is 404 connection_not_found', needs,
    async run(target) {
      assertRefusal(await api(target, 'POST', 'disconnect', { connectionId: `nobody-${randomUUID()}` }), 404, 'connection_not_found');
    },
  },
  {
    section: 'http-api.md#authentication', name: 'no key is 401 api_key_missing, an unknown one 401 api_key_invalid (WWW-Authenticate: Bearer); Bearer works as X-Api-Key', needs,
    async run(target) {
      const channel = freshChannel(target, 'api');
      const missing = await api(target, 'POST', 'publish', { channel, data: 1 }, { key: null });
      assertRefusal(missing, 401, 'api_key_missing');
      assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer/);
      const unknown = await api(target, 'GET', `history?channel=${channel}`, undefined, { key: 'not-the-key' });
      assertRefusal(unknown, 401, 'api_key_invalid');
      assert.match(unknown.headers.get('www-authenticate') ?? '', /^Bearer/);
      await published(target, { channel, data: 1 }, { keyHeader: 'bearer' });
      const history = await api(target, 'GET', `history?channel=${channel}`);
      assert.equal(history.body.publications.length, 1, 'the refused requests published nothing');
    },
  },
  {
    section: 'http-api.md#errors', name: 'bad publish bodies are refused with 400 and the documented codes, publishing nothing', needs,
    async run(target) {
      const channel = freshChannel(target, 'api');
      const refuse = async (body, code) => assertRefusal(await api(target, 'POST', 'publish', body), 400, code);
      await refuse('', 'invalid_json');
      await refuse('{"channel":', 'invalid_json');
      await refuse(`${'['.repeat(70)}${']'.repeat(70)}`, 'invalid_json');
      await refuse('[1]', 'invalid_body');
      await refuse({ channel }, 'missing_field');
      await refuse({ data: 1 }, 'missing_field');
      await refuse({ channel, channels: [channel], data: 1 }, 'invalid_field');
      await refuse({ channel: 42, data: 1 }, 'invalid_field');
      await refuse({ channel, event: '', data: 1 }, 'invalid_field');
      await refuse({ channels: [], data: 1 }, 'channel_missing');
      await refuse({ channel: '', data: 1 }, 'invalid_channel');
      await refuse({ channel: 'x'.repeat(201), data: 1 }, 'invalid_channel');
      await refuse({ channels: [channel, channel], data: 1 }, 'duplicate_channel');
      await refuse({ channels: Array.from({ length: target.maxChannels + 1 }, (_, i) => `${channel}.${i}`), data: 1 }, 'too_many_channels');
      const history = await api(target, 'GET', `history?channel=${channel}`);
      assert.deepEqual(history.body.publications, []);
    },
  },
  {
    section: 'http-api.md#errors', name: 'bad history queries, wrong methods and oversized bodies get their documented answers', needs,
    async run(target) {
      const channel = freshChannel(target, 'api');
      const history = (query) => api(target, 'GET', `history?channel=${channel}${query}`);
      assertRefusal(await history('&since=1'), 400, 'invalid_position');
      assertRefusal(await history('&epoch=abc'), 400, 'invalid_position');
      assertRefusal(await history('&since=-1&epoch=abc'), 400, 'invalid_position');
      assertRefusal(await history('&limit=0'), 400, 'invalid_limit');
      assertRefusal(await history('&limit=x'), 400, 'invalid_limit');
      assertRefusal(await api(target, 'GET', 'history'), 400, 'channel_missing');
      assertRefusal(await api(target, 'GET', `history?channel=${channel}&channel=${channel}.2`), 400, 'invalid_channel');
      const wrongMethod = await api(target, 'GET', 'publish');
      assert.equal(wrongMethod.status, 405);
      assert.equal(wrongMethod.text, '');
      const big = { channel, data: 'x'.repeat(target.maxBodySize + 1) };
      assertRefusal(await api(target, 'POST', 'publish', big), 413, 'payload_too_large');
    },
  },
];
