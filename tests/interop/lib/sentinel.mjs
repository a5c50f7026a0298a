// A Redis Sentinel topology of real processes on loopback, for the failover suites: a primary and one
// replica (Debian's redis-server, in memory only, as startRedis starts them) and three sentinels
// (`redis-server <conf> --sentinel`: Debian has no separate redis-sentinel binary) watching them as
// `mymaster` with quorum 2. Helpers kill the primary with -9, bring a killed server back empty on its
// old port (a restarted cache-only server: it believes it is a primary until Sentinel demotes it), cut
// the replica's link so it misses the last writes, and wait for Sentinel to name a new primary.
// There is no event for "role changed" or "Sentinel switched": those waits poll a Redis command in a
// bounded loop (every POLL_MS, up to a timeout), never sleep a fixed time.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from './processes.mjs';
import { redisCli, redisServerPath, spawnRedis, startRedis } from './redis.mjs';

export const MASTER_NAME = 'mymaster';
const POLL_MS = 50;

/**
 * Polls `probe` (async, returns a value or undefined/false) until it returns something truthy; resolves
 * with it. A probe that throws (a server that is down) counts as "not yet". Rejects after timeoutMs
 * with `label` and the last value or error seen.
 */
export async function pollUntil(probe, timeoutMs, label) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      last = value;
    } catch (err) {
      last = err.message;
    }
    if (Date.now() >= deadline) throw new Error(`${label}: not within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await delay(POLL_MS);
  }
}

/**
 * Starts the primary, the replica (and waits until its link is up and it has synced), and three
 * sentinels (and waits until each one knows the replica and the two other sentinels, so a failover
 * can be authorised). `downAfterMs`: how long the primary must be unreachable before it is
 * subjectively down; `failoverTimeoutMs` also bounds how soon Sentinel fixes a replica's wrong master
 * (cutReplication relies on that being longer than the cut).
 */
export async function startSentinelTopology({ downAfterMs = 1000, failoverTimeoutMs = 6000, timeoutMs = 30_000 } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-sentinel-'));
  const topology = { primary: null, replica: null, sentinels: [], servers: [], dir };
  topology.stop = async () => {
    await Promise.all(topology.sentinels.map((s) => s.kill()));
    await Promise.all(topology.servers.map((s) => s.dispose()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const primary = await startRedis();
    primary.name = 'primary';
    topology.servers.push(primary);
    // A replica started with --replicaof keeps that on restart too; it is never restarted here.
    const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    replica.name = 'replica';
    topology.servers.push(replica);
    topology.primary = primary;
    topology.replica = replica;
    await pollUntil(async () => /master_link_status:up/.test(await replica.cli('INFO', 'replication')), timeoutMs,
      'replica linked to the primary');

    for (let i = 0; i < 3; i++) {
      topology.sentinels.push(await startSentinel({ dir, index: i, primaryPort: primary.port, downAfterMs, failoverTimeoutMs, timeoutMs }));
    }
    await Promise.all(topology.sentinels.map((s) => pollUntil(async () => {
      const quorum = await s.cli('SENTINEL', 'CKQUORUM', MASTER_NAME);
      const replicas = await s.cli('SENTINEL', 'REPLICAS', MASTER_NAME);
      return /^OK 3 usable Sentinels/.test(quorum) && replicas.includes(String(replica.port));
    }, timeoutMs, `sentinel ${s.port} knowing the other sentinels and the replica`)));
    /** The StackExchange.Redis Sentinel configuration string. */
    topology.configuration = `${topology.sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')},serviceName=${MASTER_NAME}`;
    return topology;
  } catch (err) {
    await topology.stop();
    throw err;
  }
}

async function startSentinel({ dir, index, primaryPort, downAfterMs, failoverTimeoutMs, timeoutMs }) {
  const port = await freePort();
  // Sentinel rewrites its configuration file (known sentinels, replicas, epochs): one file each.
  const conf = path.join(dir, `sentinel-${index}.conf`);
  writeFileSync(conf, [
    'bind 127.0.0.1',
    `port ${port}`,
    `dir ${dir}`,
    `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${primaryPort} 2`,
    `sentinel down-after-milliseconds ${MASTER_NAME} ${downAfterMs}`,
    `sentinel failover-timeout ${MASTER_NAME} ${failoverTimeoutMs}`,
    `sentinel parallel-syncs ${MASTER_NAME} 1`,
    '',
  ].join('\n'));
  const handle = await spawnRedis({
    binary: redisServerPath(),
    args: [conf, '--sentinel', '--loglevel', 'notice'],
    ready: new RegExp(`\\+monitor master ${MASTER_NAME} `),
    timeoutMs,
  });
  return {
    port,
    output: handle.output,
    kill: handle.kill,
    cli: (...args) => redisCli(port, ...args),
  };
}

/** `ROLE`'s first word on a server: 'master', 'slave', or throws when it is down. */
export async function role(server) {
  return (await server.cli('ROLE')).split('\n')[0];
}

/** The primary's port as the first sentinel that answers reports it. */
export async function sentinelPrimaryPort(topology) {
  for (const sentinel of topology.sentinels) {
    try {
      const [, port] = (await sentinel.cli('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME)).split('\n');
      return Number(port);
    } catch { /* try the next one */ }
  }
  throw new Error('no sentinel answered');
}

/**
 * Waits until every sentinel names `server` as the primary and the server itself says it is one;
 * then makes it topology.primary and the other server topology.replica. Resolves with the time (ms)
 * the first poll saw it.
 */
export async function waitForPrimary(topology, server, timeoutMs = 30_000) {
  await pollUntil(async () => {
    const ports = await Promise.all(topology.sentinels.map(async (s) =>
      Number((await s.cli('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME)).split('\n')[1])));
    return ports.every((p) => p === server.port) && await role(server) === 'master';
  }, timeoutMs, `sentinels naming ${server.name} (port ${server.port}) as the primary`);
  const at = Date.now();
  topology.replica = topology.servers.find((s) => s !== server);
  topology.primary = server;
  return at;
}

/** Waits until `server` reports `wanted` ('master' or 'slave'), e.g. an old primary demoted by Sentinel. */
export async function waitForRole(server, wanted, timeoutMs = 30_000) {
  await pollUntil(async () => await role(server) === wanted, timeoutMs, `${server.name} (port ${server.port}) becoming ${wanted}`);
  return Date.now();
}

/** kill -9 of the current primary; resolves once the process is gone. Returns the killed server. */
export async function killPrimary(topology) {
  const victim = topology.primary;
  await victim.stop();
  return victim;
}

/**
 * Starts a killed server again on its old port, empty and without --replicaof: what a cache-only
 * Redis is after a crash and a restart by its supervisor. It answers as a primary until Sentinel
 * reconfigures it as a replica of the current primary.
 */
export async function restartEmpty(server) {
  await server.start();
  return server;
}

/**
 * Cuts the replica off its primary so it misses whatever is written next: `REPLICAOF` to a loopback
 * port nobody listens on. The replica keeps its data and stays a replica (as after a partition of the
 * link or a long replication lag); the primary and the sentinels still see both servers, so a
 * failover after it promotes this replica with what it had. Sentinel would point it back
 * (+fix-slave-config) only after the failover timeout, and the cut lasts less than that.
 */
export async function cutReplication(topology) {
  const nowhere = await freePort();
  const reply = await topology.replica.cli('REPLICAOF', '127.0.0.1', nowhere);
  if (!/^OK/.test(reply)) throw new Error(`REPLICAOF on the replica answered ${reply}`);
  await pollUntil(async () => /master_link_status:down/.test(await topology.replica.cli('INFO', 'replication')), 5_000,
    'replica link down');
  return nowhere;
}
