// The official socket.io-client (tests/interop/node_modules) against tests/interop/server, with the
// same scenarios over three client configurations: polling only, WebSocket only, and the default
// path that starts on polling and upgrades to WebSocket.
//
// The server (tests/interop/server/Program.cs) offers on '/': echo, join, leave, to-room,
// to-room-all, broadcast-except, ask-client (asks back with 'question', 500 ms timeout),
// binary-echo, binary-inspect, fetch, disconnect-me, engine-id; 'ignore' is never acknowledged.
// '/admin' needs auth { token: 'secret' }; /^\/dyn-\d+$/ namespaces emit 'welcome' with their
// name. Scenarios that wait for something not to arrive use fence() (lib/socketio.mjs), not sleeps.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ClientPool, EventRecorder, PROFILE, connectError, connected, emitAck, errorLogEntries, fence,
  startInteropServer, waitFor,
} from './lib/socketio.mjs';
import { PollingSession, WireSocket } from './lib/wire.mjs';

const TEST = { timeout: 10_000 };
// With default options the client probes WebSocket right after the handshake; on loopback the
// upgrade takes a few milliseconds.
const UPGRADE_TIMEOUT = 1_500;

const CONFIGURATIONS = [
  { name: 'polling only', key: 'polling', options: { transports: ['polling'] }, transport: 'polling' },
  { name: 'WebSocket only', key: 'websocket', options: { transports: ['websocket'] }, transport: 'websocket' },
  { name: 'default upgrade path', key: 'upgrade', options: {}, transport: 'websocket' },
];

let server;
// A second server for the restart scenarios, started by the first of them; each restart leaves
// the new process running for the next configuration.
let restartable;

before(async () => {
  server = await startInteropServer();
}, { timeout: 40_000 });

after(async () => {
  await Promise.all([server?.stop(), restartable?.stop()]);
});

for (const config of CONFIGURATIONS) {
  describe(`socket.io-client, ${config.name}`, () => {
    let clients;
    const room = (name) => `${config.key}-${name}`;

    before(() => {
      clients = new ClientPool(server.url, { ...config.options, reconnectionDelay: 50, reconnectionDelayMax: 200 });
    });

    afterEach(() => clients.closeAll());

    /**
     * On the default path, resolves once the Manager's connection has upgraded to WebSocket, so the
     * scenarios run over the transport the client ends up on; on the other paths at once.
     */
    function settled(manager) {
      if (config.key !== 'upgrade') return Promise.resolve();
      const engine = manager.engine;
      if (engine.transport.name === 'websocket') return Promise.resolve();
      return waitFor(engine, 'upgrade', UPGRADE_TIMEOUT).catch((err) => {
        throw new Error(`still on ${engine.transport.name}, no upgrade to websocket (${err.message})`);
      });
    }

    async function connect(nsp = '/', options = {}) {
      const socket = clients.socket(nsp, options);
      const upgraded = settled(socket.io);
      await connected(socket);
      await upgraded;
      return socket;
    }

    test(`connects to / and ends up on ${config.transport}`, TEST, async () => {
      const socket = clients.socket('/');
      const engine = socket.io.engine;
      // Listen before the first await: the upgrade can finish right after the handshake.
      const upgraded = config.key === 'upgrade' ? waitFor(engine, 'upgrade', UPGRADE_TIMEOUT) : null;
      await connected(socket);
      assert.equal(typeof socket.id, 'string');
      assert.ok(socket.id.length > 0);
      if (upgraded) {
        const [transport] = await upgraded;
        assert.equal(transport.name, 'websocket');
      }
      assert.equal(engine.transport.name, config.transport);
      const [answer] = await emitAck(socket, 'echo', 'hello');
      assert.equal(answer, 'hello');
    });

    if (config.key === 'upgrade') {
      // What the client does on every upgrade, made deterministic with raw requests: after the
      // probe it waits for its current poll to return before it sends the upgrade packet, so the
      // server must answer a poll that arrives during the upgrade at once (with a noop).
      test('a poll that arrives after the probe is answered with a noop', TEST, async () => {
        const polling = await PollingSession.open(`${server.url}/socket.io/`);
        const probe = new WireSocket(`${server.url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket&sid=${polling.sid}`);
        try {
          await probe.opened;
          probe.sendText('2probe');
          assert.equal(await probe.nextText(), '3probe');
          const held = PROFILE.pingInterval / 2;
          const res = await polling.get(held).catch((err) => {
            throw new Error(`the poll was still held after ${held} ms (${err.name}); the upgrade cannot finish`);
          });
          assert.equal(res.status, 200);
          assert.equal(res.text, '6');
          probe.sendText('5');
          probe.sendText('40');
          assert.match(await probe.nextText(), /^40\{"sid":"[^"]+"\}$/);
        } finally {
          probe.close();
          // Ends the session if it is still on polling; an upgraded one refuses the POST.
          await polling.post('1').catch(() => {});
        }
      });
    }

    test('multiplexes /, /admin and dynamic namespaces on one Manager', TEST, async () => {
      const manager = clients.manager();
      const main = manager.socket('/');
      const admin = manager.socket('/admin', { auth: { token: 'secret' } });
      const dyn7 = manager.socket('/dyn-7');
      const dyn42 = manager.socket('/dyn-42');
      const adminWelcome = new EventRecorder(admin, 'admin-welcome');
      const welcome7 = new EventRecorder(dyn7, 'welcome');
      const welcome42 = new EventRecorder(dyn42, 'welcome');
      const upgraded = settled(manager);
      await Promise.all([main, admin, dyn7, dyn42].map((socket) => connected(socket)));
      await upgraded;

      assert.deepEqual(await welcome7.next(), ['/dyn-7']);
      assert.deepEqual(await welcome42.next(), ['/dyn-42']);
      assert.deepEqual(await adminWelcome.next(), ['/admin']);
      // Every namespace socket has its own id, and the server sees all of them on the one
      // Engine.IO session of the Manager.
      assert.equal(new Set([main.id, admin.id, dyn7.id, dyn42.id]).size, 4);
      const engineIds = await Promise.all([main, admin, dyn7, dyn42].map((socket) => emitAck(socket, 'engine-id')));
      assert.deepEqual(engineIds, Array(4).fill([manager.engine.id]));

      const answers = await Promise.all([main, admin, dyn7, dyn42].map((socket) => emitAck(socket, 'echo', socket.nsp)));
      assert.deepEqual(answers, [['/'], ['/admin'], ['/dyn-7'], ['/dyn-42']]);
    });

    test('an unknown namespace gets connect_error "Invalid namespace"', TEST, async () => {
      const manager = clients.manager();
      const main = manager.socket('/');
      const unknown = manager.socket('/dyn-x');
      const upgraded = settled(manager);
      const err = await connectError(unknown);
      assert.equal(err.message, 'Invalid namespace');
      await connected(main);
      await upgraded;
      assert.deepEqual(await emitAck(main, 'echo', 1), [1]);
    });

    test('rooms: join and leave, delivery only to members', TEST, async () => {
      const [a, b, c] = await Promise.all([connect(), connect(), connect()]);
      const got = new Map([a, b, c].map((socket) => [socket, new EventRecorder(socket, 'room-message')]));
      const r = room('members');
      assert.deepEqual(await emitAck(a, 'join', r), ['ok']);
      assert.deepEqual(await emitAck(b, 'join', r), ['ok']);

      // to-room excludes the sender: only b hears a.
      assert.deepEqual(await emitAck(a, 'to-room', r, { n: 1 }), ['ok']);
      assert.deepEqual(await got.get(b).next(), [{ n: 1 }]);
      await Promise.all([fence(a), fence(c)]);
      assert.equal(got.get(a).events.length, 0, 'the sender got its own to-room message');
      assert.equal(got.get(c).events.length, 0, 'a non-member got a room message');

      // to-room-all from a non-member reaches both members and not the sender.
      assert.deepEqual(await emitAck(c, 'to-room-all', r, { n: 2 }), ['ok']);
      assert.deepEqual(await got.get(a).next(), [{ n: 2 }]);
      assert.deepEqual(await got.get(b).next(), [{ n: 2 }]);
      await fence(c);
      assert.equal(got.get(c).events.length, 0, 'a non-member got a room message');

      // After b leaves, a's message to the whole room reaches a only.
      assert.deepEqual(await emitAck(b, 'leave', r), ['ok']);
      assert.deepEqual(await emitAck(a, 'to-room-all', r, { n: 3 }), ['ok']);
      assert.deepEqual(await got.get(a).next(), [{ n: 3 }]);
      await Promise.all([fence(b), fence(c)]);
      assert.equal(got.get(b).events.length, 2, 'a socket that left still got room messages');
      assert.equal(got.get(c).events.length, 0, 'a non-member got a room message');
    });

    test('fetch lists exactly the sockets in a room', TEST, async () => {
      const [a, b, c] = await Promise.all([connect(), connect(), connect()]);
      const r = room('fetch');
      await emitAck(a, 'join', r);
      await emitAck(b, 'join', r);
      assert.deepEqual(await emitAck(c, 'fetch', r), [[a.id, b.id].sort()]);
      await emitAck(a, 'leave', r);
      assert.deepEqual(await emitAck(c, 'fetch', r), [[b.id]]);
      // A socket's own id is a room holding just that socket.
      assert.deepEqual(await emitAck(c, 'fetch', c.id), [[c.id]]);
    });

    test('ack client → server returns every argument', TEST, async () => {
      const socket = await connect();
      const args = [1, 'two', { three: [3, null, true] }, [4.5], null];
      assert.deepEqual(await emitAck(socket, 'echo', ...args), args);
    });

    test('ack server → client carries the client\'s answer back', TEST, async () => {
      const socket = await connect();
      const questions = [];
      socket.on('question', (q, callback) => {
        questions.push(q);
        callback({ answer: q.n * 2 }, 'extra');
      });
      assert.deepEqual(await emitAck(socket, 'ask-client', { n: 21 }), [{ answer: 42 }, 'extra']);
      assert.deepEqual(questions, [{ n: 21 }]);
    });

    test('server-side ack timeout when the client does not answer', TEST, async () => {
      const socket = await connect();
      const questions = new EventRecorder(socket, 'question');
      const started = Date.now();
      assert.deepEqual(await emitAck(socket, 'ask-client', { n: 1 }), [{ error: 'timeout' }]);
      assert.ok(Date.now() - started >= PROFILE.askTimeout - 50, 'the server gave up before its timeout');
      const [question, callback] = await questions.next();
      assert.deepEqual(question, { n: 1 });
      assert.equal(typeof callback, 'function', 'the server asked for an ack');
    });

    test('client-side emitWithAck timeout rejects when the server never acks', TEST, async () => {
      const socket = await connect();
      await assert.rejects(socket.timeout(200).emitWithAck('ignore', 1), /timed out/);
      // The connection is still fine afterwards.
      assert.deepEqual(await emitAck(socket, 'echo', 'still here'), ['still here']);
    });

    test('binary round trip: Buffers in, Buffers out, nested in objects and arrays', TEST, async () => {
      const socket = await connect();
      const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);

      const [same, extra] = await emitAck(socket, 'binary-echo', bytes);
      assert.ok(Buffer.isBuffer(same), `expected a Buffer, got ${Object.prototype.toString.call(same)}`);
      assert.deepEqual(same, bytes);
      assert.ok(Buffer.isBuffer(extra.made));
      assert.deepEqual(extra.made, PROFILE.serverBytes);
      assert.equal(extra.nested[0], 'label');
      assert.ok(Buffer.isBuffer(extra.nested[1].inner));
      assert.deepEqual(extra.nested[1].inner, PROFILE.serverBytes);

      const nested = { a: Buffer.from('first'), list: [Buffer.from([9]), { b: Buffer.alloc(300, 7) }, 'text'] };
      const [back, second] = await emitAck(socket, 'echo', nested, Buffer.from([42]));
      assert.deepEqual(back, nested);
      assert.ok(Buffer.isBuffer(back.a) && Buffer.isBuffer(back.list[0]) && Buffer.isBuffer(back.list[1].b));
      assert.deepEqual(second, Buffer.from([42]));

      const [inspected] = await emitAck(socket, 'binary-inspect', { data: Buffer.from([1, 2, 3]), items: [Buffer.alloc(5), Buffer.from([8])] });
      assert.deepEqual(inspected, { dataLength: 3, dataSum: 6, itemLengths: [5, 1] });
    });

    test('binary round trip with an empty Buffer', TEST, async () => {
      const socket = await connect();
      const [inspected] = await emitAck(socket, 'binary-inspect', { data: Buffer.alloc(0), items: [Buffer.alloc(0), Buffer.from([1])] });
      assert.deepEqual(inspected, { dataLength: 0, dataSum: 0, itemLengths: [0, 1] });
      const [empty, after] = await emitAck(socket, 'echo', Buffer.alloc(0), 'after');
      assert.ok(Buffer.isBuffer(empty));
      assert.equal(empty.length, 0);
      assert.equal(after, 'after');
    });

    test('broadcast with except skips the excluded room only', TEST, async () => {
      const [a, b, c] = await Promise.all([connect(), connect(), connect()]);
      const got = new Map([a, b, c].map((socket) => [socket, new EventRecorder(socket, 'broadcast')]));
      const r = room('excluded');
      await emitAck(a, 'join', r);
      assert.deepEqual(await emitAck(c, 'broadcast-except', r, 'hi'), ['ok']);
      assert.deepEqual(await got.get(b).next(), ['hi']);
      // io.Except(...) is a namespace broadcast: the sender is included unless excluded.
      assert.deepEqual(await got.get(c).next(), ['hi']);
      await fence(a);
      assert.equal(got.get(a).events.length, 0, 'a socket in the excluded room got the broadcast');
    });

    test('CONNECT_ERROR from middleware, then success with the right token', TEST, async () => {
      const admin = clients.socket('/admin', { auth: { token: 'wrong' } });
      const err = await connectError(admin);
      assert.equal(err.message, 'unauthorized');
      assert.deepEqual(err.data, { reason: 'bad token' });
      assert.equal(admin.connected, false);

      const welcome = new EventRecorder(admin, 'admin-welcome');
      admin.auth = { token: 'secret' };
      // The refusal left the Manager without an active socket, so it closed its connection;
      // connect() opens a new one.
      admin.connect();
      const upgraded = settled(admin.io);
      await connected(admin);
      await upgraded;
      assert.deepEqual(await welcome.next(), ['/admin']);
      assert.deepEqual(await emitAck(admin, 'echo', 'in'), ['in']);
    });

    test('server-side disconnect: "io server disconnect", other namespaces stay', TEST, async () => {
      const manager = clients.manager();
      const main = manager.socket('/');
      const admin = manager.socket('/admin', { auth: { token: 'secret' } });
      const upgraded = settled(manager);
      await Promise.all([connected(main), connected(admin)]);
      await upgraded;
      const disconnected = waitFor(main, 'disconnect');
      main.emit('disconnect-me');
      const [reason] = await disconnected;
      assert.equal(reason, 'io server disconnect');
      assert.equal(main.connected, false);
      assert.equal(main.active, false, 'the client would reconnect after a server disconnect');
      assert.equal(admin.connected, true);
      assert.deepEqual(await emitAck(admin, 'echo', 'still'), ['still']);
    });

    test('reconnects by itself after a server restart on the same port', { timeout: 20_000 }, async () => {
      restartable ??= await startInteropServer();
      const restartClients = new ClientPool(restartable.url, { ...config.options, reconnectionDelay: 50, reconnectionDelayMax: 200 });
      try {
        const socket = await connected(restartClients.socket('/'));
        const firstId = socket.id;
        // Recorders rather than waitFor: failed reconnection attempts emit 'error' on the Manager.
        const disconnects = new EventRecorder(socket, 'disconnect');
        const reconnects = new EventRecorder(socket.io, 'reconnect');
        const { port } = restartable;
        await restartable.stop();
        const [reason] = await disconnects.next(8_000);
        assert.ok(socket.active, `the client gave up after '${reason}'`);

        restartable = await startInteropServer({ port });
        await reconnects.next(10_000);
        await connected(socket, 5_000);
        assert.notEqual(socket.id, firstId, 'a new server cannot know the old socket');
        assert.deepEqual(await emitAck(socket, 'echo', 'after restart'), ['after restart']);
      } finally {
        restartClients.closeAll();
      }
    });
  });
}

// Declared last, so it runs after every scenario above: an Error-level log entry is a failure.
test('the server stayed up and logged no errors', () => {
  assert.equal(server.process.exitCode, null, 'the server exited');
  assert.deepEqual(errorLogEntries(server.output()), []);
});
