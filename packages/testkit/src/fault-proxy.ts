import { createServer, type Server, Socket } from 'node:net';
import { freePort } from './process-control.ts';

/**
 * A TCP proxy that sits between a service and PostgreSQL or Redis and injects
 * faults on demand: added latency, a stall (bytes held back), and connection
 * resets. Loopback only.
 */
export interface FaultProxy {
  readonly port: number;
  /** `url` with its host and port replaced by the proxy's. */
  readonly url: string;
  /** Delay every chunk in both directions by this many milliseconds (0 turns it off). */
  setLatency(ms: number): void;
  /** Hold all traffic until `resume()`; connections stay open. */
  stall(): void;
  resume(): void;
  /** Destroys every open connection (clients see ECONNRESET). */
  resetAll(): number;
  close(): Promise<void>;
}

export async function startFaultProxy(targetUrl: string): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port);
  const port = await freePort();
  let latency = 0;
  let stalled = false;
  const waiting: (() => void)[] = [];
  const sockets = new Set<Socket>();

  const forward = (from: Socket, to: Socket) => {
    // A chain per direction keeps chunks in order whatever the latency.
    let chain = Promise.resolve();
    from.on('data', (chunk) => {
      chain = chain.then(async () => {
        if (latency > 0) await new Promise((r) => setTimeout(r, latency));
        while (stalled) await new Promise<void>((r) => waiting.push(r));
        if (!to.destroyed) to.write(chunk);
      });
    });
    from.on('close', () => {
      chain.then(() => to.destroy());
    });
    from.on('error', () => to.destroy());
  };

  const server: Server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client);
    sockets.add(upstream);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    upstream.connect(targetPort, target.hostname);
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    port,
    url: url.toString(),
    setLatency(ms) {
      latency = ms;
    },
    stall() {
      stalled = true;
    },
    resume() {
      stalled = false;
      for (const wake of waiting.splice(0)) wake();
    },
    resetAll() {
      const count = sockets.size;
      for (const s of sockets) s.resetAndDestroy();
      sockets.clear();
      return count;
    },
    async close() {
      stalled = false;
      for (const wake of waiting.splice(0)) wake();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
