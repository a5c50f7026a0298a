// The conformance suite of our own protocols (SSE cursors, plain WebSocket, long-poll, HTTP API),
// cases in tests/interop/conformance/, documented in docs/conformance.md ("Our own protocols").
//
// With SWITCHBOARD_URL it checks that server and nothing else:
//   SWITCHBOARD_URL=http://host:port SWITCHBOARD_API_KEY=... node --test protocols-conformance.test.mjs
// Without it, it starts the standalone server (src/Switchboard.Server, in memory) and a node of a
// two-node Redis cluster of the same server, and runs every case against both: on the cluster, clients
// connect to node 1 and the HTTP API is called on node 2, so every publication, presence count and
// disconnect crosses the cluster.
import { existsSync } from 'node:fs';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { registerConformance } from './conformance/register.mjs';
import { makeTarget, targetFromEnv } from './conformance/target.mjs';
import { closePublisher } from './conformance/wire.mjs';
import { startNode } from './lib/cluster.mjs';
import { redisServerPath, startRedis } from './lib/redis.mjs';
import { startServer } from './lib/server.mjs';
import { waitForLog } from './lib/socketio.mjs';

const external = targetFromEnv();

if (external) {
  describe(`conformance of ${external.url}`, () => {
    after(() => closePublisher(external));
    registerConformance(external);
  });
} else {
  const API_KEY = 'conformance-key';
  const SECRET = 'conformance-secret-0123456789-abcdefghijklmnop';
  // Anonymous access off, so token_missing is checked; tokens are minted with the secret. The
  // heartbeat is short so the `: ping` case takes a second, and declared to the suite.
  const ARGS = [
    `--Switchboard:Api:Keys:0=${API_KEY}`,
    `--Switchboard:Auth:Secret=${SECRET}`,
    '--Switchboard:Auth:Anonymous:Enabled=false',
    '--Switchboard:Sse:HeartbeatInterval=00:00:01',
    '--Switchboard:Demos:TickerInterval=00:00:00',
  ];
  const settings = { url: 'http://unset', apiKey: API_KEY, jwtSecret: SECRET, anonymous: false, heartbeatMs: 1_000 };

  describe('standalone server (in memory)', () => {
    const target = makeTarget({ ...settings, label: 'standalone' });
    let server;
    before(async () => {
      server = await startServer({ project: 'src/Switchboard.Server', args: ARGS });
      target.url = target.apiUrl = server.url;
    }, { timeout: 40_000 });
    after(async () => {
      await closePublisher(target);
      await server?.stop();
    });
    registerConformance(target);
    // Bad input is logged (Information), never an error or a crash.
    test('the server logged no error while the cases ran', () => assertNoErrors([server]));
  });

  describe('cluster over Redis: clients on node 1, HTTP API on node 2', { skip: existsSync(redisServerPath()) ? false : 'no redis-server' }, () => {
    const target = makeTarget({ ...settings, label: 'cluster' });
    let redis;
    const nodes = [];
    before(async () => {
      redis = await startRedis();
      nodes.push(...await Promise.all(['n1', 'n2'].map((id) => startNode(redis, id, ARGS))));
      await Promise.all(nodes.map((node) => waitForLog(node, /Cluster node \S+ is ready/, 20_000)));
      target.url = nodes[0].url;
      target.apiUrl = nodes[1].url;
    }, { timeout: 60_000 });
    after(async () => {
      await closePublisher(target);
      await Promise.all(nodes.map((node) => node.stop()));
      await redis?.dispose();
    });
    registerConformance(target);
    test('no node logged an error while the cases ran', () => assertNoErrors(nodes));
  });
}

function assertNoErrors(servers) {
  assert.ok(servers.length > 0 && servers.every(Boolean), 'the servers were started');
  for (const server of servers) {
    assert.doesNotMatch(server.output(), /^(fail|crit):/m, `the server logged errors:\n${server.output()}`);
    assert.equal(server.process.exitCode, null, 'the server is still running');
  }
}
