// The scripted server as a process, for clients written in other languages (the .NET channel client's
// ChannelConformanceTests): `node scripted-server-cli.mjs` prints "listening <url>" once bound, then serves
// the scenarios of expectations.mjs (clientScenarios) with these control requests beside the protocol:
//   GET  /__script/scenarios   every scenario, as JSON (index, name, section, transport, channel, expect,
//                              connections: how many the client must make)
//   POST /__script/play/<i>    play scenario i from now on (the connection count starts again at 0)
//   GET  /__script/reached/<n> answers 200 once the client has made n connections, 504 if not within 5 s
//   GET  /__script/state       { connections, problems }: what the client did against the script
// It exits when its stdin closes, so it never outlives the test process that started it.
import { clientScenarios } from './expectations.mjs';
import { ScriptedServer } from './scripted-server.mjs';

const server = new ScriptedServer();
server.control = (url, req, res) => {
  const json = (status, body) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const play = /^\/__script\/play\/(\d+)$/.exec(url.pathname);
  const reached = /^\/__script\/reached\/(\d+)$/.exec(url.pathname);
  if (url.pathname === '/__script/scenarios' && req.method === 'GET') {
    json(200, clientScenarios.map((s, index) => ({
      index, name: s.name, section: s.section, transport: s.transport, channel: s.channel, expect: s.expect, connections: s.connections.length,
    })));
  } else if (play && req.method === 'POST' && clientScenarios[Number(play[1])]) {
    server.play(clientScenarios[Number(play[1])]);
    json(200, { playing: Number(play[1]) });
  } else if (reached && req.method === 'GET') {
    server.reached(Number(reached[1])).then(
      () => json(200, { connections: server.connections }),
      (error) => json(504, { connections: server.connections, error: String(error.message ?? error), requests: server.requests }));
  } else if (url.pathname === '/__script/state' && req.method === 'GET') {
    json(200, { connections: server.connections, problems: server.problems });
  } else {
    json(404, { error: 'unknown control request' });
  }
};
await server.start();
console.log(`listening ${server.url}`);
process.stdin.resume();
process.stdin.on('end', async () => { await server.stop(); process.exit(0); });
