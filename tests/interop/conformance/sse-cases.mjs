// Conformance cases for Server-Sent Events (docs/protocols/sse.md). Each case names the section it
// checks; `needs` names the target settings without which it is skipped.
import assert from 'node:assert/strict';
import { assertShape, formatCursor, frames, parseCursor } from './expectations.mjs';
import { freshChannel, mintToken } from './target.mjs';
import { api, openSse, publish } from './wire.mjs';

/** Opens a stream that must be accepted; returns the stream and its `subscribed` event. */
async function subscribe(target, options) {
  const opened = await openSse(target, options);
  assert.equal(opened.status, 200, `SSE refused: ${opened.status} ${opened.text}`);
  const first = await opened.stream.nextEvent();
  assert.equal(first.event, 'subscribed', `the first event is subscribed, got ${JSON.stringify(first)}`);
  return { ...opened, subscribed: first };
}

async function events(stream, count) {
  const out = [];
  while (out.length < count) out.push(await stream.nextEvent());
  return out;
}

/** The error answer every refusal has: status, JSON content type, {error:{code,message}}. */
export function assertRefusal(answer, status, code) {
  assert.equal(answer.status, status, `expected ${status} ${code}, got ${answer.status} ${answer.text}`);
  if (code === undefined) return;
  assert.match(answer.headers.get('content-type') ?? '', /application\/json/);
  assertShape(answer.body, frames.api.error, 'refusal');
  assert.equal(answer.body.error.code, code, `expected ${code}, got ${answer.text}`);
  assert.ok(answer.body.error.message.length > 0, 'the error has a message');
}

export const sseCases = [
  {
    section: 'sse.md#response', name: 'a stream answers 200 text/event-stream, no-cache, and starts with retry then subscribed in request order',
    async run(target) {
      const a = freshChannel(target, 'sse');
      const b = freshChannel(target, 'sse');
      const { headers, stream } = await openSse(target, { channels: [a, b] });
      try {
        assert.match(headers.get('content-type'), /^text\/event-stream/);
        assert.match(headers.get('cache-control') ?? '', /no-cache/);
        const retry = await stream.next();
        assert.ok(/^\d+$/.test(retry.retry ?? ''), `the first block is retry: <ms>, got ${JSON.stringify(retry)}`);
        const subscribed = await stream.nextEvent();
        assert.equal(subscribed.event, 'subscribed');
        assertShape(subscribed.json, frames.sse.subscribed.json, 'subscribed');
        assert.equal(subscribed.json.resumed, false);
        assert.deepEqual(subscribed.json.channels.map((c) => c.channel), [a, b]);
        assert.ok(subscribed.json.channels.every((c) => Number.isInteger(c.offset) && c.offset >= 0));
        // The id is the cursor of these positions (sse.md#the-cursor).
        assert.deepEqual(parseCursor(subscribed.id), subscribed.json.channels.map(({ offset, epoch }) => ({ offset, epoch })));
      } finally {
        stream.close();
      }
    },
  },
  {
    section: 'sse.md#the-cursor', name: 'each publication is an event named after it, with the publication object and an id that is the cursor of every channel',
    async run(target) {
      const a = freshChannel(target, 'sse');
      const b = freshChannel(target, 'sse');
      const { stream, subscribed } = await subscribe(target, { channels: [a, b] });
      try {
        const [, startB] = parseCursor(subscribed.id);
        const first = await publish(target, a, { n: 1 }, 'tick');
        const second = await publish(target, a, { n: 2 }, 'tock');
        const [e1, e2] = await events(stream, 2);
        assert.deepEqual([e1.event, e2.event], ['tick', 'tock']);
        assertShape(e1.json, frames.sse.publication.json, 'publication');
        assert.deepEqual(e1.json, { channel: a, offset: first.offset, epoch: first.epoch, event: 'tick', data: { n: 1 } });
        assert.equal(second.offset, first.offset + 1, 'offsets are gapless within an epoch');
        assert.deepEqual(parseCursor(e1.id), [{ offset: first.offset, epoch: first.epoch }, startB]);
        assert.deepEqual(parseCursor(e2.id), [{ offset: second.offset, epoch: second.epoch }, startB]);
      } finally {
        stream.close();
      }
    },
  },
  {
    section: 'sse.md#framing', name: 'a publication named like a stream event (close, discontinuity) arrives as event: message with its real name in the object',
    async run(target) {
      const channel = freshChannel(target, 'sse');
      const { stream } = await subscribe(target, { channels: [channel] });
      try {
        await publish(target, channel, 1, 'close');
        await publish(target, channel, 2, 'discontinuity');
        const [e1, e2] = await events(stream, 2);
        assert.deepEqual([e1.event, e1.json.event, e1.json.data], ['message', 'close', 1]);
        assert.deepEqual([e2.event, e2.json.event, e2.json.data], ['message', 'discontinuity', 2]);
      } finally {
        stream.close();
      }
    },
  },
  {
    section: 'sse.md#resuming', name: 'Last-Event-ID resumes: exactly the publications after it, once, in order, then live ones',
    async run(target) {
      const channel = freshChannel(target, 'sse');
      const first = await subscribe(target, { channels: [channel] });
      for (let n = 1; n <= 3; n++) await publish(target, channel, n);
      const seen = await events(first.stream, 3);
      first.stream.close();
      const resumeFrom = seen[1].id; // after the second: the third must come again, once
      for (let n = 4; n <= 5; n++) await publish(target, channel, n);

      const second = await subscribe(target, { channels: [channel], lastEventId: resumeFrom });
      try {
        assert.equal(second.subscribed.json.resumed, true);
        assert.deepEqual(second.subscribed.json.channels.map(({ offset, epoch }) => ({ offset, epoch })), parseCursor(resumeFrom));
        const replayed = await events(second.stream, 3);
        await publish(target, channel, 6);
        const [live] = await events(second.stream, 1);
        assert.deepEqual([...replayed, live].map((e) => e.json.data), [3, 4, 5, 6]);
        assert.deepEqual([...replayed, live].map((e) => e.json.offset), [3, 4, 5, 6].map((n) => seen[0].json.offset + n - 1));
        assert.equal(second.stream.ended, false);
      } finally {
        second.stream.close();
      }
    },
  },
  {
    section: 'sse.md#request', name: 'the lastEventId query parameter resumes too, and the Last-Event-ID header wins over it',
    async run(target) {
      const channel = freshChannel(target, 'sse');
      const first = await subscribe(target, { channels: [channel] });
      const start = first.subscribed.id;
      first.stream.close();
      await publish(target, channel, 'a');
      const p2 = await publish(target, channel, 'b');
      const afterA = formatCursor([{ offset: p2.offset - 1, epoch: p2.epoch }]);

      const byQuery = await subscribe(target, { channels: [channel], lastEventIdQuery: start });
      const both = await subscribe(target, { channels: [channel], lastEventIdQuery: start, lastEventId: afterA });
      try {
        assert.deepEqual((await events(byQuery.stream, 2)).map((e) => e.json.data), ['a', 'b']);
        const [only] = await events(both.stream, 1);
        assert.equal(only.json.data, 'b', 'the header (after a) won over the query (before a)');
        assert.equal(both.subscribed.json.channels[0].offset, p2.offset - 1);
      } finally {
        byQuery.stream.close();
        both.stream.close();
      }
    },
  },
  {
    section: 'sse.md#resuming', name: 'resuming several channels replays each one in order from its own position',
    async run(target) {
      const a = freshChannel(target, 'sse');
      const b = freshChannel(target, 'sse');
      const first = await subscribe(target, { channels: [a, b] });
      const cursor = first.subscribed.id;
      first.stream.close();
      await publish(target, a, 'a1');
      await publish(target, b, 'b1');
      await publish(target, a, 'a2');
      const second = await subscribe(target, { channels: [a, b], lastEventId: cursor });
      try {
        const replayed = await events(second.stream, 3);
        const of = (channel) => replayed.filter((e) => e.json.channel === channel).map((e) => e.json.data);
        assert.deepEqual(of(a), ['a1', 'a2']);
        assert.deepEqual(of(b), ['b1']);
        // The last id holds both channels' final positions.
        const last = parseCursor(replayed[2].id);
        assert.deepEqual(last.map((p) => p.offset), [parseCursor(cursor)[0].offset + 2, parseCursor(cursor)[1].offset + 1]);
      } finally {
        second.stream.close();
      }
    },
  },
  {
    section: 'sse.md#resuming', name: 'a position in another epoch gets a discontinuity with the current position, nothing replayed, then live publications',
    async run(target) {
      const channel = freshChannel(target, 'sse');
      const top = await publish(target, channel, 'old');
      const { stream, subscribed } = await subscribe(target, { channels: [channel], lastEventId: formatCursor([{ offset: 1, epoch: 'gone-epoch' }]) });
      try {
        const discontinuity = await stream.nextEvent();
        assert.equal(discontinuity.event, 'discontinuity');
        assertShape(discontinuity.json, frames.sse.discontinuity.json, 'discontinuity');
        assert.deepEqual(discontinuity.json, { channel, epoch: top.epoch, offset: top.offset });
        assert.deepEqual(parseCursor(discontinuity.id), [top]);
        assert.equal(subscribed.json.channels[0].channel, channel);
        await publish(target, channel, 'new');
        const live = await stream.nextEvent();
        assert.equal(live.json.data, 'new', 'nothing was replayed before the live publication');
      } finally {
        stream.close();
      }
    },
  },
  {
    section: 'sse.md#resuming', name: 'a position whose publications were trimmed from history gets a discontinuity, not a partial replay',
    async run(target) {
      const channel = freshChannel(target, 'trim');
      const first = await publish(target, channel, 0);
      // One more than the history keeps after the position: the publication after it is gone.
      let top;
      for (let n = 1; n <= target.historySize + 1; n++) top = await publish(target, channel, n);
      const { stream } = await subscribe(target, { channels: [channel], lastEventId: formatCursor([first]) });
      try {
        const discontinuity = await stream.nextEvent();
        assert.equal(discontinuity.event, 'discontinuity', `expected a discontinuity, got ${JSON.stringify(discontinuity)}`);
        assert.deepEqual(discontinuity.json, { channel, epoch: top.epoch, offset: top.offset });
        await publish(target, channel, 'live');
        assert.equal((await stream.nextEvent()).json.data, 'live');
      } finally {
        stream.close();
      }
    },
  },
  {
    section: 'sse.md#resuming', name: 'an offset beyond the end of the channel gets a discontinuity',
    async run(target) {
      const channel = freshChannel(target, 'sse');
      const top = await publish(target, channel, 1);
      const { stream } = await subscribe(target, { channels: [channel], lastEventId: formatCursor([{ offset: top.offset + 5, epoch: top.epoch }]) });
      try {
        const discontinuity = await stream.nextEvent();
        assert.equal(discontinuity.event, 'discontinuity');
        assert.deepEqual(discontinuity.json, { channel, epoch: top.epoch, offset: top.offset });
      } finally {
        stream.close();
      }
    },
  },
  {
    section: 'sse.md#resuming', name: 'a cursor that does not fit the request (malformed, other version, wrong count) is a discontinuity in every channel',
    async run(target) {
      for (const bad of ['garbage', 'v2~1.abc~1.abc', 'v1~1.abc']) {
        const a = freshChannel(target, 'sse');
        const b = freshChannel(target, 'sse');
        const pa = await publish(target, a, 1);
        const { stream, subscribed } = await subscribe(target, { channels: [a, b], lastEventId: bad });
        try {
          assert.equal(subscribed.json.resumed, false, `cursor ${bad}`);
          const [d1, d2] = await events(stream, 2);
          assert.deepEqual([d1.event, d2.event], ['discontinuity', 'discontinuity'], `cursor ${bad}`);
          assert.deepEqual([d1.json.channel, d2.json.channel].sort(), [a, b].sort());
          assert.equal([d1, d2].find((d) => d.json.channel === a).json.offset, pa.offset);
        } finally {
          stream.close();
        }
      }
    },
  },
  {
    section: 'sse.md#framing', name: 'an idle stream gets `: ping` comments within the heartbeat interval',
    async run(target) {
      const channel = freshChannel(target, 'sse');
      const { stream } = await subscribe(target, { channels: [channel] });
      try {
        const started = Date.now();
        let block;
        do block = await stream.next(target.heartbeatMs * 2 + 2_000); while (block.comment === undefined);
        assert.equal(block.comment, 'ping');
        assert.ok(Date.now() - started <= target.heartbeatMs * 2 + 2_000);
      } finally {
        stream.close();
      }
    },
  },
  {
    section: 'sse.md#refusals', name: 'bad channel lists are refused before the stream with 400 and the documented codes',
    async run(target) {
      const ok = freshChannel(target, 'sse');
      assertRefusal(await openSse(target, { channels: [] }), 400, 'channel_missing');
      assertRefusal(await openSse(target, { channels: [''] }), 400, 'invalid_channel');
      assertRefusal(await openSse(target, { channels: ['x'.repeat(201)] }), 400, 'invalid_channel');
      assertRefusal(await openSse(target, { channels: [`${ok}\u0001`] }), 400, 'invalid_channel');
      assertRefusal(await openSse(target, { channels: [ok, ok] }), 400, 'duplicate_channel');
      const many = Array.from({ length: target.maxChannels + 1 }, (_, i) => `${ok}.${i}`);
      assertRefusal(await openSse(target, { channels: many }), 400, 'too_many_channels');
      assertRefusal(await openSse(target, { channels: [ok], method: 'POST' }), 405);
    },
  },
  {
    section: 'sse.md#authentication', name: 'a malformed token is refused with 401 token_invalid and WWW-Authenticate: Bearer',
    async run(target) {
      const answer = await openSse(target, { channels: [freshChannel(target, 'sse')], token: 'not-a-token' });
      assertRefusal(answer, 401, 'token_invalid');
      assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer/);
    },
  },
  {
    section: 'sse.md#refusals', name: 'no token: 401 token_missing when anonymous access is off (a stream when it is on)', needs: ['anonymousKnown'],
    async run(target) {
      const answer = await openSse(target, { channels: [freshChannel(target, 'sse')], token: null });
      if (target.anonymous) {
        assert.equal(answer.status, 200);
        answer.stream.close();
        return;
      }
      assertRefusal(answer, 401, 'token_missing');
      assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer/);
    },
  },
  {
    section: 'sse.md#refusals', name: 'an expired token is 401 token_expired; a channel outside the grant is 403 forbidden naming it', needs: ['jwtSecret'],
    async run(target) {
      const allowed = freshChannel(target, 'granted');
      const other = freshChannel(target, 'other');
      const expired = mintToken(target, { sub_channels: '*' }, -3600);
      assertRefusal(await openSse(target, { channels: [allowed], token: expired }), 401, 'token_expired');
      const narrow = mintToken(target, { sub_channels: [allowed] });
      const refused = await openSse(target, { channels: [allowed, other], token: narrow });
      assertRefusal(refused, 403, 'forbidden');
      assert.ok(refused.body.error.message.includes(other), `the message names ${other}: ${refused.body.error.message}`);
      const accepted = await openSse(target, { channels: [allowed], token: narrow });
      assert.equal(accepted.status, 200);
      accepted.stream.close();
    },
  },
  {
    section: 'sse.md#framing', name: 'disconnected through the HTTP API, the stream gets a close event (disconnected, reconnect false) and ends', needs: ['apiKey'],
    async run(target) {
      const { stream, subscribed } = await subscribe(target, { channels: [freshChannel(target, 'sse')] });
      try {
        const { connectionId } = subscribed.json;
        const answer = await api(target, 'POST', 'disconnect', { connectionId });
        assert.equal(answer.status, 200, answer.text);
        assert.deepEqual(answer.body, { connectionId, disconnected: true });
        const close = await stream.nextEvent();
        assert.equal(close.event, 'close');
        assertShape(close.json, frames.sse.close.json, 'close');
        assert.equal(close.json.code, 'disconnected');
        assert.equal(close.json.reconnect, false);
        await stream.end();
        assert.equal(stream.ended, true);
      } finally {
        stream.close();
      }
    },
  },
];
