// The parity app on Node's socket.io 4.8: the reference for tests/interop/parity.test.mjs. The same app
// is written for Switchboard in parity/app/Program.cs; every handler here has its twin there, written
// the way a user of each library would write it. docs/conformance.md describes the suite.
//
// Two servers, the same handlers: "main" (no connection state recovery) and "recovery" (recovery on).
// Prints "parity-main <url>" and "parity-recovery <url>" once both listen on their loopback ports.
//   node tests/interop/parity/node-app.mjs
import { createServer } from 'node:http';
import { Server } from 'socket.io';

// Shared by both apps: the client's limit on what it sends, and the heartbeat.
const options = {
  maxHttpBufferSize: 100_000,
  pingInterval: 10_000,
  pingTimeout: 5_000,
};

// A Node server dies on an exception thrown by an event handler unless the process catches it; the app
// catches it, as a production app must, so the 'throw' scenario sees the connection survive.
process.on('uncaughtException', (err) => console.error(`handler failed: ${err.message}`));

/** Middleware of `/`: refuses on request (the scenario's auth says how), else names the socket. */
function mainMiddleware(socket, next) {
  const { refuse, name } = socket.handshake.auth;
  if (refuse === 'plain') return next(new Error('refused: plain'));
  if (refuse === 'data') {
    const err = new Error('refused: with data');
    err.data = { code: 4001, reasons: ['banned', null], nested: { retry: false } };
    return next(err);
  }
  // Node's way of failing in middleware with an ordinary error (the twin throws an exception).
  if (refuse === 'throw') return next(new Error('middleware exploded'));
  socket.data.name = name ?? 'anon';
  return next();
}

function chatMiddleware(socket, next) {
  if (socket.handshake.auth.token !== 'chat-token') {
    const err = new Error('chat: not authorized');
    err.data = { required: 'chat-token' };
    return next(err);
  }
  socket.data.name = socket.handshake.auth.name ?? 'anon';
  return next();
}

function dynamicMiddleware(socket, next) {
  if (socket.handshake.auth.refuse === 'dyn') return next(new Error('dyn: refused'));
  socket.data.name = socket.handshake.auth.name ?? 'anon';
  return next();
}

/** The broadcast operator a `bcast` spec names (see parity/scenario.mjs, `bcast`). */
function operator(io, socket, spec) {
  let op;
  if (spec.from === 'socket') op = socket;
  else if (spec.from === 'nsp') op = socket.nsp;
  else op = io.of(spec.from);
  if (spec.broadcast) op = op.broadcast;
  for (const room of spec.to ?? []) op = op.to(room);
  for (const room of spec.in ?? []) op = op.in(room);
  for (const room of spec.except ?? []) op = op.except(room);
  if (spec.volatile) op = op.volatile;
  return op;
}

const hex = (buffer) => Buffer.from(buffer).toString('hex');

/** The events every namespace answers. */
function handlers(io, socket) {
  const incoming = [];
  const outgoing = [];
  if (socket.handshake.auth.trackAny) {
    socket.onAny((event, ...args) => incoming.push([event, ...args.filter((a) => typeof a !== 'function')]));
    socket.onAnyOutgoing((event, ...args) => outgoing.push([event, ...args]));
  }

  socket.on('echo', (...args) => {
    const ack = args.pop();
    ack(...args);
  });
  // The arguments as the server parsed them, written again by the server.
  socket.on('reserialize', (...args) => {
    const ack = args.pop();
    ack({ args });
  });
  socket.on('echo-event', (...args) => socket.emit('echoed', ...args));
  socket.on('add', (a, b, ack) => ack(a + b));
  socket.on('string-info', (s, ack) => ack(s.length, s));
  socket.on('values', (ack) => {
    const values = [
      0, 1, -1, 9007199254740991, -9007199254740991, 0.1, 0.30000000000000004, 1.5, -2.25, 1e21, 1.5e-7,
      5e-324, 1.7976931348623157e308, 123456.789, true, false, '', 'héllo wörld', '日本語', '😀 emoji',
      'tab\tnew\nline "quoted" \\ slash </script>',
      { nested: [1, [2, [3, []]]], nothing: null, empty: {}, list: [] },
    ];
    socket.emit('values', ...values);
    ack(...values);
  });
  socket.on('special-numbers', (ack) => {
    socket.emit('special', NaN, Infinity, -Infinity, -0, { nan: NaN, inf: Infinity, negzero: -0 });
    ack('done');
  });
  socket.on('no-args', (ack) => {
    socket.emit('empty');
    ack();
  });
  socket.on('binary', (ack) => {
    socket.emit('bin', Buffer.from([1, 2, 3]), {
      label: 'files',
      file: Buffer.from([0, 255, 16, 32]),
      parts: [Buffer.from([9]), { deep: Buffer.from([7, 7]) }],
    });
    ack(Buffer.from([0xca, 0xfe]), { also: Buffer.from([0xba, 0xbe]) });
  });
  socket.on('binary-inspect', (bundle, ack) => {
    ack({
      name: bundle.name,
      dataHex: hex(bundle.data),
      partsHex: bundle.parts.map(hex),
      innerHex: hex(bundle.deep.inner),
      reversed: Buffer.from(bundle.data).reverse(),
    });
  });
  socket.on('join', (room, ack) => {
    socket.join(room);
    ack('joined', room);
  });
  socket.on('leave', (room, ack) => {
    socket.leave(room);
    ack('left', room);
  });
  socket.on('rooms', (ack) => ack('rooms', [...socket.rooms]));
  socket.on('whoami', (ack) => ack(socket.id, socket.nsp.name, socket.data.name));
  socket.on('auth', (ack) => ack('auth', socket.handshake.auth));
  socket.on('bcast', (spec, event, ...args) => {
    const ack = args.pop();
    operator(io, socket, spec).emit(event, ...args);
    ack('sent');
  });
  socket.on('poll', async (spec, ack) => {
    try {
      const responses = await operator(io, socket, spec).timeout(spec.timeout).emitWithAck('poll-question', spec.question);
      ack('answers', responses.sort());
    } catch {
      ack('timeout');
    }
  });
  socket.on('ask', async (timeout, question, ack) => {
    try {
      const answer = await socket.timeout(timeout).emitWithAck('question', question);
      ack('answer', answer);
    } catch {
      ack('timeout');
    }
  });
  socket.on('set-data', (key, value, ack) => {
    socket.data[key] = value;
    ack(socket.data);
  });
  socket.on('fetch', async (room, ack) => {
    const sockets = room ? await socket.nsp.in(room).fetchSockets() : await socket.nsp.fetchSockets();
    ack('sockets', sockets.map((s) => ({ id: s.id, rooms: [...s.rooms], data: s.data })));
  });
  socket.on('sockets-join', (room, target, ack) => {
    socket.nsp.in(room).socketsJoin(target);
    ack('ok');
  });
  socket.on('sockets-leave', (room, target, ack) => {
    socket.nsp.in(room).socketsLeave(target);
    ack('ok');
  });
  socket.on('disconnect-sockets', (room, close, ack) => {
    socket.nsp.in(room).disconnectSockets(close);
    ack('ok');
  });
  socket.on('disconnect-me', (close) => socket.disconnect(close));
  socket.on('throw', () => {
    throw new Error('handler exploded');
  });
  socket.on('throw-async', async () => {
    await Promise.resolve();
    throw new Error('handler exploded');
  });
  socket.on('bin-to-room', (room, ack) => {
    socket.nsp.to(room).emit('bin-news', { file: Buffer.from([1, 2, 3]), list: [Buffer.from([4])] }, Buffer.from([5, 6]));
    ack('sent');
  });
  socket.on('any-log', (ack) => ack(incoming, outgoing));
  // Where a Node app tells a socket's rooms it is leaving: in 'disconnecting' the rooms are still there.
  if (socket.handshake.auth.announceRooms) {
    socket.on('disconnecting', (reason) => {
      const rooms = [...socket.rooms].filter((room) => room !== socket.id).sort();
      socket.nsp.to('observers').emit('leaving', socket.data.name, reason, rooms);
    });
  }
  socket.on('disconnect', (reason) => {
    socket.nsp.to('observers').emit('gone', socket.data.name, reason);
  });
  socket.on('42', (ack) => ack('numeric event'));
}

function configure(io) {
  io.use(mainMiddleware);
  io.on('connection', (socket) => {
    for (const room of socket.handshake.auth.rooms ?? []) socket.join(room);
    handlers(io, socket);
    socket.emit('welcome', socket.nsp.name, socket.data.name, socket.recovered);
  });

  const chat = io.of('/chat');
  chat.use(chatMiddleware);
  chat.on('connection', (socket) => {
    socket.join('lobby');
    for (const room of socket.handshake.auth.rooms ?? []) socket.join(room);
    handlers(io, socket);
    socket.emit('welcome', socket.nsp.name, socket.data.name, socket.recovered);
  });

  const dynamic = io.of(/^\/dyn-\d+$/);
  dynamic.use(dynamicMiddleware);
  dynamic.on('connection', (socket) => {
    for (const room of socket.handshake.auth.rooms ?? []) socket.join(room);
    handlers(io, socket);
    socket.emit('welcome', socket.nsp.name, socket.data.name, socket.recovered);
  });
}

// GET /parity/socket-ids: the ids of every connected socket of every namespace, so the harness can wait,
// between scenarios, until the server has let the last scenario's sockets go (their "gone" broadcasts
// must not reach the next scenario's observers). Other requests are socket.io's.
function socketIds(io) {
  return [...io._nsps.values()].flatMap((nsp) => [...nsp.sockets.keys()]);
}

function listen(extra) {
  let io;
  const http = createServer((req, res) => {
    if (req.url === '/parity/socket-ids') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(socketIds(io)));
    } else if (!res.headersSent && !req.url.startsWith('/socket.io')) {
      res.writeHead(404).end();
    }
  });
  io = new Server(http, { ...options, ...extra });
  configure(io);
  return new Promise((resolve) => {
    http.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${http.address().port}`));
  });
}

const main = await listen({});
const recovery = await listen({ connectionStateRecovery: { maxDisconnectionDuration: 120_000, skipMiddlewares: true } });
console.log(`parity-main ${main}`);
console.log(`parity-recovery ${recovery}`);
