/**
 * The raw Aedes baseline as its own process: Aedes in memory behind a `net` server with Nagle off (as the aiflow
 * server sets its sockets), nothing else. Usage: `node --import tsx bench/aedes-process.ts <port>`; SIGTERM stops it.
 */
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { Aedes } from 'aedes';

const port = Number(process.argv[2]);
if (!Number.isSafeInteger(port) || port <= 0) throw new Error(`usage: aedes-process.ts <port>`);

const aedes = await Aedes.createBroker();
const sockets = new Set<Socket>();
const server = createServer({ noDelay: true }, (socket) => {
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
  aedes.handle(socket);
});
server.listen(port, '127.0.0.1');
await once(server, 'listening');
process.stdout.write(`raw Aedes listening on mqtt://127.0.0.1:${port}\n`);

process.once('SIGTERM', () => {
  aedes.close(() => {
    for (const socket of sockets) socket.destroy();
    server.close(() => process.exit(0));
  });
});
