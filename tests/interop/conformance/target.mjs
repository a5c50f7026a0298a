// What the conformance suite needs to know about the server under test, read from the environment
// (docs/conformance.md, "Our own protocols"). Only SWITCHBOARD_URL is required; the rest have the
// documented defaults of docs/protocols/*.md, and cases that need a setting that is absent are skipped
// with the name of that setting.
import { createHmac } from 'node:crypto';

/** Reads a target from environment variables; null when SWITCHBOARD_URL is not set. */
export function targetFromEnv(env = process.env) {
  if (!env.SWITCHBOARD_URL) return null;
  const anonymous = env.SWITCHBOARD_ANONYMOUS;
  return makeTarget({
    url: env.SWITCHBOARD_URL,
    apiUrl: env.SWITCHBOARD_API_URL,
    apiKey: env.SWITCHBOARD_API_KEY ?? env.SWITCHBOARD_PUBLISH_KEY,
    token: env.SWITCHBOARD_TOKEN,
    jwtSecret: env.SWITCHBOARD_JWT_SECRET,
    anonymous: anonymous === undefined ? undefined : anonymous === 'true' || anonymous === '1',
    prefix: env.SWITCHBOARD_CHANNEL_PREFIX,
    heartbeatMs: numberOr(env.SWITCHBOARD_SSE_HEARTBEAT_MS),
    historySize: numberOr(env.SWITCHBOARD_HISTORY_SIZE),
    maxChannels: numberOr(env.SWITCHBOARD_MAX_CHANNELS),
    maxBodySize: numberOr(env.SWITCHBOARD_API_MAX_BODY),
    paths: {
      sse: env.SWITCHBOARD_SSE_PATH,
      ws: env.SWITCHBOARD_WS_PATH,
      poll: env.SWITCHBOARD_POLL_PATH,
      api: env.SWITCHBOARD_API_PATH,
    },
  });
}

function numberOr(text) {
  return text === undefined || text === '' ? undefined : Number(text);
}

/**
 * A target with every default filled in. `url` is where clients connect; `apiUrl` where the HTTP API
 * is called (another node of a cluster, to prove publications cross nodes); `anonymous` undefined
 * means unknown (the token_missing case then accepts either documented outcome).
 */
export function makeTarget(options) {
  const url = options.url.replace(/\/+$/, '');
  const target = {
    url,
    apiUrl: (options.apiUrl ?? url).replace(/\/+$/, ''),
    apiKey: options.apiKey || undefined,
    jwtSecret: options.jwtSecret || undefined,
    anonymous: options.anonymous,
    prefix: options.prefix ?? 'conformance.',
    heartbeatMs: options.heartbeatMs ?? 15_000,
    historySize: options.historySize ?? 100,
    maxChannels: options.maxChannels ?? 64,
    maxBodySize: options.maxBodySize ?? 64 * 1024,
    label: options.label ?? url,
    paths: {
      sse: options.paths?.sse ?? '/sse',
      ws: options.paths?.ws ?? '/ws',
      poll: options.paths?.poll ?? '/poll',
      api: options.paths?.api ?? '/api',
    },
  };
  // The token every client request carries: the one given, else one minted with the secret that may
  // do anything, else none (the server must then let anonymous clients subscribe and publish).
  target.token = options.token || (target.jwtSecret ? mintToken(target, { sub_channels: '*', pub_channels: '*' }) : undefined);
  return target;
}

/** An HS256 JWT signed with the target's secret (docs/auth.md); `seconds` < 0 makes it expired. */
export function mintToken(target, claims, seconds = 600) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub: 'conformance', iat: now - 3600, nbf: now - 3600, exp: now + seconds, ...claims })}`;
  return `${body}.${createHmac('sha256', target.jwtSecret).update(body).digest('base64url')}`;
}

let counter = 0;
const run = `${process.pid.toString(36)}${Date.now().toString(36)}`;

/** A channel name no other case or run uses. */
export function freshChannel(target, tag = 'ch') {
  return `${target.prefix}${tag}.${run}.${++counter}`;
}
