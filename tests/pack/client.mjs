// Connects the official socket.io-client (from tests/interop's node_modules) to the PackageSmoke app and
// checks one round of everything it does: the handshake, the upgrade to WebSocket, an acknowledgement
// and a room broadcast. Prints one "ok NAME" or "not ok NAME: why" line per check; exits non-zero when
// any check failed. Usage: node client.mjs <base url> <expected package version>
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'interop', 'package.json'));
const { io } = require('socket.io-client');

const [url, version] = process.argv.slice(2);
if (!url || !version) {
  console.error('usage: node client.mjs <base url> <expected package version>');
  process.exit(2);
}

let failed = 0;
function check(name, ok, why) {
  if (ok) console.log(`ok ${name}`);
  else { failed++; console.log(`not ok ${name}: ${why}`); }
}

function within(ms, what, promise) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

const socket = io(url, { reconnection: false, timeout: 5000 });
try {
  await within(10000, 'connect', new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  }));
  check('socket.io connect', socket.connected && typeof socket.id === 'string', `connected=${socket.connected}`);

  const transport = socket.io.engine.transport.name === 'websocket'
    ? 'websocket'
    : await within(10000, 'upgrade', new Promise((resolve) => socket.io.engine.once('upgrade', (t) => resolve(t.name))));
  check('upgrade to websocket', transport === 'websocket', `transport is ${transport}`);

  const answer = await within(5000, 'hello ack', socket.emitWithAck('hello', 'pack'));
  check('acknowledgement', answer?.hello === 'pack', JSON.stringify(answer));
  const names = ['Switchboard.Core', 'Switchboard.AspNetCore', 'Switchboard.Redis'];
  const wrong = names.filter((n) => !String(answer?.versions?.[n] ?? '').startsWith(version));
  check(`assemblies are version ${version}`, wrong.length === 0, `got ${JSON.stringify(answer?.versions)}`);

  const joined = await within(5000, 'join ack', socket.emitWithAck('join', 'smoke'));
  const shouted = within(5000, 'room broadcast', new Promise((resolve) => socket.once('shouted', resolve)));
  socket.emit('shout', 'smoke', 'hi room');
  check('room broadcast', joined === 'joined' && (await shouted) === 'hi room', `join answered ${JSON.stringify(joined)}`);
} catch (err) {
  check('client', false, err.message);
} finally {
  socket.close();
}
process.exit(failed === 0 ? 0 : 1);
