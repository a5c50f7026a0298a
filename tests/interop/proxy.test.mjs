// The corporate-proxy case: nginx in front of the standalone server (src/Switchboard.Server) answers
// every WebSocket upgrade with 403. The official socket.io-client with default options starts on
// HTTP long-polling and then tries to upgrade; the upgrade must fail visibly and the chat must keep
// working over long-polling through the proxy. Needs nginx (test.sh installs it; NGINX_PATH).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { io } from 'socket.io-client';
import { startNginx } from './lib/nginx.mjs';
import { startServer, waitFor } from './lib/server.mjs';

const TIMEOUT = 10_000;

describe('socket.io-client through a proxy that refuses WebSocket upgrades', () => {
  let server;
  let proxy;
  const clients = [];

  before(async () => {
    server = await startServer({ project: 'src/Switchboard.Server' });
    proxy = await startNginx({ upstream: server.url, refuseWebSocket: true });
  });

  after(async () => {
    for (const socket of clients) socket.disconnect();
    await proxy?.stop();
    await server?.stop();
  });

  /** A client with socket.io-client's default transports, watched from before its first request. */
  function connect() {
    const socket = io(proxy.url, { forceNew: true, reconnection: false });
    clients.push(socket);
    const engine = socket.io.engine;
    return {
      socket,
      engine,
      connected: waitFor(socket, 'connect', TIMEOUT),
      upgradeFailed: waitFor(engine, 'upgradeError', TIMEOUT),
    };
  }

  const refusedUpgrade = (entry) =>
    entry.status === 403 && entry.upgrade.toLowerCase() === 'websocket' && entry.uri.includes('transport=websocket');

  function assertNoServerErrors() {
    assert.doesNotMatch(server.output(), /^(fail|crit):/m, `the server logged errors:\n${server.output()}`);
  }

  test('the upgrade attempt is refused by nginx with 403 and the client stays on polling', async () => {
    const alice = connect();
    await alice.connected;
    assert.equal(alice.engine.transport.name, 'polling', 'the client opens on polling');

    const [error] = await alice.upgradeFailed;
    assert.match(String(error?.message ?? error), /probe error|403/, 'the WebSocket probe failed');
    const entry = await proxy.waitForAccess(refusedUpgrade, TIMEOUT);
    assert.equal(entry.method, 'GET');

    assert.equal(alice.engine.transport.name, 'polling', 'the client is still on polling');
    assert.ok(alice.socket.connected, 'the socket is still connected');
    assertNoServerErrors();
  });

  test('after the refused upgrade, chat works over long-polling: acked message and broadcasts both ways', async () => {
    const alice = connect();
    const bob = connect();
    await Promise.all([alice.connected, bob.connected, alice.upgradeFailed, bob.upgradeFailed]);
    const refusals = proxy.access.filter(refusedUpgrade).length;
    assert.ok(refusals >= 2, `nginx refused both upgrade attempts (saw ${refusals} refusals)`);

    const aliceJoin = await alice.socket.timeout(TIMEOUT).emitWithAck('join', 'proxy-lobby', 'alice');
    assert.deepEqual(aliceJoin, { room: 'proxy-lobby', nickname: 'alice' });
    const bobJoined = waitFor(alice.socket, 'user joined', TIMEOUT);
    const bobJoin = await bob.socket.timeout(TIMEOUT).emitWithAck('join', 'proxy-lobby', 'bob');
    assert.deepEqual(bobJoin, { room: 'proxy-lobby', nickname: 'bob' });
    assert.deepEqual((await bobJoined)[0], { nickname: 'bob', room: 'proxy-lobby' });

    // alice → bob: alice's emit is acknowledged with { id, ts }, bob gets the broadcast.
    const bobReceives = waitFor(bob.socket, 'chat message', TIMEOUT);
    const ack = await alice.socket.timeout(TIMEOUT).emitWithAck('chat message', 'hello from behind the proxy');
    assert.equal(typeof ack.id, 'string');
    assert.ok(Number.isInteger(ack.ts) && ack.ts > 0, `ts is a Unix time in ms, got ${ack.ts}`);
    assert.deepEqual((await bobReceives)[0], {
      id: ack.id, ts: ack.ts, nickname: 'alice', text: 'hello from behind the proxy',
    });

    // bob → alice: the broadcast from the second client reaches the first over its long poll.
    const aliceReceives = waitFor(alice.socket, 'chat message', TIMEOUT);
    const reply = await bob.socket.timeout(TIMEOUT).emitWithAck('chat message', 'hello back');
    const [received] = await aliceReceives;
    assert.equal(received.id, reply.id);
    assert.equal(received.nickname, 'bob');
    assert.equal(received.text, 'hello back');

    assert.equal(alice.engine.transport.name, 'polling', 'alice stayed on polling');
    assert.equal(bob.engine.transport.name, 'polling', 'bob stayed on polling');
    const polls = proxy.access.filter((e) => e.status === 200 && e.uri.includes('transport=polling'));
    assert.ok(polls.some((e) => e.method === 'GET') && polls.some((e) => e.method === 'POST'),
      'the chat went through nginx as polling GETs and POSTs');
    assertNoServerErrors();
  });
});
