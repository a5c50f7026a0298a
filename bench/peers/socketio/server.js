// The socket.io 4.8 peer of the Switchboard benchmarks: the same app as bench/Switchboard.BenchServer
// and bench/peers/SignalRPeer. Usage: node server.js [port] (default 5201). Prints "listening" when ready.
"use strict";
const http = require("node:http");
const { Server } = require("socket.io");

const port = Number(process.argv[2] || process.env.PORT || 5201);
const httpServer = http.createServer((req, res) => {
  res.writeHead(404).end();
});
// Defaults otherwise: perMessageDeflate off, ping interval 25 s, ping timeout 20 s.
const io = new Server(httpServer, { serveClient: false });

io.on("connection", (socket) => {
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack("ok");
  });
  socket.on("publish", (room, payload) => {
    io.to(room).emit("msg", payload);
  });
  socket.on("echo", (payload, ack) => {
    if (typeof ack === "function") ack(payload);
  });
});

httpServer.listen(port, "127.0.0.1", 4096, () => {
  console.log(`listening on http://127.0.0.1:${port}`);
});
process.on("SIGTERM", () => process.exit(0));
