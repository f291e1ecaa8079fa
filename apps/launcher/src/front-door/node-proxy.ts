import {
  Agent,
  type ClientRequestArgs,
  createServer,
  type IncomingMessage,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import { type NetConnectOpts, Socket } from 'node:net';
import { createProxyServer } from 'http-proxy-3';
import type { FrontDoor } from './front-door.ts';
import { AFFINITY_COOKIE, type GatewayTarget, isLoopback, readCookie, routeFor } from './routes.ts';

export interface NodeFrontDoorOptions {
  port: number;
  /** @default '0.0.0.0' */
  host?: string;
  api: { host: string; port: number };
  web: { host: string; port: number };
  gateways: readonly GatewayTarget[];
  /** Gateway health check period. @default 2000 */
  healthIntervalMs?: number;
}

/**
 * Picks gateways the way HAProxy's `cookie SERVERID insert indirect` does: the
 * replica named by the affinity cookie while it is healthy, else the next
 * healthy one in turn (and the response then carries a fresh cookie).
 */
export class GatewayPool {
  private targets: GatewayTarget[] = [];
  private readonly healthy = new Set<string>();
  private next = 0;

  constructor(targets: readonly GatewayTarget[]) {
    this.set(targets);
  }

  /** New targets count as healthy: the launcher adds a replica once its /health answers. */
  set(targets: readonly GatewayTarget[]) {
    const names = new Set(targets.map((t) => t.name));
    for (const t of targets)
      if (!this.targets.some((o) => o.name === t.name)) this.healthy.add(t.name);
    for (const name of [...this.healthy]) if (!names.has(name)) this.healthy.delete(name);
    this.targets = [...targets];
  }

  all(): readonly GatewayTarget[] {
    return this.targets;
  }

  mark(name: string, ok: boolean) {
    if (!this.targets.some((t) => t.name === name)) return;
    if (ok) this.healthy.add(name);
    else this.healthy.delete(name);
  }

  /** The target for a request; `fresh` means the client needs a new cookie. */
  pick(cookie: string | undefined): { target: GatewayTarget; fresh: boolean } | undefined {
    const sticky = this.targets.find((t) => t.name === cookie && this.healthy.has(t.name));
    if (sticky) return { target: sticky, fresh: false };
    const live = this.targets.filter((t) => this.healthy.has(t.name));
    if (live.length === 0) return undefined;
    const target = live[this.next++ % live.length];
    return target ? { target, fresh: true } : undefined;
  }
}

const url = (t: { host: string; port: number }) => `http://${t.host}:${t.port}`;

const peerGone = (err: Error | null | undefined) => {
  const code = (err as NodeJS.ErrnoException | null | undefined)?.code;
  return code === 'EPIPE' || code === 'ECONNRESET';
};

/**
 * A backend connection that survives a failed write. A backend may answer
 * before it has read the whole body and then close (a gateway's 413 for a
 * too-large long-polling POST): forwarding the rest of the body then fails
 * with EPIPE, and Node would destroy the socket with the answer still unread
 * in it. Here the rest of the body is dropped instead, and the answer is read.
 * If none comes, the read side ends and the request fails as before.
 */
class EarlyAnswerSocket extends Socket {
  private writeFailed = false;

  private settle(callback: (error?: Error | null) => void) {
    return (err?: Error | null) => {
      if (peerGone(err)) {
        this.writeFailed = true;
        callback();
      } else callback(err);
    };
  }

  override _write(
    chunk: unknown,
    encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    if (this.writeFailed) callback();
    else super._write(chunk, encoding, this.settle(callback));
  }

  override _writev(
    chunks: { chunk: unknown; encoding: BufferEncoding }[],
    callback: (error?: Error | null) => void,
  ): void {
    if (this.writeFailed) callback();
    else super._writev?.(chunks, this.settle(callback));
  }
}

/** Plain connections (no keep-alive), each an {@link EarlyAnswerSocket}. */
class EarlyAnswerAgent extends Agent {
  override createConnection(options: ClientRequestArgs) {
    return new EarlyAnswerSocket().connect(options as NetConnectOpts);
  }
}

/**
 * The development front door used when HAProxy is not installed: same routes as
 * the generated HAProxy config (`/api`, `/ws` with cookie affinity, `/ws-stats`
 * for loopback clients only, `/`; dot segments refused), WebSocket upgrades
 * included, and a health check that takes dead or draining gateways out of
 * rotation. Not meant for production.
 */
export async function startNodeFrontDoor(options: NodeFrontDoorOptions): Promise<FrontDoor> {
  const pool = new GatewayPool(options.gateways);
  // xfwd: the API (TRUST_PROXY=true) and gateways see the browser's address.
  const proxy = createProxyServer({ xfwd: true, proxyTimeout: 60_000 });
  const freshCookie = new WeakMap<IncomingMessage, string>();
  const agent = new EarlyAnswerAgent();
  const answers = new WeakMap<IncomingMessage, IncomingMessage>();

  proxy.on('proxyRes', (proxyRes, req, res) => {
    answers.set(req, proxyRes);
    // A backend that closes mid-answer must not leave the client waiting for the rest.
    proxyRes.on('error', () => res.destroy());
    const name = freshCookie.get(req);
    if (!name) return;
    const cookie = `${AFFINITY_COOKIE}=${name}; Path=/; HttpOnly; SameSite=Lax`;
    const existing = proxyRes.headers['set-cookie'] ?? [];
    proxyRes.headers['set-cookie'] = [...existing, cookie];
    // Like HAProxy's `nocache`: a shared cache must not hand one replica's cookie to everyone.
    proxyRes.headers['cache-control'] = 'private, no-cache="set-cookie"';
  });
  proxy.on('error', (err, req, res) => {
    if ('writeHead' in res) {
      const response = res as ServerResponse;
      const answer = answers.get(req);
      if (answer) {
        // The backend's answer is the response; an error after it was read in full changes nothing.
        if (!answer.complete) response.destroy();
      } else if (!response.headersSent) {
        response.writeHead(502, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({ error: { code: 'bad_gateway', message: `upstream: ${err.message}` } }),
        );
      } else response.destroy();
    } else (res as Socket).destroy();
  });

  type Refusal = { status: number; code: string; message: string };
  const unavailable: Refusal = { status: 503, code: 'unavailable', message: 'no healthy gateway' };

  const targetFor = (req: IncomingMessage): { target: string } | Refusal => {
    const route = routeFor(req.url ?? '/');
    req.url = route.path;
    switch (route.to) {
      case 'reject':
        return { status: 400, code: 'bad_request', message: 'path not allowed' };
      case 'api':
        return { target: url(options.api) };
      case 'web':
        return { target: url(options.web) };
      case 'gateway-stats': {
        if (!isLoopback(req.socket.remoteAddress)) {
          return { status: 403, code: 'forbidden', message: 'gateway stats are for operators' };
        }
        const picked = pool.pick(undefined);
        return picked ? { target: url(picked.target) } : unavailable;
      }
      case 'gateway': {
        const picked = pool.pick(readCookie(req.headers.cookie, AFFINITY_COOKIE));
        if (!picked) return unavailable;
        if (picked.fresh) freshCookie.set(req, picked.target.name);
        return { target: url(picked.target) };
      }
      default: {
        const unreachable: never = route;
        throw new Error(`unhandled route ${JSON.stringify(unreachable)}`);
      }
    }
  };

  const upgraded = new Set<Socket>();
  const server = createServer((req, res) => {
    const target = targetFor(req);
    if (!('target' in target)) {
      res.writeHead(target.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: target.code, message: target.message } }));
      return;
    }
    proxy.web(req, res, { ...target, agent });
  });
  server.on('upgrade', (req, socket: Socket, head) => {
    const target = targetFor(req);
    if (!('target' in target)) {
      socket.end(
        `HTTP/1.1 ${target.status} ${STATUS_CODES[target.status]}\r\nconnection: close\r\n\r\n`,
      );
      return;
    }
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    proxy.ws(req, socket, head, target);
  });

  const interval = options.healthIntervalMs ?? 2_000;
  const check = async () => {
    await Promise.all(
      pool.all().map(async (t) => {
        try {
          const res = await fetch(`${url(t)}/health`, { signal: AbortSignal.timeout(1_500) });
          await res.body?.cancel();
          pool.mark(t.name, res.status === 200);
        } catch {
          pool.mark(t.name, false);
        }
      }),
    );
  };
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    void check().finally(() => {
      checking = false;
    });
  }, interval);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });

  return {
    kind: 'node',
    children: () => [],
    async setGateways(gateways) {
      pool.set(gateways);
    },
    async close() {
      clearInterval(timer);
      for (const socket of upgraded) socket.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
