// A mixed cluster on one real redis-server (docs/redis-adapter-compat.md): a Node socket.io 4.8 server
// using @socket.io/redis-adapter, the standalone Switchboard server with
// --Switchboard:Redis:Compat:SocketIO=true, and a second Switchboard node that turns the mode on through
// the library API (tests/interop/redis-compat-server). Official socket.io-client clients on each; rooms,
// binary arguments, except, @socket.io/redis-emitter, and the Node servers' requests (fetchSockets,
// socketsJoin, allRooms, emitWithAck) across the two implementations.
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { createAdapter } from '@socket.io/redis-adapter';
import { Emitter } from '@socket.io/redis-emitter';
import { createClient } from 'redis';
import { Server } from 'socket.io';
import { io as connect } from 'socket.io-client';
import { errorLogEntries, waitForLog } from './lib/socketio.mjs';
import { startRedis } from './lib/redis.mjs';
import { projectDll, startServer, waitFor, withTimeout } from './lib/server.mjs';

const TIMEOUT = 5_000;
const ROOM = 'chat.lobby';
const COMPAT_DLL = path.join(path.dirname(projectDll('tests/interop/redis-compat-server')), 'Switchboard.RedisCompatInteropServer.dll');

/** Every event a client receives, in order, with a way to await one that matches. */
function record(socket) {
  const events = [];
  const waiters = new Set();
  socket.onAny((event, ...args) => {
    events.push({ event, args });
    for (const waiter of waiters) {
      if (waiter.match(event, args)) { waiters.delete(waiter); waiter.resolve({ event, args }); }
    }
  });
  return {
    events,
    /** Resolves with the first event named `event` (already received or to come) that `match` accepts. */
    next(event, match = () => true, timeoutMs = TIMEOUT) {
      const seen = events.find((e) => e.event === event && match(e.args));
      if (seen) return Promise.resolve(seen);
      const promise = new Promise((resolve) => waiters.add({ match: (n, a) => n === event && match(a), resolve }));
      return withTimeout(promise, timeoutMs, `event '${event}' on ${socket.id}`);
    },
    named(event) { return events.filter((e) => e.event === event); },
  };
}

const ack = (socket, event, ...args) => socket.timeout(TIMEOUT).emitWithAck(event, ...args);

describe('mixed cluster: Node socket.io + @socket.io/redis-adapter and Switchboard nodes on one Redis', () => {
  let redis;
  let standalone;
  let library;
  let nodeIo;
  let nodeHttp;
  let nodeUrl;
  const redisClients = [];
  const clients = new Set();

  before(async () => {
    redis = await startRedis();
    [standalone, library] = await Promise.all([
      startServer({
        project: 'src/Switchboard.Server',
        args: [`--Switchboard:Redis:Configuration=${redis.endpoint}`, '--Switchboard:Redis:Compat:SocketIO=true',
          '--Switchboard:Demos:TickerInterval=00:10:00'],
        env: { 'Logging__LogLevel__Microsoft.AspNetCore': 'Warning' },
      }),
      startServer({
        project: 'tests/interop/redis-compat-server',
        dll: COMPAT_DLL,
        args: [`--Redis=${redis.endpoint}`],
        env: { 'Logging__LogLevel__Microsoft.AspNetCore': 'Warning' },
      }),
    ]);
    // Every server must have joined before the first test: each Switchboard node logs it once its bus
    // and bridge are subscribed; the Node server's adapter is checked below.
    await Promise.all([standalone, library].map((server) => waitForLog(server, /is ready/, 20_000)));

    const pub = createClient({ url: redis.url });
    const sub = pub.duplicate();
    redisClients.push(pub, sub);
    await Promise.all([pub.connect(), sub.connect()]);
    nodeHttp = http.createServer();
    nodeIo = new Server(nodeHttp, { adapter: createAdapter(pub, sub) });
    // The adapter (P)SUBSCRIBEs on `sub` as it is created and exposes no promise for it. A subscription of
    // our own on the same connection is answered after those (Redis replies to a connection's commands
    // in order), so once it is acknowledged the adapter is listening too.
    await withTimeout(sub.subscribe('redis-adapter-test:fence', () => {}), TIMEOUT, 'the Node adapter\'s subscriptions');
    await sub.unsubscribe('redis-adapter-test:fence');
    nodeIo.on('connection', (socket) => {
      socket.on('join', (room, cb) => { socket.join(room); cb(); });
    });
    await new Promise((resolve) => nodeHttp.listen(0, '127.0.0.1', resolve));
    nodeUrl = `http://127.0.0.1:${nodeHttp.address().port}`;
  });

  after(async () => {
    nodeIo?.close();
    for (const client of redisClients) await client.quit().catch(() => {});
    await standalone?.stop();
    await library?.stop();
    await redis?.dispose();
  });

  afterEach(() => {
    for (const socket of clients) socket.disconnect();
    clients.clear();
    for (const server of [standalone, library]) {
      assert.deepEqual(errorLogEntries(server.output()), [], `errors in the log of ${path.basename(server.process.spawnargs[1])}`);
    }
  });

  async function client(url) {
    const socket = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false });
    clients.add(socket);
    const recorder = record(socket);
    await waitFor(socket, 'connect', TIMEOUT);
    return { socket, recorder };
  }

  /** One client per server, each in `room`: on the standalone server through a channel subscription, elsewhere with "join". */
  async function clientsIn(room) {
    const [a, b, n] = await Promise.all([client(standalone.url), client(library.url), client(nodeUrl)]);
    const subscribed = await ack(a.socket, 'subscribe', { channel: room });
    assert.equal(subscribed.ok, true, JSON.stringify(subscribed));
    await ack(b.socket, 'join', room);
    await ack(n.socket, 'join', room);
    return { a, b, n };
  }

  test('a room broadcast from the Node server reaches the clients of both Switchboard nodes once, binary arguments included', async () => {
    const { a, b, n } = await clientsIn(ROOM);
    const outsider = await client(library.url);
    nodeIo.to(ROOM).emit('news', { text: 'from node' }, Buffer.from([1, 2, 3]));
    nodeIo.to(ROOM).emit('news', 'second');
    nodeIo.emit('everyone', 'last');
    for (const { recorder } of [a, b, n]) {
      await recorder.next('everyone');
      const news = recorder.named('news');
      assert.equal(news.length, 2, JSON.stringify(news));
      assert.deepEqual(news[0].args[0], { text: 'from node' });
      assert.ok(Buffer.isBuffer(news[0].args[1]) || news[0].args[1] instanceof ArrayBuffer, 'binary argument');
      assert.deepEqual([...new Uint8Array(news[0].args[1])], [1, 2, 3]);
      assert.equal(news[1].args[0], 'second');
    }
    await outsider.recorder.next('everyone');
    assert.deepEqual(outsider.recorder.named('news'), []);
  });

  test('broadcasts from Switchboard reach the Node server\'s clients once: a publication from the standalone server, a binary emit through the library node', async () => {
    const { a, b, n } = await clientsIn(ROOM);
    const published = await ack(a.socket, 'publish', { channel: ROOM, event: 'said', data: { text: 'from switchboard' } });
    assert.equal(published.ok, true, JSON.stringify(published));
    const said = await n.recorder.next('said');
    assert.deepEqual(said.args, [{ text: 'from switchboard' }]);

    await ack(b.socket, 'target', { rooms: [ROOM], event: 'relayed' });
    await ack(b.socket, 'relay', 'bytes', Buffer.from([9, 8, 7]), { nested: Buffer.from([6]) });
    const relayed = await n.recorder.next('relayed');
    assert.equal(relayed.args[0], 'bytes');
    assert.deepEqual([...new Uint8Array(relayed.args[1])], [9, 8, 7]);
    assert.deepEqual([...new Uint8Array(relayed.args[2].nested)], [6]);
    // Between Switchboard nodes a publication to a room travels as JSON (the core's cluster format), which
    // does not carry binary attachments yet; a broadcast to everyone travels as the packet's bytes.
    await ack(b.socket, 'target', { rooms: [], event: 'binary to all' });
    await ack(b.socket, 'relay', Buffer.from([5, 5]));
    for (const { recorder } of [a, b, n]) {
      await recorder.next('relayed');
      const toAll = await recorder.next('binary to all');
      assert.deepEqual([...new Uint8Array(toAll.args[0])], [5, 5]);
    }
    // Everything from Switchboard to the room arrived exactly once on each side.
    await ack(b.socket, 'target', { rooms: [], event: 'end' });
    await ack(b.socket, 'relay');
    for (const { recorder } of [a, b, n]) {
      await recorder.next('end');
      assert.equal(recorder.named('said').length, 1);
      assert.equal(recorder.named('relayed').length, 1);
    }
  });

  test('except rooms hold on every side, for broadcasts from Node and from Switchboard', async () => {
    const { a, b, n } = await clientsIn(ROOM);
    const excludedB = await client(library.url);
    await ack(excludedB.socket, 'join', ROOM);
    await ack(excludedB.socket, 'join', 'quiet');
    const excludedN = await client(nodeUrl);
    await ack(excludedN.socket, 'join', ROOM);
    await ack(excludedN.socket, 'join', 'quiet');

    nodeIo.to(ROOM).except('quiet').emit('partial', 'from node');
    await ack(b.socket, 'target', { rooms: [ROOM], except: ['quiet'], event: 'partial' });
    await ack(b.socket, 'relay', 'from switchboard');
    await ack(b.socket, 'target', { rooms: [], event: 'end' });
    await ack(b.socket, 'relay');
    for (const { recorder } of [a, b, n]) {
      await recorder.next('end');
      assert.deepEqual(recorder.named('partial').map((e) => e.args[0]).sort(), ['from node', 'from switchboard']);
    }
    for (const { recorder } of [excludedB, excludedN]) {
      await recorder.next('end');
      assert.deepEqual(recorder.named('partial'), []);
    }
  });

  test('@socket.io/redis-emitter reaches Switchboard rooms: to a room with binary, except, to everyone, disconnectSockets', async () => {
    const { a, b, n } = await clientsIn(ROOM);
    const quiet = await client(library.url);
    await ack(quiet.socket, 'join', ROOM);
    await ack(quiet.socket, 'join', 'quiet');
    const emitterClient = createClient({ url: redis.url });
    redisClients.push(emitterClient);
    await emitterClient.connect();
    const emitter = new Emitter(emitterClient);

    emitter.to(ROOM).emit('alert', 1, Buffer.from([4, 2]));
    emitter.to(ROOM).except('quiet').emit('partial', 2);
    emitter.emit('everyone', 3);
    for (const { recorder } of [a, b, n]) {
      const alert = await recorder.next('alert');
      assert.equal(alert.args[0], 1);
      assert.deepEqual([...new Uint8Array(alert.args[1])], [4, 2]);
      await recorder.next('everyone');
      assert.deepEqual(recorder.named('partial').map((e) => e.args[0]), [2]);
    }
    await quiet.recorder.next('everyone');
    assert.equal(quiet.recorder.named('alert').length, 1);
    assert.deepEqual(quiet.recorder.named('partial'), []);

    const quietOnNode = await client(nodeUrl);
    await ack(quietOnNode.socket, 'join', 'quiet');
    const disconnected = [waitFor(quiet.socket, 'disconnect', TIMEOUT), waitFor(quietOnNode.socket, 'disconnect', TIMEOUT)];
    emitter.in('quiet').disconnectSockets(true);
    assert.deepEqual((await Promise.all(disconnected)).map(([reason]) => reason), ['io server disconnect', 'io server disconnect']);
    assert.ok(b.socket.connected && n.socket.connected);
  });

  test('requests from the Node server are answered by the Switchboard nodes: fetchSockets, socketsJoin, allRooms, emitWithAck, serverSideEmitWithAck', async () => {
    const { a, b, n } = await clientsIn('asked');
    for (const [name, { socket }] of Object.entries({ a, b, n })) {
      socket.on('question', (text, cb) => cb(`${name}: ${text}`));
    }

    const sockets = await nodeIo.in('asked').fetchSockets();
    assert.deepEqual(sockets.map((s) => s.id).sort(), [a.socket.id, b.socket.id, n.socket.id].sort());
    const remote = sockets.find((s) => s.id === b.socket.id);
    assert.ok(remote.rooms.has('asked'));
    assert.equal(typeof remote.handshake.issued, 'number');

    // The adapter joins its own sockets too when its request comes back from Redis, so only the
    // Switchboard sockets are sure to have joined by the time the fetch request is answered.
    nodeIo.in('asked').socketsJoin('joined-by-node');
    const joined = (await nodeIo.in('joined-by-node').fetchSockets()).map((s) => s.id);
    assert.ok(joined.includes(a.socket.id) && joined.includes(b.socket.id), JSON.stringify(joined));
    assert.ok((await ack(b.socket, 'rooms')).includes('joined-by-node'));

    const rooms = await nodeIo.of('/').adapter.allRooms();
    assert.ok(rooms.has('asked') && rooms.has('joined-by-node') && rooms.has(a.socket.id) && rooms.has(b.socket.id));

    const answers = await nodeIo.timeout(TIMEOUT).to('asked').emitWithAck('question', 'ready?');
    assert.deepEqual(answers.sort(), ['a: ready?', 'b: ready?', 'n: ready?']);

    // The library node has a handler for "ping"; the standalone server has none and answers null.
    const pongs = await nodeIo.serverSideEmitWithAck('ping', 'node');
    assert.deepEqual(pongs.map(String).sort(), ['null', 'pong node']);
  });
});
