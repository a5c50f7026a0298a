// socket.io's server API as a Node user ports it, driven with the official socket.io-client against the
// namespace /api of tests/interop/server (ApiNamespace.cs): argument shapes (an array or null is one
// argument), JavaScript numbers (NaN and the infinities as null, -0 as 0), connect_error with a
// middleware exception's message, socket.use, onAny/prependAny/offAny, onAnyOutgoing and friends,
// emit with an ack callback, send/message, disconnecting (rooms still known), adapter room events,
// several rooms at once, the handshake of fetched sockets, Namespace.Off, the "forced close" reason
// of a reserved event name, and a polling kick that the client sees as one disconnect.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientPool, connectError, connected, emitAck, startInteropServer } from './lib/socketio.mjs';
import { withTimeout } from './lib/server.mjs';

const TEST = { timeout: 20_000 };
let server;
let pool;

before(async () => {
  server = await startInteropServer();
}, { timeout: 60_000 });

after(async () => {
  await server?.stop();
});

afterEach(() => pool?.closeAll());

/** Resolves with the arguments of the next `event` on `socket`. */
function nextArgs(socket, event, timeoutMs = 3_000) {
  return withTimeout(new Promise((resolve) => socket.once(event, (...args) => resolve(args))), timeoutMs, `waiting for '${event}'`);
}

for (const transports of [['websocket'], ['polling']]) {
  describe(`server API over ${transports[0]}`, () => {
    const api = async (options = {}) => {
      pool ??= new ClientPool(server.url, { transports });
      const socket = pool.socket('/api', { reconnection: false, ...options });
      await connected(socket);
      return socket;
    };

    afterEach(() => { pool?.closeAll(); pool = undefined; });

    test('an array, a list or null is one argument; a collection expression spreads', TEST, async () => {
      const socket = await api();
      const events = ['array', 'null', 'list', 'spread', 'none'].map((name) => nextArgs(socket, name));
      const ack = await emitAck(socket, 'shapes');
      const [array, nul, list, spread, none] = await Promise.all(events);
      assert.deepEqual(ack, [[1, 2]]);
      assert.deepEqual(array, [['a', 'b']]);
      assert.deepEqual(nul, [null]);
      assert.deepEqual(list, [[1, 2, 3]]);
      assert.deepEqual(spread, ['x', 2]);
      assert.deepEqual(none, []);
      assert.deepEqual(await emitAck(socket, 'null-ack'), [null]);
    });

    test('NaN and the infinities arrive as null and -0 as 0, as JSON.stringify writes them', TEST, async () => {
      const socket = await api();
      const ack = await emitAck(socket, 'numbers');
      assert.deepEqual(ack, [null, null, null, 0, { nan: null, list: [1.5, null, 0], f: null }]);
      assert.ok(Object.is(ack[3], 0), '-0 must be written as 0');
      assert.ok(Object.is(ack[4].list[2], 0));
    });

    test('an ordinary exception in middleware gives connect_error its message', TEST, async () => {
      pool ??= new ClientPool(server.url, { transports });
      const socket = pool.socket('/api', { reconnection: false, auth: { fail: 'no entry for you' } });
      const error = await connectError(socket);
      assert.equal(error.message, 'no entry for you');
    });

    test('socket.Use: a throwing middleware raises the error event and stops the event; one without next stops it', TEST, async () => {
      const socket = await api();
      const answered = [];
      const seen = nextArgs(socket, 'error-seen');
      socket.emit('null-ack', 'block', () => answered.push('block'));
      assert.deepEqual(await seen, ['blocked by use']);
      socket.emit('null-ack', 'drop', () => answered.push('drop'));
      // Events are handled in order and their acks come back in order: once this one is answered,
      // an answer to the stopped ones would have come first.
      assert.deepEqual(await emitAck(socket, 'null-ack', 'pass'), [null]);
      assert.deepEqual(answered, []);
    });

    test('onAny, prependAny, offAny and listenersAny', TEST, async () => {
      const socket = await api();
      assert.deepEqual(await emitAck(socket, 'report-any'), [['first:report-any', 'any:report-any'], 2]);
      assert.deepEqual(await emitAck(socket, 'off-any'), [1]);
      assert.deepEqual(await emitAck(socket, 'report-any'), [['first:report-any'], 1]);
      assert.deepEqual(await emitAck(socket, 'off-any-all'), [0]);
      assert.deepEqual(await emitAck(socket, 'report-any'), [[], 0]);
    });

    test('onAnyOutgoing, prependAnyOutgoing, offAnyOutgoing and listenersAnyOutgoing', TEST, async () => {
      const socket = await api();
      const hello = nextArgs(socket, 'message');
      socket.emit('send-me');
      await hello;
      const [before, afterOff, count] = await emitAck(socket, 'report-outgoing');
      assert.deepEqual(before, ['first-out:message', 'out:message']);
      assert.deepEqual(afterOff, ['first-out:after-off']);
      assert.equal(count, 1);
    });

    test('socket.Send reaches the message event, and the client send reaches the server', TEST, async () => {
      const socket = await api();
      const hello = nextArgs(socket, 'message');
      socket.emit('send-me');
      assert.deepEqual(await hello, ['hello', 1]);
      const echoed = nextArgs(socket, 'got-message');
      socket.send('hi', { n: 2 });
      assert.deepEqual(await echoed, ['hi', { n: 2 }]);
    });

    test('emit with an acknowledgement callback gets the answer, or the timeout as its error', TEST, async () => {
      const socket = await api();
      socket.on('question', (what, answer) => answer(`answer to ${what}`));
      assert.deepEqual(await emitAck(socket, 'ask-callback'), [null, 'answer to what?']);
      socket.on('ignore-me', () => {});
      assert.deepEqual(await emitAck(socket, 'ask-callback-timeout'), ['SocketAckTimeoutException', null]);
    });

    test('disconnecting still knows the rooms; adapter room events follow joins and leaves', TEST, async () => {
      const observer = await api();
      await emitAck(observer, 'join', ['observers']);
      const leaver = await api();
      const room = `room-${transports[0]}-${Date.now()}`;
      await emitAck(leaver, 'join', [room, 'second']);
      const left = nextArgs(observer, 'left');
      const id = leaver.id;
      leaver.disconnect();
      assert.deepEqual(await left, [id, [id, room, 'second'].sort(), 'client namespace disconnect']);
      assert.deepEqual(await emitAck(observer, 'room-events', room), [['create-room', `join-room ${id}`, `leave-room ${id}`, 'delete-room']]);
    });

    test('In and Except take several rooms, on the namespace and on a socket', TEST, async () => {
      const [a, b, c, sender] = await Promise.all([api(), api(), api(), api()]);
      const tag = `${transports[0]}-${Date.now()}`;
      await emitAck(a, 'join', [`r1-${tag}`]);
      await emitAck(b, 'join', [`r2-${tag}`, `r3-${tag}`]);
      await emitAck(c, 'join', [`r2-${tag}`]);
      await emitAck(sender, 'join', [`r1-${tag}`]);
      const got = [];
      for (const [name, s] of [['a', a], ['b', b], ['c', c], ['sender', sender]]) s.on('multi', (from) => got.push(`${name}:${from}`));

      const gotA = nextArgs(a, 'multi');
      const gotC = nextArgs(c, 'multi');
      const gotSender = nextArgs(sender, 'multi');
      await emitAck(sender, 'to-rooms', [`r1-${tag}`, `r2-${tag}`], [`r3-${tag}`]);
      await Promise.all([gotA, gotC, gotSender]);
      // A socket's own broadcast leaves the sender out.
      const gotA2 = nextArgs(a, 'multi');
      const gotC2 = nextArgs(c, 'multi');
      await emitAck(sender, 'socket-to-rooms', [`r1-${tag}`, `r2-${tag}`], [`r3-${tag}`]);
      await Promise.all([gotA2, gotC2]);
      // A marker after both broadcasts: whatever else was coming has arrived.
      await emitAck(b, 'null-ack');
      await emitAck(sender, 'null-ack');
      assert.deepEqual(got.sort(), ['a:from io', 'a:from socket', 'c:from io', 'c:from socket', 'sender:from io']);
    });

    test('a fetched socket carries the handshake: query, headers and auth', TEST, async () => {
      const socket = await api({ query: { flavour: 'mint' }, auth: { token: 't-1' } });
      assert.deepEqual(await emitAck(socket, 'fetch-me'), ['mint', true, 't-1']);
    });

    test('Namespace.Off removes a shared handler', TEST, async () => {
      const socket = await api();
      // Off is namespace-wide: this test runs once per transport, so only the first run sees the handler.
      if (transports[0] === 'websocket') assert.deepEqual(await emitAck(socket, 'shared'), ['shared']);
      assert.deepEqual(await emitAck(socket, 'off-shared'), ['off']);
      const answered = [];
      socket.emit('shared', () => answered.push('shared'));
      assert.deepEqual(await emitAck(socket, 'null-ack'), [null]);
      assert.deepEqual(answered, []);
    });

    test('a reserved event name closes the connection; observers see "forced close"', TEST, async () => {
      const observer = await api();
      await emitAck(observer, 'join', ['observers']);
      const bad = await api();
      const badId = bad.id;
      const left = nextArgs(observer, 'left');
      const closed = nextArgs(bad, 'disconnect');
      // The official client refuses to emit reserved names, so the packet is written below it.
      bad.io.engine.send('42/api,["disconnecting"]');
      const [id, , reason] = await left;
      assert.equal(id, badId);
      assert.equal(reason, 'forced close');
      assert.equal((await closed)[0], 'transport close');
    });

    test('new_namespace, and cleanupEmptyChildNamespaces removes a dynamic namespace with its last socket', TEST, async () => {
      const observer = await api();
      await emitAck(observer, 'join', ['observers']);
      const name = `/dyn-${transports[0] === 'websocket' ? 9001 : 9002}`;
      const created = nextArgs(observer, 'namespace-created');
      pool ??= new ClientPool(server.url, { transports });
      const child = pool.socket(name, { reconnection: false });
      await connected(child);
      assert.deepEqual(await created, [name]);
      const removed = nextArgs(observer, 'namespace-removed');
      child.disconnect();
      assert.deepEqual(await removed, [name]);
      // The next connection makes it again, with the parent's handlers.
      const again = pool.socket(name, { reconnection: false });
      const welcome = nextArgs(again, 'welcome');
      await connected(again);
      assert.deepEqual(await welcome, [name]);
    });

    test('socket.disconnect(true) is one "io server disconnect" per namespace, then the connection closes', TEST, async () => {
      pool ??= new ClientPool(server.url, { transports });
      const manager = pool.manager({ reconnection: false });
      const main = manager.socket('/');
      const socket = manager.socket('/api');
      await Promise.all([connected(main), connected(socket)]);
      const reasons = { main: [], api: [] };
      main.on('disconnect', (reason) => reasons.main.push(reason));
      socket.on('disconnect', (reason) => reasons.api.push(reason));
      const engineClosed = withTimeout(new Promise((resolve) => manager.engine.once('close', resolve)), 3_000, 'engine close');
      socket.emit('kick-me');
      await engineClosed;
      assert.deepEqual(reasons, { main: ['io server disconnect'], api: ['io server disconnect'] });
    });
  });
}
