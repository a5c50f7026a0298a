// Conformance cases for HTTP long-poll (docs/protocols/longpoll.md).
import assert from 'node:assert/strict';
import { assertShape, formatCursor, frames, parseCursor } from './expectations.mjs';
import { assertRefusal } from './sse-cases.mjs';
import { freshChannel } from './target.mjs';
import { PlainConnection, openSse, poll, publish } from './wire.mjs';

async function answered(target, options) {
  const answer = await poll(target, options);
  assert.equal(answer.status, 200, `poll refused: ${answer.status} ${answer.text}`);
  assertShape(answer.body, frames.poll.answer, 'poll answer');
  assert.ok(parseCursor(answer.body.cursor), `the cursor follows the grammar: ${answer.body.cursor}`);
  return answer;
}

export const longPollCases = [
  {
    section: 'longpoll.md#answer', name: 'a first poll with timeout=0 answers at once: no publications, the current positions as cursor, no-store JSON',
    async run(target) {
      const a = freshChannel(target, 'poll');
      const b = freshChannel(target, 'poll');
      const top = await publish(target, a, 'before');
      const answer = await answered(target, { channels: [a, b], timeout: 0 });
      assert.match(answer.headers.get('content-type'), /^application\/json/);
      assert.match(answer.headers.get('cache-control') ?? '', /no-store/);
      assert.deepEqual(answer.body.publications, []);
      assert.deepEqual(answer.body.discontinuities, []);
      const positions = parseCursor(answer.body.cursor);
      assert.equal(positions.length, 2);
      assert.deepEqual(positions[0], top, 'the poll starts from now');
    },
  },
  {
    section: 'longpoll.md#answer', name: 'a held poll counts in presence, and is answered as soon as a publication arrives, with the next cursor',
    async run(target) {
      const channel = freshChannel(target, 'poll');
      const { body: { cursor } } = await answered(target, { channels: [channel], timeout: 0 });
      const held = answered(target, { channels: [channel], cursor, timeout: 20 });
      // Publish once the poll is held (it then counts in presence), so the answer is the wake-up.
      const watcher = await PlainConnection.open(target);
      try {
        const deadline = Date.now() + 10_000;
        while ((await watcher.ok('presence', { channel })).count < 1) {
          assert.ok(Date.now() < deadline, 'the held poll never showed in presence');
        }
      } finally {
        watcher.terminate();
      }
      const published = await publish(target, channel, { n: 1 }, 'tick');
      const answer = await held;
      assert.ok(answer.elapsed < 15_000, `answered after ${answer.elapsed} ms`);
      assert.deepEqual(answer.body.publications, [{ channel, offset: published.offset, epoch: published.epoch, event: 'tick', data: { n: 1 } }]);
      assertShape(answer.body.publications[0], frames.poll.answer.publications[0], 'publication');
      assert.deepEqual(parseCursor(answer.body.cursor), [published]);
    },
  },
  {
    section: 'longpoll.md#answer', name: 'a poll with nothing to say is answered after its timeout with the same positions',
    async run(target) {
      const channel = freshChannel(target, 'poll');
      const { body: { cursor } } = await answered(target, { channels: [channel], timeout: 0 });
      const answer = await answered(target, { channels: [channel], cursor, timeout: 1 });
      assert.ok(answer.elapsed >= 900, `held for the timeout (answered after ${answer.elapsed} ms)`);
      assert.deepEqual(answer.body.publications, []);
      assert.deepEqual(parseCursor(answer.body.cursor), parseCursor(cursor));
    },
  },
  {
    section: 'longpoll.md#client-loop', name: 'a cursor that is behind gets the publications after it at once; the next poll repeats none',
    async run(target) {
      const channel = freshChannel(target, 'poll');
      const { body: { cursor } } = await answered(target, { channels: [channel], timeout: 0 });
      for (let n = 1; n <= 3; n++) await publish(target, channel, n);
      const behind = await answered(target, { channels: [channel], cursor, timeout: 20 });
      assert.ok(behind.elapsed < 5_000, `answered at once (${behind.elapsed} ms)`);
      assert.deepEqual(behind.body.publications.map((p) => p.data), [1, 2, 3]);
      const next = await answered(target, { channels: [channel], cursor: behind.body.cursor, timeout: 0 });
      assert.deepEqual(next.body.publications, []);
      assert.equal(next.body.cursor, behind.body.cursor);
    },
  },
  {
    section: 'longpoll.md#request', name: 'an SSE cursor is a long-poll cursor: moving from SSE to long-poll loses nothing',
    async run(target) {
      const channel = freshChannel(target, 'poll');
      const opened = await openSse(target, { channels: [channel] });
      assert.equal(opened.status, 200);
      const subscribed = await opened.stream.nextEvent();
      opened.stream.close();
      await publish(target, channel, 'missed');
      const answer = await answered(target, { channels: [channel], cursor: subscribed.id, timeout: 0 });
      assert.deepEqual(answer.body.publications.map((p) => p.data), ['missed']);
    },
  },
  {
    section: 'longpoll.md#answer', name: 'a position that cannot be continued is a discontinuity with a fresh cursor; a cursor that does not fit is one per channel',
    async run(target) {
      const a = freshChannel(target, 'poll');
      const b = freshChannel(target, 'poll');
      const top = await publish(target, a, 1);
      const gone = await answered(target, { channels: [a], cursor: formatCursor([{ offset: 1, epoch: 'gone-epoch' }]), timeout: 20 });
      assert.ok(gone.elapsed < 5_000, `answered at once (${gone.elapsed} ms)`);
      assert.deepEqual(gone.body.discontinuities, [{ channel: a, epoch: top.epoch, offset: top.offset }]);
      assertShape(gone.body.discontinuities[0], frames.poll.discontinuity.discontinuities[0], 'discontinuity');
      assert.deepEqual(gone.body.publications, []);
      assert.deepEqual(parseCursor(gone.body.cursor), [top]);

      const misfit = await answered(target, { channels: [a, b], cursor: formatCursor([top]), timeout: 20 });
      assert.deepEqual(misfit.body.discontinuities.map((d) => d.channel).sort(), [a, b].sort());
      assert.equal(parseCursor(misfit.body.cursor).length, 2);
    },
  },
  {
    section: 'longpoll.md#request', name: 'bad requests are refused with 400 and the documented codes',
    async run(target) {
      const ok = freshChannel(target, 'poll');
      for (const timeout of ['-1', 'abc', '1.5']) {
        assertRefusal(await poll(target, { channels: [ok], timeout }), 400, 'invalid_timeout');
      }
      assertRefusal(await poll(target, { channels: [], timeout: 0 }), 400, 'channel_missing');
      assertRefusal(await poll(target, { channels: [''], timeout: 0 }), 400, 'invalid_channel');
      assertRefusal(await poll(target, { channels: [ok, ok], timeout: 0 }), 400, 'duplicate_channel');
      const many = Array.from({ length: target.maxChannels + 1 }, (_, i) => `${ok}.${i}`);
      assertRefusal(await poll(target, { channels: many, timeout: 0 }), 400, 'too_many_channels');
      const forged = await poll(target, { channels: [ok], timeout: 0, token: 'not-a-token' });
      assertRefusal(forged, 401, 'token_invalid');
      assert.match(forged.headers.get('www-authenticate') ?? '', /^Bearer/);
    },
  },
];
