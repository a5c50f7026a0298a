// Holds N idle Socket.IO v5 connections (raw Engine.IO v4 WebSocket), each joined to a room of 100
// (as LoadGen's S1), answers pings; prints "open N failed F" when all are up. Exits after the first N
// if argv[4] == 'once' (warm-up).
import { createRequire } from 'node:module';
const WebSocket = createRequire(new URL('../../tests/interop/', import.meta.url))('ws');
const [port, n] = [process.argv[2], Number(process.argv[3] ?? 1000)];
const once = process.argv[4] === 'once';
let open = 0, failed = 0; const all = [];
function one(i) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, { localAddress: `127.0.0.${2 + (i % 8)}`, perMessageDeflate: false });
    all.push(ws);
    ws.on('message', (d) => {
      const s = d.toString();
      if (s[0] === '0') ws.send('40');
      else if (s.startsWith('40')) ws.send(`421["join","idle-${Math.floor(i / 100)}"]`);
      else if (s.startsWith('431')) { open++; resolve(); }
      else if (s === '2') ws.send('3');
    });
    ws.on('error', () => { failed++; resolve(); });
  });
}
for (let i = 0; i < n; i += 100) {
  await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, k) => one(i + k)));
}
console.log(`open ${open} failed ${failed}`);
if (once) { for (const ws of all) ws.terminate(); setTimeout(() => process.exit(0), 500); }
else { process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1e9); }
