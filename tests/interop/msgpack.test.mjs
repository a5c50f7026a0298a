// socket.io-client with socket.io-msgpack-parser (the parser many high-traffic apps use) against
// tests/interop/server started with --Switchboard:Parser=msgpack, over WebSocket and over polling:
// the handshake, values of every kind both ways, binary (Buffer) both ways and nested, acks both
// ways, a room broadcast, a second namespace, connect_error from middleware, a server disconnect and
// connection state recovery (the app runs with --Interop:Recovery=true). Raw clients then prove the
// frames are MessagePack on the wire and that garbage closes only the connection that sent it.
// The server's events are listed in the header of socketio-client.test.mjs.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  ClientPool, EventRecorder, INTEROP_DLL, INTEROP_PROJECT, PROFILE, connectError, connected, emitAck,
  errorLogEntries, waitForLog,
} from './lib/socketio.mjs';
import { startServer, waitFor } from './lib/server.mjs';
import { PollingSession, RECORD_SEPARATOR, openEngineSocket } from './lib/wire.mjs';

const require = createRequire(import.meta.url);
const parser = require('socket.io-msgpack-parser');
// The parser's own MessagePack codec (its dependency), to read and write raw frames as it does.
const notepack = require(require.resolve('notepack.io', { paths: [require.resolve('socket.io-msgpack-parser')] }));

const TEST = { timeout: 10_000 };

let server;

before(async () => {
  server = await startServer({
    project: INTEROP_PROJECT,
    dll: INTEROP_DLL,
    args: ['--Switchboard:Parser=msgpack', '--Interop:Recovery=true'],
    env: { 'Logging__LogLevel__Microsoft.AspNetCore': 'Warning' },
  });
}, { timeout: 40_000 });

after(async () => {
  await server?.stop();
  assert.deepEqual(errorLogEntries(server?.output() ?? ''), [], 'the server logged no error');
});

/** Values of every kind JSON and MessagePack share, nested. */
const VALUES = Object.freeze({
  ints: [0, 1, -1, 127, 128, -33, 255, 65_536, -2_147_483_649, 2 ** 53 - 1, -(2 ** 53 - 1)],
  // Not integral doubles past 2**64: notepack.io writes those as a wrapped uint64 (1e300 arrives as 0).
  floats: [0.5, -1.25, 3.141592653589793, 1e-7, 1.2345e-300, -9.87e-5],
  strings: ['', 'plain', 'é中😀', 'x'.repeat(300), 'line\nbreak "quoted" \\ /'],
  flags: [true, false],
  nothing: null,
  nested: { a: { b: { c: [1, { d: 'deep' }] } }, empty: {}, list: [] },
});

for (const transport of ['websocket', 'polling']) {
  describe(`socket.io-msgpack-parser over ${transport}`, () => {
    let clients;

    before(() => {
      clients = new ClientPool(server.url, { transports: [transport], parser, reconnection: false });
    });

    afterEach(() => clients.closeAll());

    async function connect(nsp = '/', options = {}) {
      const socket = clients.socket(nsp, options);
      await connected(socket);
      return socket;
    }

    test('connects with a socket id, on the transport asked for', TEST, async () => {
      const socket = await connect();
      assert.equal(typeof socket.id, 'string');
      assert.ok(socket.id.length > 0);
      assert.equal(socket.io.engine.transport.name, transport);
      assert.equal(socket.recovered, false);
    });

    test('values of every kind make the round trip unchanged', TEST, async () => {
      const socket = await connect();
      assert.deepEqual(await emitAck(socket, 'echo', VALUES, 42, 'two', null, [true, 1.5]), [VALUES, 42, 'two', null, [true, 1.5]]);
    });

    test('binary both ways: a Buffer, and server-made bytes nested in objects', TEST, async () => {
      const socket = await connect();
      const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
      const [back, made] = await emitAck(socket, 'binary-echo', bytes);
      assert.ok(Buffer.isBuffer(back), 'the echoed bytes arrive as a Buffer');
      assert.deepEqual([...back], [...bytes]);
      assert.deepEqual([...made.made], [...PROFILE.serverBytes]);
      assert.equal(made.nested[0], 'label');
      assert.deepEqual([...made.nested[1].inner], [...PROFILE.serverBytes]);
    });

    test('nested binary sent by the client is decoded by the server, and echoed back in place', TEST, async () => {
      const socket = await connect();
      const bundle = { data: Buffer.from([1, 2, 3, 4]), items: [Buffer.alloc(0), Buffer.from([9]), Buffer.alloc(300, 7)] };
      assert.deepEqual(await emitAck(socket, 'binary-inspect', bundle), [{ dataLength: 4, dataSum: 10, itemLengths: [0, 1, 300] }]);
      const [echoed] = await emitAck(socket, 'echo', { label: 'x', bundle });
      assert.equal(echoed.label, 'x');
      assert.deepEqual([...echoed.bundle.data], [1, 2, 3, 4]);
      assert.deepEqual(echoed.bundle.items.map((item) => [...item]), bundle.items.map((item) => [...item]));
    });

    test('acks both ways: the server asks the client and relays its answer', TEST, async () => {
      const socket = await connect();
      socket.on('question', (...args) => {
        const ack = args.pop();
        ack({ answered: args });
      });
      assert.deepEqual(await emitAck(socket, 'ask-client', 'why', { n: 1 }), [{ answered: ['why', { n: 1 }] }]);
    });

    test('a broadcast to a room reaches its members and not the others', TEST, async () => {
      const [sender, member, outsider] = await Promise.all([connect(), connect(), connect()]);
      const room = `${transport}-room`;
      assert.deepEqual(await emitAck(member, 'join', room), ['ok']);
      const received = new EventRecorder(member, 'room-message');
      const leaked = new EventRecorder(outsider, 'room-message');
      // The app forwards the payload as a JsonElement, which carries no attachment: no binary here
      // (SocketMsgPackParserTests covers binary in a broadcast).
      const payload = { text: 'hello room', nested: { list: [1, 'two', null] } };
      assert.deepEqual(await emitAck(sender, 'to-room', room, payload), ['ok']);
      const [message, offset] = await received.next();
      assert.deepEqual(message, payload);
      assert.equal(typeof offset, 'string', 'with recovery on, a room message carries its offset');
      // Anything sent to the outsider before its echo would have arrived before it.
      assert.deepEqual(await emitAck(outsider, 'echo', 'fence'), ['fence']);
      assert.deepEqual(leaked.events, []);
    });

    test('a second namespace on the same connection', TEST, async () => {
      const manager = clients.manager({ transports: [transport], parser, reconnection: false });
      const main = manager.socket('/');
      const admin = manager.socket('/admin', { auth: { token: 'secret' } });
      const welcome = waitFor(admin, 'admin-welcome');
      await Promise.all([connected(main), connected(admin)]);
      // The server runs with recovery on: as socket.io's, its direct emits carry the offset last.
      const [welcomed, offset] = await welcome;
      assert.equal(welcomed, '/admin');
      assert.match(offset, /^[\w-]+-\d+$/);
      assert.deepEqual(await emitAck(admin, 'echo', { from: 'admin' }), [{ from: 'admin' }]);
      const [mainEngine] = await emitAck(main, 'engine-id');
      const [adminEngine] = await emitAck(admin, 'engine-id');
      assert.equal(mainEngine, adminEngine, 'both namespaces share one Engine.IO connection');
    });

    test('middleware refusal arrives as connect_error with its message and data', TEST, async () => {
      const err = await connectError(clients.socket('/admin', { auth: { token: 'wrong' } }));
      assert.equal(err.message, 'unauthorized');
      assert.deepEqual(err.data, { reason: 'bad token' });
    });

    test('a server-side disconnect reaches the client as "io server disconnect"', TEST, async () => {
      const socket = await connect();
      const gone = waitFor(socket, 'disconnect');
      socket.emit('disconnect-me');
      const [reason] = await gone;
      assert.equal(reason, 'io server disconnect');
    });

    test('connection state recovery: the pid and offset survive, and missed events are replayed', { timeout: 15_000 }, async () => {
      const subscriber = clients.socket('/');
      const publisher = clients.socket('/');
      await Promise.all([connected(subscriber), connected(publisher)]);
      const room = `${transport}-recovery`;
      assert.deepEqual(await emitAck(subscriber, 'join', room), ['ok']);
      const received = new EventRecorder(subscriber, 'room-message');
      assert.deepEqual(await emitAck(publisher, 'to-room-all', room, 1), ['ok']);
      await received.next();
      const firstId = subscriber.id;

      const gone = waitFor(subscriber, 'disconnect');
      subscriber.io.engine.close();
      await gone;
      for (const n of [2, 3]) assert.deepEqual(await emitAck(publisher, 'to-room-all', room, n), ['ok']);

      subscriber.connect();
      await connected(subscriber);
      assert.equal(subscriber.recovered, true, 'the socket is recovered');
      assert.equal(subscriber.id, firstId);
      assert.deepEqual((await received.next())[0], 2);
      assert.deepEqual((await received.next())[0], 3);
      assert.deepEqual(received.events.map(([n]) => n), [1, 2, 3]);
    });
  });
}

describe('msgpack on the wire', () => {
  const endpoint = () => `${server.url}/socket.io/`;
  const wsUrl = () => `${endpoint().replace(/^http/, 'ws')}?EIO=4&transport=websocket`;
  const rawSockets = new Set();
  let healthy;

  before(async () => {
    healthy = new ClientPool(server.url, { transports: ['websocket'], parser, reconnection: false });
  });

  afterEach(() => {
    for (const socket of rawSockets) socket.close();
    rawSockets.clear();
  });

  after(() => healthy.closeAll());

  async function rawSocket() {
    const { socket, handshake } = await openEngineSocket(wsUrl());
    rawSockets.add(socket);
    return { socket, sid: handshake.sid };
  }

  /** A healthy msgpack client connected before the bad input, still answering after it. */
  async function bystander() {
    const socket = healthy.socket('/');
    const disconnects = new EventRecorder(socket, 'disconnect');
    await connected(socket);
    return async () => {
      assert.deepEqual(await emitAck(socket, 'echo', 'still here'), ['still here']);
      assert.deepEqual(disconnects.events, [], 'the healthy client was not disconnected');
    };
  }

  test('every Socket.IO packet is one binary MessagePack frame: CONNECT, its reply, an event and its ack', TEST, async () => {
    const { socket } = await rawSocket();
    socket.sendBinary(notepack.encode({ type: 0, nsp: '/' }));
    const reply = notepack.decode(await socket.nextBinary());
    assert.equal(reply.type, 0);
    assert.equal(reply.nsp, '/');
    assert.equal(typeof reply.data.sid, 'string');
    assert.equal(typeof reply.data.pid, 'string', 'with recovery on, the CONNECT reply carries a pid');

    socket.sendBinary(notepack.encode({ type: 2, nsp: '/', id: 5, data: ['echo', { n: 2 ** 40 }, Buffer.from([1])] }));
    const ack = notepack.decode(await socket.nextBinary());
    assert.deepEqual({ ...ack, data: undefined }, { type: 3, nsp: '/', id: 5, data: undefined });
    assert.deepEqual(ack.data[0], { n: 2 ** 40 });
    assert.deepEqual([...ack.data[1]], [1]);
  });

  test('a CONNECT nested past the depth limit is refused with connect_error, not a parse error', TEST, async () => {
    const { socket } = await rawSocket();
    let auth = 'leaf';
    for (let i = 0; i < 70; i++) auth = { a: auth };
    socket.sendBinary(notepack.encode({ type: 0, nsp: '/', data: auth }));
    const refusal = notepack.decode(await socket.nextBinary());
    assert.equal(refusal.type, 4);
    assert.match(refusal.data.message, /nested deeper than 64 levels/);
  });

  const GARBAGE = [
    ['bytes that are not MessagePack', Buffer.from([0xc1, 0x00, 0xff])],
    ['a truncated packet', notepack.encode({ type: 2, nsp: '/', data: ['echo', 'x'.repeat(50)] }).subarray(0, 20)],
    ['a packet type the parser does not have', notepack.encode({ type: 5, nsp: '/', data: ['echo'] })],
    ['an event whose data is not an array', notepack.encode({ type: 2, nsp: '/', data: { not: 'an array' } })],
    ['a reserved event name', notepack.encode({ type: 2, nsp: '/', data: ['disconnect'] })],
    ['a text frame', '42["echo"]'],
  ];

  for (const [label, frame] of GARBAGE) {
    test(`garbage over WebSocket closes only that connection: ${label}`, TEST, async () => {
      const undisturbed = await bystander();
      const { socket, sid } = await rawSocket();
      if (typeof frame === 'string') socket.sendText(frame); else socket.sendBinary(frame);
      await socket.waitClosed();
      await waitForLog(server, new RegExp(`Session ${sid} sent an invalid Socket.IO packet \\(msgpack parser: `));
      await undisturbed();
    });
  }

  test('garbage over polling (a b<base64> message) closes that session', TEST, async () => {
    const undisturbed = await bystander();
    const session = await PollingSession.open(endpoint());
    await session.post(`b${Buffer.from([0x93, 0xc1]).toString('base64')}`);
    await waitForLog(server, new RegExp(`Session ${session.sid} sent an invalid Socket.IO packet \\(msgpack parser: `));
    // As Node's conn.close(): the next poll gets the close packet, and the one after finds no session.
    assert.deepEqual(await session.poll(), ['1']);
    const poll = await session.get();
    assert.equal(poll.status, 400, 'the session is gone');
    await undisturbed();
  });

  test('over polling, packets travel as b<base64> MessagePack messages', TEST, async () => {
    const session = await PollingSession.open(endpoint());
    const connect = notepack.encode({ type: 0, nsp: '/' });
    assert.equal((await session.post(`b${connect.toString('base64')}`)).status, 200);
    const [message] = await session.poll();
    assert.ok(message.startsWith('b'), `a binary message, got ${JSON.stringify(message)}`);
    assert.ok(!message.includes(RECORD_SEPARATOR));
    const reply = notepack.decode(Buffer.from(message.slice(1), 'base64'));
    assert.equal(reply.type, 0);
    assert.equal(typeof reply.data.sid, 'string');
    await session.post('1');
  });
});
