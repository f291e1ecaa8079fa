import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

/**
 * Baseline (a): the bare Socket.IO + Redis adapter replica. Same transport
 * settings as the gateway (path `/ws`, no compression), no auth, no
 * authorization, no rate limit, no metrics: `subscribe` joins whatever it is
 * asked. Anything the gateway costs beyond this is our features' cost.
 */
const port = Number(process.env.PORT);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.REDIS_KEY_PREFIX ?? 'socket.io';

const pub = new Redis(redisUrl);
const sub = pub.duplicate();
const httpServer = createServer((req, res) => {
  res.writeHead(req.url === '/health' ? 200 : 404).end();
});
const io = new Server(httpServer, {
  path: '/ws',
  adapter: createAdapter(pub, sub, { key: prefix }),
  serveClient: false,
  transports: ['polling', 'websocket'],
  perMessageDeflate: false,
  httpCompression: false,
});
io.on('connection', (socket) => {
  Reflect.set(socket.conn, 'request', null);
  socket.on('subscribe', (channels: unknown, ack: unknown) => {
    const rooms = Array.isArray(channels) ? channels.filter((c) => typeof c === 'string') : [];
    socket.join(rooms);
    if (typeof ack === 'function') ack({ granted: rooms, denied: [] });
  });
});
await sub.ping();
httpServer.listen(port, '127.0.0.1');

const stop = () => {
  io.close();
  pub.disconnect();
  sub.disconnect();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
