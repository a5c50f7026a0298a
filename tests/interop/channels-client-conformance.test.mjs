// The JS channels client (clients/js/switchboard-channels.js) against the expectations of the
// protocol conformance suite (tests/interop/conformance/expectations.mjs): a small fake server plays,
// connection by connection, the frames a conforming server sends when a connection drops, a resume
// succeeds, a discontinuity is reported or the server closes for good, and checks what the client
// asks for (its `since` or cursor). The frames are the ones the suite holds real servers to, so the
// fake is the spec's recording, not a second implementation. Docs: docs/conformance.md.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { clientScenarios } from './conformance/expectations.mjs';
import { ScriptedServer } from './conformance/scripted-server.mjs';
import { withTimeout } from './lib/server.mjs';
import { ChannelClient } from '../../clients/js/switchboard-channels.js';

const TIMEOUT = 5_000;

/** Resolves once `predicate()` holds, re-checked on each of the client's events; rejects after TIMEOUT. */
function until(client, predicate, label) {
  const offs = [];
  return withTimeout(new Promise((resolve) => {
    const check = () => { if (predicate()) resolve(); };
    for (const type of ['publication', 'discontinuity', 'closed', 'state']) offs.push(client.on(type, check));
    check();
  }), TIMEOUT, label).finally(() => { for (const off of offs) off(); });
}

describe('JS channels client against the conformance expectations', () => {
  const server = new ScriptedServer();
  before(() => server.start());
  after(() => server.stop());

  for (const scenario of clientScenarios) {
    test(`${scenario.section}: ${scenario.name}`, { timeout: 15_000 }, async () => {
      server.play(scenario);
      const client = new ChannelClient(server.url, {
        WebSocket, transports: [scenario.transport], backoff: { initial: 20, max: 50 }, pollTimeout: 1,
      });
      const publications = [];
      const discontinuities = [];
      client.on('publication', (p) => publications.push([p.offset, p.data]));
      client.on('discontinuity', ({ channel, offset, epoch }) => discontinuities.push({ channel, offset, epoch }));
      try {
        client.subscribe(scenario.channel);
        const { expect } = scenario;
        await server.reached(scenario.connections.length);
        if (expect.closedWith) {
          await until(client, () => client.state === 'closed', 'the client closing');
          assert.equal(client.closeError?.code, expect.closedWith);
        } else {
          await until(client, () => publications.length >= expect.publications.length && discontinuities.length >= expect.discontinuities.length, `the expected deliveries (so far ${JSON.stringify({ publications, discontinuities, connections: server.connections, problems: server.problems })})`);
        }
        assert.deepEqual(publications, expect.publications);
        assert.deepEqual(discontinuities, expect.discontinuities);
        assert.deepEqual(server.problems, []);
        assert.equal(server.connections, scenario.connections.length, 'no connection beyond the script');
      } finally {
        client.close();
      }
    });
  }
});
