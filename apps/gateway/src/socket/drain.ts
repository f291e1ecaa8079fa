import type { GatewayServer } from './types.ts';

/**
 * Moves this replica's clients elsewhere without a thundering herd: each gets
 * `server:draining` with its own jittered `reconnectInMs`, and its transport is
 * closed at that moment, spread over `spreadMs`. Closing the transport (rather
 * than a server-side disconnect) makes stock Socket.IO clients reconnect on
 * their own. Resolves when no local socket is left or at `deadline`.
 */
export async function drainSockets(
  io: GatewayServer,
  options: { replicaId: string; spreadMs: number; deadline: number },
): Promise<void> {
  const sockets = io.of('/').sockets;
  const timers: NodeJS.Timeout[] = [];
  for (const socket of sockets.values()) {
    const reconnectInMs = Math.floor(Math.random() * options.spreadMs);
    socket.emit('server:draining', { replicaId: options.replicaId, reconnectInMs });
    // Engine.IO flushes buffered packets (the notice above) before closing.
    timers.push(setTimeout(() => socket.conn.close(), reconnectInMs));
  }
  while (sockets.size > 0 && Date.now() < options.deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const timer of timers) clearTimeout(timer);
}
