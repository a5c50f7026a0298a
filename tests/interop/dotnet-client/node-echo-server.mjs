// The Node twin of the Switchboard server in tests/Switchboard.Client.Tests (TestServers.cs): socket.io
// 4.8 with the same handlers and connection state recovery on, so the .NET client's tests run against
// both. Usage: node node-echo-server.mjs [port]; prints "listening <port>" once bound (port 0 = any).
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
const http = createServer();
const io = new Server(http, {
  connectionStateRecovery: {},
  pingInterval: Number(process.env.PING_INTERVAL ?? 25000),
  pingTimeout: Number(process.env.PING_TIMEOUT ?? 20000),
});

function handlers(socket) {
  socket.on('echo', (...args) => {
    const ack = args.pop();
    ack(...args);
  });
  socket.on('echo-event', (...args) => socket.emit('echo-event', ...args));
  socket.on('where', (ack) => ack(socket.nsp.name));
  socket.on('whoami', (ack) => ack(socket.id, socket.handshake.auth.user ?? null));
  socket.on('join', (room, ack) => { socket.join(room); ack(true); });
  socket.on('publish', (room, n, ack) => { io.of(socket.nsp.name).to(room).emit('news', n); ack(true); });
  socket.on('ask', async (question, ack) => {
    const answer = await socket.timeout(5000).emitWithAck('question', question);
    ack(answer);
  });
  // Breaks the connection from the server side, as a network failure would: the client reconnects.
  socket.on('kill', () => socket.conn.close());
}

io.use((socket, next) => {
  if (socket.handshake.auth.refuse) {
    const err = new Error('refused');
    err.data = { code: 42 };
    next(err);
    return;
  }
  next();
});
io.on('connection', handlers);
io.of('/chat').on('connection', handlers);

http.listen(port, '127.0.0.1', () => {
  console.log(`listening ${http.address().port}`);
});
