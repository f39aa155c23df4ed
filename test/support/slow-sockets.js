// Holds many slow sockets against an HTTP listener, as an attacker would: each sends a POST's
// headers with a large Content-Length, then one byte of body every few seconds. Run as a child
// process (a process has a limited number of descriptors):
//   node slow-sockets.js <host> <port> <count> [authorization header value]
// Prints one JSON line once every socket has been tried, and another each second with how many the
// server has closed.
const net = require('node:net');

const [host, port, count, authorization] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), process.argv[5]];
let open = 0;
let closed = 0;
let failed = 0;
const sockets = [];
const head = `POST /v1/readings HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-ndjson\r\nContent-Length: 1000000\r\n${authorization ? `Authorization: ${authorization}\r\n` : ''}\r\n{`;

function openOne(index) {
  return new Promise((resolve) => {
    // From another loopback address than the test's own clients (SLOW_SOCKETS_FROM), as an attacker's
    // address differs from a bike's: the door's per-address cap keeps them apart.
    const socket = net.connect({ port, host, localAddress: process.env.SLOW_SOCKETS_FROM });
    socket.on('connect', () => {
      open += 1;
      socket.write(head);
      resolve();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (socket.connecting || !socket.bytesWritten) failed += 1;
      else closed += 1;
      resolve();
    });
    socket.setNoDelay(true);
    sockets[index] = socket;
  });
}

(async () => {
  for (let start = 0; start < count; start += 500) {
    await Promise.all(Array.from({ length: Math.min(500, count - start) }, (_, i) => openOne(start + i)));
  }
  process.stdout.write(`${JSON.stringify({ event: 'opened', open, closed, failed })}\n`);
  setInterval(() => {
    for (const socket of sockets) if (socket && !socket.destroyed) socket.write('"');
    process.stdout.write(`${JSON.stringify({ event: 'status', open, closed, failed })}\n`);
  }, 1000);
})();
