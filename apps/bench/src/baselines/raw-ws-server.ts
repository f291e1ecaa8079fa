import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { type WebSocket, WebSocketServer } from 'ws';

/**
 * Baseline (b): the least a replica can do. Clients open `/raw` and send
 * `{"subscribe":[rooms]}`; the publisher sends `<room>,<room>\n<frame>` on one
 * Redis channel, and each replica writes the pre-encoded frame to every local
 * socket of those rooms (each socket once). No protocol, no acks, no auth.
 */
const port = Number(process.env.PORT);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const channel = `${process.env.REDIS_KEY_PREFIX ?? 'raw'}#raw`;

const rooms = new Map<string, Set<WebSocket>>();
const httpServer = createServer((req, res) => {
  res.writeHead(req.url === '/health' ? 200 : 404).end();
});
const wss = new WebSocketServer({ server: httpServer, path: '/raw', perMessageDeflate: false });
wss.on('connection', (ws) => {
  const joined: string[] = [];
  ws.on('message', (data) => {
    try {
      const message = JSON.parse(data.toString()) as { subscribe?: unknown };
      if (!Array.isArray(message.subscribe)) return;
      for (const room of message.subscribe) {
        if (typeof room !== 'string') continue;
        const set = rooms.get(room) ?? new Set<WebSocket>();
        set.add(ws);
        rooms.set(room, set);
        joined.push(room);
      }
      ws.send('subscribed');
    } catch {
      // A bad message is ignored, like the gateway does.
    }
  });
  ws.on('close', () => {
    for (const room of joined) rooms.get(room)?.delete(ws);
  });
});

const sub = new Redis(redisUrl);
sub.on('messageBuffer', (_channel: Buffer, message: Buffer) => {
  const text = message.toString();
  const newline = text.indexOf('\n');
  const frame = text.slice(newline + 1);
  const names = text.slice(0, newline).split(',');
  if (names.length === 1) {
    for (const ws of rooms.get(names[0] ?? '') ?? []) ws.send(frame);
    return;
  }
  const targets = new Set<WebSocket>();
  for (const name of names) for (const ws of rooms.get(name) ?? []) targets.add(ws);
  for (const ws of targets) ws.send(frame);
});
await sub.subscribe(channel);
httpServer.listen(port, '127.0.0.1');

const stop = () => {
  wss.close();
  sub.disconnect();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
