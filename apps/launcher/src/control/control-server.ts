import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { MAX_REPLICAS } from '../env.ts';

export interface ControlHandlers {
  status(): Record<string, unknown>;
  scale(replicas: number): Promise<number>;
  /** Replaces every gateway one by one (start, register, then drain the old one). */
  restart(): Promise<object[]>;
  /** Takes a base backup of the embedded PostgreSQL; absent with an external DATABASE_URL. */
  backup?(): Promise<Record<string, unknown>>;
}

const scaleBody = z.strictObject({ replicas: z.number().int().min(1).max(MAX_REPLICAS) });

const send = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify(body)}\n`);
};

const sameToken = (header: string | undefined, token: string) => {
  const given = Buffer.from(header?.replace(/^Bearer\s+/i, '') ?? '');
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
};

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 4_096) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/**
 * The launcher's control endpoint on 127.0.0.1: `GET /status`, `POST /scale
 * {"replicas": n}`, `POST /restart {}` (rolling restart of the gateways), `POST /backup {}`. Every request needs the bearer token from the state file,
 * and a JSON body, so a web page in the operator's browser cannot scale the
 * cluster with a cross-site form post.
 */
export async function startControlServer(options: {
  port: number;
  token: string;
  handlers: ControlHandlers;
}): Promise<Server> {
  const server = createServer(async (req, res) => {
    try {
      if (!sameToken(req.headers.authorization, options.token)) {
        return send(res, 401, { error: 'missing or wrong control token' });
      }
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/status' && req.method === 'GET') {
        return send(res, 200, options.handlers.status());
      }
      if (path === '/scale' && req.method === 'POST') {
        if (!req.headers['content-type']?.startsWith('application/json')) {
          return send(res, 415, { error: 'send application/json' });
        }
        const body = await readJson(req).catch(() => undefined);
        const parsed = scaleBody.safeParse(body);
        if (!parsed.success) {
          return send(res, 400, { error: `replicas must be a whole number 1-${MAX_REPLICAS}` });
        }
        const replicas = await options.handlers.scale(parsed.data.replicas);
        return send(res, 200, { replicas, ...options.handlers.status() });
      }
      if (path === '/restart' && req.method === 'POST') {
        if (!req.headers['content-type']?.startsWith('application/json')) {
          return send(res, 415, { error: 'send application/json' });
        }
        const body = await readJson(req).catch(() => undefined);
        if (!z.strictObject({}).safeParse(body).success) {
          return send(res, 400, { error: 'the body must be an empty JSON object {}' });
        }
        const replaced = await options.handlers.restart();
        return send(res, 200, { replaced, ...options.handlers.status() });
      }
      if (path === '/backup' && req.method === 'POST') {
        if (!req.headers['content-type']?.startsWith('application/json')) {
          return send(res, 415, { error: 'send application/json' });
        }
        const body = await readJson(req).catch(() => undefined);
        if (!z.strictObject({}).safeParse(body).success) {
          return send(res, 400, { error: 'the body must be an empty JSON object {}' });
        }
        if (!options.handlers.backup) {
          return send(res, 409, {
            error: 'PostgreSQL is external (DATABASE_URL): back it up where it runs',
          });
        }
        return send(res, 200, await options.handlers.backup());
      }
      send(res, 404, { error: 'not found' });
    } catch (err) {
      send(res, 500, { error: err instanceof Error ? err.message : String(err) });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
