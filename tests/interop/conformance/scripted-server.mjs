// The fake server of the channel clients' conformance tests: it plays, connection by connection, the
// frames of a scenario in expectations.mjs (clientScenarios) and records where the client asked for
// something else (its `since` or cursor). Used in-process by channels-client-conformance.test.mjs and,
// through scripted-server-cli.mjs, by the .NET channel client's tests. Docs: docs/conformance.md.
import assert from 'node:assert/strict';
import http from 'node:http';
import { WebSocketServer } from 'ws';
import { withTimeout } from '../lib/server.mjs';

const TIMEOUT = 5_000;

/**
 * Serves one scenario at a time: the n-th connection (WebSocket upgrade, SSE request or poll) plays
 * `scenario.connections[n]`. Every connection made is counted; every mismatch with what the client
 * should have asked is kept in `problems`.
 */
export class ScriptedServer {
  scenario = null;
  connections = 0;
  problems = [];
  /** What was asked, in order, with the time since play(): to explain a failure. */
  requests = [];
  #started = 0;
  #onConnection = new Set();
  #open = new Set();

  async start() {
    this.http = http.createServer((req, res) => this.#http(req, res));
    this.wss = new WebSocketServer({ noServer: true });
    this.http.on('upgrade', (req, socket, head) => this.wss.handleUpgrade(req, socket, head, (ws) => this.#ws(ws)));
    this.http.on('connection', (socket) => { this.#open.add(socket); socket.on('close', () => this.#open.delete(socket)); });
    await new Promise((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${this.http.address().port}`;
  }

  play(scenario) {
    this.scenario = scenario;
    this.connections = 0;
    this.problems = [];
    this.requests = [];
    this.#started = performance.now();
  }

  /** Resolves once `count` connections have been made. */
  reached(count) {
    if (this.connections >= count) return Promise.resolve();
    let check;
    return withTimeout(new Promise((resolve) => {
      check = () => { if (this.connections >= count) resolve(); };
      this.#onConnection.add(check);
    }), TIMEOUT, `connection ${count}`).finally(() => this.#onConnection.delete(check));
  }

  #next() {
    const script = this.scenario.connections[this.connections++];
    for (const check of this.#onConnection) check();
    if (!script) this.problems.push(`an unexpected connection #${this.connections}`);
    return script;
  }

  #expect(label, actual, expected) {
    try { assert.deepEqual(actual, expected); } catch { this.problems.push(`${label}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`); }
  }

  #ws(ws) {
    const script = this.#next();
    ws.send(JSON.stringify({ type: 'welcome', v: 1, connectionId: `fake-${this.connections}`, maxMessageSize: 65536 }));
    ws.on('message', (data) => {
      const request = JSON.parse(data.toString());
      if (request.op !== 'subscribe') {
        ws.send(JSON.stringify({ id: request.id, ok: true }));
        return;
      }
      if (script?.expectSince !== undefined) this.#expect('subscribe since', request.since, script.expectSince);
      // A reply (no `type`) answers this request: it takes its id.
      for (const frame of script?.onSubscribe ?? []) ws.send(JSON.stringify(frame.type ? frame : { ...frame, id: request.id }));
      if (script?.then === 'drop') ws.terminate();
      else if (script?.then?.close) {
        ws.send(JSON.stringify(script.then.close));
        ws.close(script.then.status, script.then.close.code);
      }
    });
  }

  #http(req, res) {
    const url = new URL(req.url, this.url);
    if (url.pathname.startsWith('/__script/') && this.control) {
      this.control(url, req, res);
      return;
    }
    this.requests.push(`${Math.round(performance.now() - this.#started)} ms: ${req.method} ${req.url}`);
    const script = this.#next();
    if (!script) { res.writeHead(500).end(); return; }
    if (url.pathname === '/sse') {
      const cursor = req.headers['last-event-id'] ?? url.searchParams.get('lastEventId') ?? undefined;
      this.#expect('SSE cursor', cursor, script.expectCursor);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const body = script.events.map((e) => `event: ${e.event}\n${e.id ? `id: ${e.id}\n` : ''}data: ${JSON.stringify(e.json)}\n\n`).join('');
      // A drop cuts the connection once what was sent has left (destroy() would discard it).
      res.write(`retry: 100\n\n${body}`, () => {
        if (script.then === 'drop') res.destroy();
        else if (script.then === 'end') res.end();
      });
    } else if (url.pathname === '/poll') {
      this.#expect('poll cursor', url.searchParams.get('cursor') ?? undefined, script.expectCursor);
      if (script.answer === 'hold') return; // held until the client goes away
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(script.answer));
    } else {
      res.writeHead(404).end();
    }
  }

  async stop() {
    for (const ws of this.wss.clients) ws.terminate();
    for (const socket of this.#open) socket.destroy();
    await new Promise((resolve) => this.http.close(resolve));
  }
}
