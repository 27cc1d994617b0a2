// The peer the hub's fan-out is measured against (issue 23): an in-memory Socket.IO 4.8 server on
// Node 20, rooms per subject, no storage, no auth, no consent, WebSocket transport only.
//
//   node loadtest/peer/server.js PORT        (loadtest/run.sh installs it with npm ci and pins it)
//
// Protocol (Engine.IO v4 / Socket.IO v5, default namespace), as the generator speaks it:
//   connect  ws://HOST:PORT/socket.io/?EIO=4&transport=websocket&phone=+1555…
//   emit("follow", subjectPhone, ack)  joins the room of that subject; ack({state:"active"})
//   emit("checkin", {status, note}, ack)  broadcasts "status" to the subject's room, then
//            ack({seq, notified}); the status object has the fields and size of the hub's status
//            frame: {type, phone, status, note, at, seq, channel, late}
// GET /metrics  peer_checkins_total and peer_deliveries_total (text), the peer's own counters.
"use strict";
const http = require("http");
const { Server } = require("socket.io");

const port = Number(process.argv[2] || 18090);
let checkins = 0;
let deliveries = 0;

const httpServer = http.createServer((req, res) => {
  if (req.url === "/metrics") {
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end(`peer_checkins_total ${checkins}\npeer_deliveries_total ${deliveries}\n`);
    return;
  }
  if (req.url === "/health/ready") {
    res.writeHead(200);
    res.end("ok");
    return;
  }
  // Socket.IO answers its own path; anything else is not found.
  if (!req.url.startsWith("/socket.io/")) {
    res.writeHead(404);
    res.end();
  }
});

const io = new Server(httpServer, {
  transports: ["websocket"],
  serveClient: false,
  perMessageDeflate: false,
  httpCompression: false,
  maxHttpBufferSize: 65536,
});

const seqs = new Map();

io.on("connection", (socket) => {
  const phone = String(socket.handshake.query.phone || socket.id);
  socket.on("follow", (subject, ack) => {
    socket.join("s:" + subject);
    if (typeof ack === "function") ack({ phone: subject, state: "active" });
  });
  socket.on("checkin", (m, ack) => {
    const seq = (seqs.get(phone) || 0) + 1;
    seqs.set(phone, seq);
    const room = "s:" + phone;
    const members = io.sockets.adapter.rooms.get(room);
    const notified = members ? members.size : 0;
    const status = {
      type: "status",
      phone,
      status: m && m.status,
      note: m && m.note,
      at: new Date().toISOString(),
      seq,
      channel: "ws",
      late: false,
    };
    // One broadcast: the adapter encodes the packet once and writes it to every member.
    io.to(room).emit("status", status);
    checkins++;
    deliveries += notified;
    if (typeof ack === "function") ack({ seq, notified });
  });
});

httpServer.listen(port, "127.0.0.1", () => {
  console.log(`peer listening on ${port} (socket.io ${require("socket.io/package.json").version}, node ${process.version})`);
});
