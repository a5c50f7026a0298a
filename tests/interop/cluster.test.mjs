// A cluster of real processes (docs/cluster.md): redis-server, three nodes of the standalone server
// (src/Switchboard.Server) joined over Redis, and nginx as a round-robin balancer with no sticky
// sessions (deploy/nginx-cluster.conf). Official clients of every protocol spread over the nodes:
// socket.io-client (WebSocket transport), EventSource (the eventsource package) and plain WebSocket.
// Covers fan-out across nodes and protocols, no traffic to nodes without members (counted with Redis
// MONITOR), kill -9 of a node while messages flow (its clients recover on other nodes through the
// balancer), and a Redis restart mid-traffic. Needs redis-server and nginx (test.sh installs them).
// Polling-only Socket.IO clients go through the same balancer: their requests land on every node and
// are forwarded to the node that holds the session.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { Inbox, api, locate, publish, startCluster } from './lib/cluster.mjs';
import { monitor } from './lib/redis.mjs';
import { waitFor, withTimeout } from './lib/server.mjs';
import { errorLogEntries, waitForLog } from './lib/socketio.mjs';

const TIMEOUT = 15_000;
const EVENT = 'tick';
const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('a cluster of three nodes over Redis behind a round-robin nginx', { timeout: 150_000 }, () => {
  let cluster;
  const closers = [];

  before(async () => {
    cluster = await startCluster({ nodes: 3 });
  });

  after(async () => {
    for (const close of closers.splice(0)) {
      try { close(); } catch { /* already closed */ }
    }
    await cluster?.stop();
  });

  const node = (id) => cluster.nodes.find((n) => n.id === id);

  /**
   * A socket.io-client on the WebSocket transport, subscribed to `channel` with the `subscribe` channel
   * event; `inbox` collects the `n` of every `tick` it receives. Reconnects quickly when `reconnection`.
   */
  async function socketClient(url, channel, { reconnection = false, transports = ['websocket'] } = {}) {
    const socket = io(url, {
      transports, forceNew: true, reconnection,
      reconnectionDelay: 100, reconnectionDelayMax: 200, randomizationFactor: 0,
    });
    closers.push(() => socket.disconnect());
    const inbox = new Inbox(`socket.io client on ${url}`);
    socket.on(EVENT, (data) => inbox.push(data.n));
    await waitFor(socket, 'connect', TIMEOUT);
    const ack = await socket.timeout(TIMEOUT).emitWithAck('subscribe', { channel });
    assert.equal(ack.ok, true, `subscribe acknowledged: ${JSON.stringify(ack)}`);
    return { socket, inbox };
  }

  /** An EventSource on `channels`; resolves after its `subscribed` event. */
  async function sseClient(url, channels) {
    const query = channels.map((c) => `channel=${encodeURIComponent(c)}`).join('&');
    const es = new EventSource(`${url}/sse?${query}`);
    closers.push(() => es.close());
    const inbox = new Inbox(`EventSource on ${url}`);
    const subscriptions = [];
    es.addEventListener(EVENT, (e) => inbox.push(JSON.parse(e.data).data.n));
    es.addEventListener('subscribed', (e) => subscriptions.push(JSON.parse(e.data)));
    await waitFor(es, 'subscribed', TIMEOUT);
    return { es, inbox, subscriptions };
  }

  /** A plain WebSocket client (docs/protocols/websocket.md) subscribed to `channel`. */
  async function plainClient(url, channel) {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { handshakeTimeout: TIMEOUT });
    closers.push(() => ws.close());
    const inbox = new Inbox(`plain WebSocket on ${url}`);
    const replies = new Map();
    let nextId = 0;
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString());
      if (frame.type === 'pub' && frame.event === EVENT) inbox.push(frame.data.n);
      else if (frame.type === undefined) replies.get(frame.id)?.(frame);
    });
    const request = (body) => {
      const id = ++nextId;
      const reply = new Promise((resolve) => replies.set(id, resolve));
      ws.send(JSON.stringify({ id, ...body }));
      return withTimeout(reply, TIMEOUT, `reply to ${body.op}`);
    };
    await waitFor(ws, 'open', TIMEOUT);
    const subscribed = await request({ op: 'subscribe', channel });
    assert.equal(subscribed.ok, true, JSON.stringify(subscribed));
    return { ws, inbox, request };
  }

  async function socketPublish(socket, channel, n) {
    return socket.timeout(TIMEOUT).emitWithAck('publish', { channel, event: EVENT, data: { n } });
  }

  function assertNoServerErrors() {
    for (const n of cluster.nodes) {
      assert.deepEqual(errorLogEntries(n.output()), [], `${n.id} logged errors:\n${n.output()}`);
    }
  }

  test('one publication reaches socket.io clients on all three nodes, and SSE and plain WebSocket clients on other nodes, once each, in order', async () => {
    const channel = 'chat.fanout';
    // Through the balancer: round-robin puts consecutive connections on consecutive nodes.
    const sockets = [];
    for (let i = 0; i < 3; i++) sockets.push(await socketClient(cluster.url, channel));
    const homes = await Promise.all(sockets.map(async ({ socket }) => (await locate(cluster, socket.id)).map((n) => n.id)));
    assert.deepEqual(homes.flat().sort(), ['n1', 'n2', 'n3'], 'one socket.io client on each node');
    const sse = await sseClient(node('n2').url, [channel]);
    const plain = await plainClient(node('n3').url, channel);
    const everyone = [...sockets.map((s) => s.inbox), sse.inbox, plain.inbox];

    // Three publishers on three nodes and protocols, one after the other.
    const count = 6;
    for (const n of range(1, count)) {
      if (n % 3 === 1) {
        await publish(node('n1').url, channel, EVENT, { n });
      } else if (n % 3 === 2) {
        const ack = await socketPublish(sockets[0].socket, channel, n);
        assert.equal(ack.ok, true, JSON.stringify(ack));
      } else {
        const reply = await plain.request({ op: 'publish', channel, event: EVENT, data: { n } });
        assert.equal(reply.ok, true, JSON.stringify(reply));
      }
    }
    // One more as a fence: delivery is in order, so a duplicate of an earlier one would come before it.
    await publish(node('n2').url, channel, EVENT, { n: count + 1 });
    for (const inbox of everyone) {
      assert.deepEqual(await inbox.until(count + 1, TIMEOUT), range(1, count + 1), inbox.label);
    }
    assertNoServerErrors();
  });

  test('a polling-only socket.io client through the round-robin balancer: every request forwarded to its session\'s node', async () => {
    const channel = 'chat.polling';
    const { socket, inbox } = await socketClient(cluster.url, channel, { transports: ['polling'] });
    assert.equal(socket.io.engine.transport.name, 'polling');
    const count = 5;
    for (const n of range(1, count)) {
      // Publications from every node, and polls (each a new request to the balancer) to carry them.
      await publish(node(`n${1 + (n % 3)}`).url, channel, EVENT, { n });
    }
    const ack = await socketPublish(socket, channel, count + 1);
    assert.equal(ack.ok, true, JSON.stringify(ack));
    assert.deepEqual(await inbox.until(count + 1, TIMEOUT), range(1, count + 1), inbox.label);
    assert.equal(socket.connected, true);
    assertNoServerErrors();
  });

  test('a node without members gets no traffic: one PUBLISH per member node per publication, none to the third', async () => {
    const channel = 'chat.interest';
    const onFirst = await socketClient(node('n1').url, channel);
    const onSecond = await sseClient(node('n2').url, [channel]);
    assert.equal(await cluster.redis.cli('PUBSUB', 'NUMSUB', 'sb:inbox:n3'), 'sb:inbox:n3\n1', 'node 3 listens on its inbox');
    const redis = await monitor(cluster.redis.port);
    closers.push(() => redis.close());

    // Published on node 3, which has no member of the channel.
    const seqs = [];
    for (const n of range(1, 3)) seqs.push((await publish(node('n3').url, channel, EVENT, { n })).seq);
    for (const inbox of [onFirst.inbox, onSecond.inbox]) {
      assert.deepEqual(await inbox.until(3, TIMEOUT), [1, 2, 3], inbox.label);
    }
    await redis.fence();
    redis.close();

    // Only publications (header "t":"p") are counted: the cluster's other messages may be in flight at
    // any moment (the polling client of an earlier test is still connected, and a node that forwards
    // its requests asks the cluster where its session is: a request to every node, and the replies).
    // None of those carries this channel.
    const publications = redis.publishes().filter((p) => p.message.includes('\\"t\\":\\"p\\"'));
    const sentTo = (id) => publications.filter((p) => p.channel === `sb:inbox:${id}`)
      .map((p) => Number(/\\"seq\\":(\d+)/.exec(p.message)?.[1]));
    assert.deepEqual(sentTo('n1'), seqs, 'node 1: one PUBLISH per publication');
    assert.deepEqual(sentTo('n2'), seqs, 'node 2: one PUBLISH per publication');
    assert.deepEqual(sentTo('n3'), [], 'node 3: no publication at all');
    assert.equal(publications.length, 2 * seqs.length, 'no other publication');
    assert.deepEqual(redis.publishes().filter((p) => p.channel === 'sb:inbox:n3' && p.message.includes(channel)), [],
      'node 3: nothing of the channel');
  });

  test('mixed: chat rooms of socket.io clients on nodes 1 and 2, and an HTTP API publish on node 3 into the room', async () => {
    const room = 'cluster-lobby';
    const connect = async (url) => {
      const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
      closers.push(() => socket.disconnect());
      await waitFor(socket, 'connect', TIMEOUT);
      return socket;
    };
    const alice = await connect(node('n1').url);
    const bob = await connect(node('n2').url);
    assert.deepEqual(await alice.timeout(TIMEOUT).emitWithAck('join', room, 'alice'), { room, nickname: 'alice' });
    // Bob's arrival reaches alice across nodes: both nodes now receive the room.
    const bobArrived = waitFor(alice, 'user joined', TIMEOUT);
    assert.deepEqual(await bob.timeout(TIMEOUT).emitWithAck('join', room, 'bob'), { room, nickname: 'bob' });
    assert.deepEqual((await bobArrived)[0], { nickname: 'bob', room });

    const bobHears = waitFor(bob, 'chat message', TIMEOUT);
    const said = await alice.timeout(TIMEOUT).emitWithAck('chat message', 'hello from node 1');
    assert.deepEqual((await bobHears)[0], { id: said.id, ts: said.ts, nickname: 'alice', text: 'hello from node 1' });

    const announcement = { nickname: 'backend', text: 'published on node 3' };
    const heard = [waitFor(alice, 'chat message', TIMEOUT), waitFor(bob, 'chat message', TIMEOUT)];
    // A chat room is the channel chat.<room> (the chat asks the grant for it).
    await publish(node('n3').url, `chat.${room}`, 'chat message', announcement);
    for (const [data] of await Promise.all(heard)) assert.deepEqual(data, announcement);
    assertNoServerErrors();
  });

  test('kill -9 of a node while messages flow: its socket.io and SSE clients recover through the balancer on other nodes, every message once, in order', async () => {
    const channel = 'chat.failover';
    // Through the balancer, so reconnections go through it too.
    const sockets = [];
    for (let i = 0; i < 6; i++) {
      const client = await socketClient(cluster.url, channel, { reconnection: true });
      client.home = (await locate(cluster, client.socket.id))[0].id;
      client.inbox.label = `socket.io client ${i} (first on ${client.home})`;
      sockets.push(client);
    }
    const streams = [];
    for (let i = 0; i < 3; i++) {
      const where = `where.failover.${i}`;
      const client = await sseClient(cluster.url, [channel, where]);
      client.home = (await locate(cluster, where))[0].id;
      client.inbox.label = `EventSource ${i} (first on ${client.home})`;
      streams.push(client);
    }
    // Clients alone in their channel: where they recover, nobody else is a member of it.
    const loners = [];
    for (let i = 0; i < 3; i++) {
      const alone = `chat.failover.alone.${i}`;
      const client = await socketClient(cluster.url, alone, { reconnection: true });
      client.channel = alone;
      client.home = (await locate(cluster, client.socket.id))[0].id;
      client.inbox.label = `socket.io client alone in ${alone} (first on ${client.home})`;
      loners.push(client);
    }
    const victimId = ['n2', 'n3', 'n1'].find((id) => [sockets, streams, loners].every((kind) => kind.some((c) => c.home === id)));
    assert.ok(victimId, `a node with clients of each kind: ${JSON.stringify([...sockets, ...streams, ...loners].map((c) => c.home))}`);
    const loner = loners.find((c) => c.home === victimId);
    const victim = node(victimId);
    const survivor = cluster.nodes.find((n) => n !== victim);
    const doomedSockets = [...sockets.filter((s) => s.home === victimId), loner];
    const doomedStreams = streams.filter((s) => s.home === victimId);
    let published = 0;
    const publishNext = async () => {
      published += 1;
      await publish(survivor.url, channel, EVENT, { n: published });
      await publish(survivor.url, loner.channel, EVENT, { n: published });
    };

    // The next 'connect' of a socket whose node dies is its reconnection, on another node.
    const reconnections = doomedSockets.map(({ socket }) => waitFor(socket, 'connect', 30_000).then(() => socket.recovered));
    const resumptions = doomedStreams.map(({ es }) => waitFor(es, 'subscribed', 30_000).then((e) => JSON.parse(e.data)));
    const pacer = sockets.find((s) => s.home !== victimId).inbox;
    for (let i = 0; i < 5; i++) {
      await publishNext();
      await pacer.until(published, TIMEOUT);
    }
    const killed = victim.kill();
    cluster.nodes = cluster.nodes.filter((n) => n !== victim);
    // Back to back while the victim's socket.io clients reconnect and recover, so publications are in
    // flight to their new node while it replays what they missed, and the loner's channel gets
    // publications while its new node is only starting to receive it (at most 60: within the history).
    let back = false;
    const allBack = Promise.all(reconnections).finally(() => { back = true; });
    while (!back && published < 60) await publishNext();
    await killed;
    for (let i = 0; i < 5; i++) await publishNext();

    const recovered = await allBack;
    assert.deepEqual(recovered, doomedSockets.map(() => true), 'every socket.io client of the killed node recovered its session');
    for (const resumed of await Promise.all(resumptions)) assert.equal(resumed.resumed, true, `SSE resumed: ${JSON.stringify(resumed)}`);
    for (let i = 0; i < 5; i++) await publishNext();

    for (const { inbox } of [...sockets, ...streams, loner]) {
      assert.deepEqual(await inbox.until(published, TIMEOUT), range(1, published), inbox.label);
    }
    assertNoServerErrors();
  });

  test('Redis restart mid-traffic: publishing fails loudly while it is down (HTTP 503, error ack), then delivery and recovery resume across nodes', async () => {
    const channel = 'chat.outage';
    // Through the balancer, to reconnect through it at the end.
    const member = await socketClient(cluster.url, channel, { reconnection: true });
    const home = (await locate(cluster, member.socket.id))[0];
    const away = cluster.nodes.find((n) => n !== home);
    const stream = await sseClient(away.url, [channel]);
    await publish(away.url, channel, EVENT, { n: 1 });
    await member.inbox.until(1, TIMEOUT);
    await stream.inbox.until(1, TIMEOUT);

    await cluster.redis.stop();
    const refused = await api(home.url, 'POST', 'publish', { channel, event: EVENT, data: { n: -1 } });
    assert.equal(refused.status, 503, `HTTP API publish while Redis is down: ${JSON.stringify(refused)}`);
    assert.equal(refused.body.error?.code, 'unavailable');
    const ack = await socketPublish(member.socket, channel, -2);
    assert.equal(ack.ok, false, `socket.io publish while Redis is down: ${JSON.stringify(ack)}`);
    assert.equal(ack.error.code, 'unavailable');
    // Refusals are warnings, not errors.
    await waitForLog(home, /answered 503: the channel backend is unavailable/, TIMEOUT);
    assert.deepEqual(errorLogEntries(home.output()), [], `${home.id} logged errors:\n${home.output()}`);

    // Back, empty. The nodes register their rooms and sessions again by themselves. Only what they log
    // from now on counts: the same line logged earlier (a node also registers again when a heartbeat
    // finds its lease run out) says nothing about this restart.
    const logged = new Map([home, away].map((n) => [n, n.output().length]));
    await cluster.redis.start();
    await Promise.all([home, away].map((n) => waitForLog({ process: n.process, output: () => n.output().slice(logged.get(n)) },
      /registered again after Redis came back/, 30_000)));
    await publish(away.url, channel, EVENT, { n: 2 });
    const ok = await socketPublish(member.socket, channel, 3);
    assert.equal(ok.ok, true, JSON.stringify(ok));
    assert.deepEqual(await member.inbox.until(3, TIMEOUT), [1, 2, 3], member.inbox.label);
    assert.deepEqual(await stream.inbox.until(3, TIMEOUT), [1, 2, 3], stream.inbox.label);

    // The member's recovery session is in the new Redis: when its node dies, it recovers on the other.
    const reconnected = waitFor(member.socket, 'connect', 30_000);
    cluster.nodes = cluster.nodes.filter((n) => n !== home);
    await home.kill();
    await publish(away.url, channel, EVENT, { n: 4 });
    await reconnected;
    assert.equal(member.socket.recovered, true, 'recovered after the Redis restart and the kill');
    await publish(away.url, channel, EVENT, { n: 5 });
    assert.deepEqual(await member.inbox.until(5, TIMEOUT), range(1, 5), member.inbox.label);
    assert.deepEqual(await stream.inbox.until(5, TIMEOUT), range(1, 5), stream.inbox.label);
    assertNoServerErrors();
  });
});
