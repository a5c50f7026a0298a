// A Switchboard cluster of real processes for the Node suites: redis-server, N nodes of the standalone
// server (the built dll, started with `dotnet <dll>`) joined over Redis, and nginx as a round-robin
// balancer in front of them from the repository's template (deploy/nginx-cluster.conf). Every process
// is stopped by stop(), and killed when the test process exits anyway.
import { startBalancer } from './nginx.mjs';
import { startRedis } from './redis.mjs';
import { startServer, withTimeout } from './server.mjs';
import { waitForLog } from './socketio.mjs';

export const SERVER_PROJECT = 'src/Switchboard.Server';
export const API_KEY = 'cluster-test-key';

/**
 * Starts Redis, `nodes` nodes named n1, n2, ... and the balancer. Recovery is on (2 minutes), the HTTP
 * API takes API_KEY, the demo ticker is off. `args` are added to every node's command line.
 */
export async function startCluster({ nodes = 3, args = [] } = {}) {
  const cluster = { redis: null, nodes: [], balancer: null };
  cluster.stop = async () => {
    await cluster.balancer?.stop();
    await Promise.all(cluster.nodes.map((node) => node.stop()));
    await cluster.redis?.dispose();
  };
  try {
    cluster.redis = await startRedis();
    cluster.nodes = await Promise.all(Array.from({ length: nodes }, (_, i) => startNode(cluster.redis, `n${i + 1}`, args)));
    // A node listens before it has joined; wait until every one has, so no publication misses one.
    await Promise.all(cluster.nodes.map((node) => waitForLog(node, /Cluster node \S+ is ready/, 20_000)));
    cluster.balancer = await startBalancer({ upstreams: cluster.nodes.map((node) => node.url) });
    cluster.url = cluster.balancer.url;
    return cluster;
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

/** Starts one node of the standalone server joined over `redis.endpoint` (a StackExchange.Redis configuration string). */
export async function startNode(redis, id, args = []) {
  const node = await startServer({
    project: SERVER_PROJECT,
    args: [
      `--Switchboard:Redis:Configuration=${redis.endpoint}`,
      `--Switchboard:Redis:NodeId=${id}`,
      '--Switchboard:Recovery:MaxDisconnectionDuration=00:02:00',
      `--Switchboard:Api:Keys:0=${API_KEY}`,
      '--Switchboard:Demos:TickerInterval=00:00:00',
      ...args,
    ],
    env: { 'Logging__LogLevel__Microsoft.AspNetCore': 'Warning' },
  });
  node.id = id;
  /** kill -9: no shutdown, no goodbye to Redis; resolves once the process is gone. */
  node.kill = async () => {
    const gone = new Promise((resolve) => node.process.once('exit', resolve));
    node.process.kill('SIGKILL');
    await gone;
  };
  return node;
}

/**
 * Calls the HTTP API of a node (or the balancer): resolves with { status, body } (body parsed when
 * JSON). Gives up after timeoutMs, so a hanging server fails the test rather than stalling it.
 */
export async function api(baseUrl, method, route, body, timeoutMs = 10_000) {
  const response = await fetch(`${baseUrl}/api/${route}`, {
    method,
    headers: { 'X-Api-Key': API_KEY, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let parsed = text;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: response.status, body: parsed };
}

/** Publishes through the HTTP API and asserts 200; resolves with the answer's body. */
export async function publish(baseUrl, channel, event, data) {
  const { status, body } = await api(baseUrl, 'POST', 'publish', { channel, event, data });
  if (status !== 200) throw new Error(`publish to ${channel} via ${baseUrl} answered ${status}: ${JSON.stringify(body)}`);
  return body;
}

/**
 * The nodes on which `channel` has subscribers right now, from the HTTP API's cluster-wide presence
 * (each member names its node). A Socket.IO socket is in the room of its own id, so
 * `locate(cluster, socket.id)` names the node it is on.
 */
export async function locate(cluster, channel) {
  const live = cluster.nodes.filter((node) => node.process.exitCode === null && node.process.signalCode === null);
  const { status, body } = await api(live[0].url, 'GET', `presence?channel=${encodeURIComponent(channel)}`);
  if (status !== 200) throw new Error(`presence of ${channel} answered ${status}: ${JSON.stringify(body)}`);
  const homes = new Set(body.members.map((member) => member.node));
  return live.filter((node) => homes.has(node.id));
}

/**
 * Collects values in arrival order and lets a test await the first `count` of them: `until(n)`
 * resolves once n values are in (rejecting after timeoutMs with what did arrive).
 */
export class Inbox {
  constructor(label) {
    this.label = label;
    this.values = [];
    this.waiters = new Set();
  }

  push(value) {
    this.values.push(value);
    for (const waiter of this.waiters) waiter();
  }

  until(count, timeoutMs = 10_000) {
    if (this.values.length >= count) return Promise.resolve(this.values);
    let waiter;
    const reached = new Promise((resolve) => {
      waiter = () => { if (this.values.length >= count) resolve(this.values); };
      this.waiters.add(waiter);
    });
    return withTimeout(reached, timeoutMs, `${this.label}: waiting for ${count} values (have ${JSON.stringify(this.values)})`)
      .finally(() => this.waiters.delete(waiter));
  }
}
