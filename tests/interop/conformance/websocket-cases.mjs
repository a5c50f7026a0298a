// Conformance cases for the plain WebSocket protocol (docs/protocols/websocket.md).
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { assertShape, frames } from './expectations.mjs';
import { freshChannel, mintToken } from './target.mjs';
import { PlainConnection, TIMEOUT, api, publish, refusedUpgrade, withTimeout } from './wire.mjs';

/** Runs `body` with connections that are always closed afterwards. */
async function withConnections(target, count, body) {
  const connections = [];
  try {
    for (let i = 0; i < count; i++) connections.push(await PlainConnection.open(target));
    return await body(...connections);
  } finally {
    for (const c of connections) c.terminate();
  }
}

function assertErrorReply(reply, code, id) {
  assertShape(reply, { ok: false, error: frames.ws.error.error }, 'error reply');
  assert.equal(reply.error.code, code, JSON.stringify(reply));
  assert.equal(reply.type, undefined, 'a reply has no type');
  if (id === undefined) assert.equal(Object.hasOwn(reply, 'id'), false, `no id: ${JSON.stringify(reply)}`);
  else assert.equal(reply.id, id);
}

/** The close frame the server ends with: resolves with {code, reason} and the pushes before it. */
async function closing(connection) {
  const pushes = [];
  for (;;) {
    try {
      pushes.push(await connection.next());
    } catch {
      return { ...(await withTimeout(connection.closed, TIMEOUT, 'the close')), pushes };
    }
  }
}

export const websocketCases = [
  {
    section: 'websocket.md#connecting', name: 'switchboard.v1 is selected when offered, and the first frame is the welcome',
    async run(target) {
      const offered = await PlainConnection.open(target, { protocols: ['switchboard.v1'] });
      const none = await PlainConnection.open(target, { protocols: [] });
      try {
        assert.equal(offered.ws.protocol, 'switchboard.v1');
        assertShape(offered.welcome, frames.ws.welcome, 'welcome');
        assert.equal(offered.welcome.type, 'welcome');
        assert.equal(offered.welcome.v, 1);
        assert.ok(offered.welcome.maxMessageSize > 0);
        assert.equal(none.welcome.v, 1, 'no subprotocol offered is version 1 too');
        assert.notEqual(offered.welcome.connectionId, none.welcome.connectionId);
      } finally {
        offered.terminate();
        none.terminate();
      }
    },
  },
  {
    section: 'websocket.md#connecting', name: 'refusals before the upgrade: unsupported_protocol 400, websocket_required 426, token_invalid 401',
    async run(target) {
      const unsupported = await refusedUpgrade(target, { protocols: ['mqtt'] });
      assert.equal(unsupported.status, 400);
      assert.equal(unsupported.body?.error?.code, 'unsupported_protocol');
      const forged = await refusedUpgrade(target, { token: 'not-a-token' });
      assert.equal(forged.status, 401);
      assert.equal(forged.body?.error?.code, 'token_invalid');
      assert.match(forged.headers['content-type'] ?? '', /application\/json/);
      const plain = await withTimeout(fetch(`${target.url}${target.paths.ws}`, { headers: target.token ? { authorization: `Bearer ${target.token}` } : {} }), TIMEOUT, 'GET /ws');
      assert.equal(plain.status, 426);
      assert.equal((await plain.json()).error.code, 'websocket_required');
      assert.match(plain.headers.get('upgrade') ?? '', /websocket/i);
    },
  },
  {
    section: 'websocket.md#connecting', name: 'no token: 401 token_missing when anonymous access is off', needs: ['anonymousOff'],
    async run(target) {
      const missing = await refusedUpgrade(target, { token: null });
      assert.equal(missing.status, 401);
      assert.equal(missing.body?.error?.code, 'token_missing');
      assert.match(missing.headers['www-authenticate'] ?? '', /^Bearer/);
    },
  },
  {
    section: 'websocket.md#publish', name: 'subscribe replies with the position; publish is acknowledged with its offset, and the subscribed publisher gets its own pub once',
    async run(target) {
      const channel = freshChannel(target, 'ws');
      await withConnections(target, 2, async (subscriber, publisher) => {
        const subscribed = await subscriber.ok('subscribe', { channel });
        assertShape(subscribed, frames.ws.subscribed, 'subscribe reply');
        assert.equal(subscribed.channel, channel);
        await publisher.ok('subscribe', { channel });
        const ack = await publisher.ok('publish', { channel, event: 'greeting', data: { text: 'hi', n: [1, 2] } });
        assertShape(ack, frames.ws.published, 'publish reply');
        assert.equal(ack.offset, subscribed.offset + 1);
        assert.equal(ack.epoch, subscribed.epoch);
        const expected = { type: 'pub', channel, offset: ack.offset, epoch: ack.epoch, event: 'greeting', data: { text: 'hi', n: [1, 2] } };
        // Before the reply on a single node; in a cluster it may follow it (websocket.md#publish).
        const own = ack.before.length > 0 ? ack.before : [await publisher.next()];
        assert.deepEqual(own, [expected], 'the publisher\'s own pub, once');
        const pub = await subscriber.next();
        assertShape(pub, frames.ws.pub, 'pub');
        assert.deepEqual(pub, expected);
      });
    },
  },
  {
    section: 'websocket.md#publish', name: 'echo false keeps the publisher\'s own pub away; event defaults to message and data to null',
    async run(target) {
      const channel = freshChannel(target, 'ws');
      await withConnections(target, 2, async (subscriber, publisher) => {
        await subscriber.ok('subscribe', { channel });
        await publisher.ok('subscribe', { channel });
        const ack = await publisher.ok('publish', { channel, echo: false });
        assert.deepEqual(await subscriber.next(), { type: 'pub', channel, offset: ack.offset, epoch: ack.epoch, event: 'message', data: null });
        // Delivered to the subscriber on the same server, so queued for the publisher too if it were
        // not left out: a ping after that is a fence for it.
        const fence = await publisher.ok('ping');
        assert.deepEqual([...ack.before, ...fence.before], []);
      });
    },
  },
  {
    section: 'websocket.md#unsubscribe', name: 'after the unsubscribe reply no pub of the channel arrives; not_subscribed and already_subscribed are errors',
    async run(target) {
      const channel = freshChannel(target, 'ws');
      await withConnections(target, 2, async (client, witness) => {
        await client.ok('subscribe', { channel });
        await witness.ok('subscribe', { channel });
        const again = await client.request('subscribe', { channel });
        assertErrorReply(again.reply, 'already_subscribed', again.reply.id);
        await client.ok('unsubscribe', { channel });
        await publish(target, channel, 'after');
        // Once a subscriber on the same server has it, a ping is a fence for the unsubscribed one.
        assert.equal((await witness.next()).data, 'after');
        const fence = await client.ok('ping');
        assert.deepEqual(fence.before, [], 'no pub after the unsubscribe reply');
        const twice = await client.request('unsubscribe', { channel });
        assertErrorReply(twice.reply, 'not_subscribed', twice.reply.id);
      });
    },
  },
  {
    section: 'websocket.md#positions-and-recovery', name: 'subscribe with since pushes exactly the missed publications, in order, before the reply; then live ones',
    async run(target) {
      const channel = freshChannel(target, 'ws');
      await withConnections(target, 1, async (client) => {
        const start = await client.ok('subscribe', { channel });
        for (let n = 1; n <= 2; n++) await publish(target, channel, n);
        const seen = [await client.next(), await client.next()];
        client.terminate();
        for (let n = 3; n <= 5; n++) await publish(target, channel, n);
        await withConnections(target, 1, async (again) => {
          const last = seen[1];
          const reply = await again.ok('subscribe', { channel, since: { offset: last.offset, epoch: last.epoch } });
          assert.deepEqual(reply.before.map((p) => [p.type, p.offset, p.data]), [3, 4, 5].map((n) => ['pub', start.offset + n, n]));
          assert.equal(reply.offset, start.offset + 5);
          await publish(target, channel, 6);
          const live = await again.next();
          assert.deepEqual([live.offset, live.data], [start.offset + 6, 6]);
        });
      });
    },
  },
  {
    section: 'websocket.md#discontinuity', name: 'since in another epoch, trimmed or beyond the end: a discontinuity push before the reply, nothing replayed',
    async run(target) {
      const channel = freshChannel(target, 'trim');
      const first = await publish(target, channel, 0);
      let top;
      for (let n = 1; n <= target.historySize + 1; n++) top = await publish(target, channel, n);
      const positions = {
        epoch: { offset: 1, epoch: 'gone-epoch' },
        trimmed: first,
        beyond: { offset: top.offset + 5, epoch: top.epoch },
      };
      for (const [why, since] of Object.entries(positions)) {
        await withConnections(target, 1, async (client) => {
          const reply = await client.ok('subscribe', { channel, since });
          assert.equal(reply.before.length, 1, `${why}: ${JSON.stringify(reply.before)}`);
          const [notice] = reply.before;
          assertShape(notice, frames.ws.discontinuity, `${why}: discontinuity`);
          assert.deepEqual(notice, { type: 'discontinuity', channel, offset: top.offset, epoch: top.epoch }, why);
          assert.deepEqual([reply.offset, reply.epoch], [top.offset, top.epoch]);
        });
      }
    },
  },
  {
    section: 'websocket.md#history', name: 'history answers the latest publications, or those after since, or continuous false for a gone position; presence counts subscribers',
    async run(target) {
      const channel = freshChannel(target, 'ws');
      await withConnections(target, 1, async (client) => {
        await client.ok('subscribe', { channel });
        const p = [];
        for (let n = 1; n <= 3; n++) p.push(await client.ok('publish', { channel, data: n, echo: false }));
        const latest = await client.ok('history', { channel, limit: 2 });
        assertShape(latest, frames.ws.history, 'history');
        assert.deepEqual(latest.publications.map((x) => x.data), [2, 3]);
        assert.deepEqual([latest.offset, latest.epoch, latest.continuous], [p[2].offset, p[2].epoch, true]);
        const after = await client.ok('history', { channel, since: { offset: p[0].offset, epoch: p[0].epoch } });
        assert.deepEqual(after.publications.map((x) => x.data), [2, 3]);
        const gone = await client.ok('history', { channel, since: { offset: 1, epoch: 'gone-epoch' } });
        assert.deepEqual([gone.continuous, gone.publications], [false, []]);
        const presence = await client.ok('presence', { channel });
        assertShape(presence, frames.ws.presence, 'presence');
        assert.equal(presence.count, 1);
        const ping = await client.ok('ping');
        assert.equal(ping.ok, true);
      });
    },
  },
  {
    section: 'websocket.md#errors', name: 'unreadable frames get bad_request (with the id when it could be read); unknown ops unknown_op; the connection stays usable',
    async run(target) {
      await withConnections(target, 1, async (client) => {
        client.send('{"op":"subscribe",');
        assertErrorReply(await client.next(), 'bad_request');
        client.send('[1,2]');
        assertErrorReply(await client.next(), 'bad_request');
        client.ws.send(Buffer.from('{"op":"ping"}'), { binary: true });
        assertErrorReply(await client.next(), 'bad_request');
        client.send(JSON.stringify({ id: 'text-id', op: 'subscribe' }));
        assertErrorReply(await client.next(), 'bad_request', 'text-id');
        client.send(JSON.stringify({ id: 7, op: 'subscribe', channel: 42 }));
        assertErrorReply(await client.next(), 'bad_request', 7);
        client.send(JSON.stringify({ id: 8, op: 'teleport' }));
        assertErrorReply(await client.next(), 'unknown_op', 8);
        client.send(JSON.stringify({ id: 9, op: 'publish', channel: freshChannel(target, 'ws'), event: 'connect' }));
        assertErrorReply(await client.next(), 'bad_request', 9);
        client.send(JSON.stringify({ id: 10, op: 'subscribe', channel: 'x'.repeat(201) }));
        assertErrorReply(await client.next(), 'bad_request', 10);
        assert.equal((await client.ok('ping')).ok, true);
        assert.equal(client.binaryFrames, 0, 'the server never sends binary frames');
      });
    },
  },
  {
    section: 'websocket.md#errors', name: 'a channel outside the token\'s grant is forbidden for subscribe, publish and history', needs: ['jwtSecret'],
    async run(target) {
      const readable = freshChannel(target, 'granted');
      const token = mintToken(target, { sub_channels: [readable] });
      const client = await PlainConnection.open(target, { token });
      try {
        await client.ok('subscribe', { channel: readable });
        assertErrorReply((await client.request('publish', { channel: readable, data: 1 })).reply, 'forbidden', 2);
        assertErrorReply((await client.request('subscribe', { channel: freshChannel(target, 'other') })).reply, 'forbidden', 3);
        assertErrorReply((await client.request('history', { channel: freshChannel(target, 'other') })).reply, 'forbidden', 4);
      } finally {
        client.terminate();
      }
    },
  },
  {
    section: 'websocket.md#how-the-server-closes-a-connection', name: 'a message over maxMessageSize closes with 1009 too_large',
    async run(target) {
      const client = await PlainConnection.open(target);
      try {
        const size = client.welcome.maxMessageSize;
        client.send(JSON.stringify({ op: 'ping', pad: 'x'.repeat(size) }));
        const { code, reason, pushes } = await closing(client);
        assert.equal(code, 1009);
        assert.equal(reason, 'too_large');
        assert.ok(pushes.every((p) => p.type === 'close' && p.code === 'too_large'), JSON.stringify(pushes));
      } finally {
        client.terminate();
      }
    },
  },
  {
    section: 'websocket.md#how-the-server-closes-a-connection', name: 'a flood of invalid frames closes with 1008 bad_request',
    async run(target) {
      const client = await PlainConnection.open(target);
      try {
        for (let i = 0; i < 100; i++) client.send('not json');
        const { code, reason, pushes } = await closing(client);
        assert.equal(code, 1008);
        assert.equal(reason, 'bad_request');
        // Replies still queued when the server closes may be dropped ("unless the connection closes first").
        assert.ok(pushes.every((p) => (p.ok === false && p.error.code === 'bad_request') || p.type === 'close'), JSON.stringify(pushes));
        assert.ok(pushes.filter((p) => p.type === 'close').every((p) => p.code === 'bad_request' && p.reconnect === false));
      } finally {
        client.terminate();
      }
    },
  },
  {
    section: 'websocket.md#how-the-server-closes-a-connection', name: 'disconnected through the HTTP API: a close push (disconnected, reconnect false), then status 4500', needs: ['apiKey'],
    async run(target) {
      const client = await PlainConnection.open(target);
      try {
        const { connectionId } = client.welcome;
        const answer = await api(target, 'POST', 'disconnect', { connectionId });
        assert.deepEqual(answer.body, { connectionId, disconnected: true });
        const { code, reason, pushes } = await closing(client);
        assert.equal(code, 4500);
        assert.equal(reason, 'disconnected');
        assert.equal(pushes.length, 1, JSON.stringify(pushes));
        assertShape(pushes[0], frames.ws.close, 'close');
        assert.deepEqual([pushes[0].type, pushes[0].code, pushes[0].reconnect], ['close', 'disconnected', false]);
      } finally {
        client.terminate();
      }
    },
  },
  {
    section: 'websocket.md#how-the-server-closes-a-connection', name: 'a client close (1000) is answered with the close handshake',
    async run(target) {
      const client = await PlainConnection.open(target);
      const { code } = await client.close();
      assert.equal(code, 1000);
      assert.equal(client.ws.readyState, WebSocket.CLOSED);
    },
  },
];
