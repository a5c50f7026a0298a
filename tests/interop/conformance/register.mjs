// Registers every conformance case as a node:test test against one target. A case whose `needs`
// the target does not meet is skipped, and the skip says which setting would run it.
import { describe, test } from 'node:test';
import { httpApiCases } from './http-api-cases.mjs';
import { longPollCases } from './longpoll-cases.mjs';
import { sseCases } from './sse-cases.mjs';
import { websocketCases } from './websocket-cases.mjs';

export const suites = [
  { title: 'Server-Sent Events (docs/protocols/sse.md)', cases: sseCases },
  { title: 'plain WebSocket (docs/protocols/websocket.md)', cases: websocketCases },
  { title: 'long-poll (docs/protocols/longpoll.md)', cases: longPollCases },
  { title: 'HTTP API (docs/protocols/http-api.md)', cases: httpApiCases },
];

const requirements = {
  apiKey: { met: (t) => Boolean(t.apiKey), setting: 'SWITCHBOARD_API_KEY' },
  jwtSecret: { met: (t) => Boolean(t.jwtSecret), setting: 'SWITCHBOARD_JWT_SECRET' },
  anonymousKnown: { met: (t) => t.anonymous !== undefined, setting: 'SWITCHBOARD_ANONYMOUS' },
  anonymousOff: { met: (t) => t.anonymous === false, setting: 'SWITCHBOARD_ANONYMOUS=false' },
};

/** Why a case cannot run against `target`, or false. */
export function skipReason(target, testCase) {
  const missing = (testCase.needs ?? []).filter((need) => !requirements[need].met(target));
  return missing.length ? `needs ${missing.map((need) => requirements[need].setting).join(', ')}` : false;
}

/**
 * Registers the suites. `target` is read when a test runs (a before() hook may fill in its url), but
 * its settings decide the skips when registering.
 */
export function registerConformance(target, { timeout = 60_000 } = {}) {
  for (const suite of suites) {
    describe(suite.title, () => {
      for (const testCase of suite.cases) {
        test(`${testCase.section}: ${testCase.name}`, { timeout, skip: skipReason(target, testCase) }, () => testCase.run(target));
      }
    });
  }
}
