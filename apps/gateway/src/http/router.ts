import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ADMIN_UI_PATH } from '../admin-ui.ts';
import { hasBearer } from './bearer.ts';
import { HttpError } from './errors.ts';
import { sendError, sendJson } from './respond.ts';

/** What the HTTP routes need from the gateway. */
export interface HttpRoutes {
  info(): Record<string, unknown>;
  /** `ok: false` answers 503 with the body saying why. */
  health(): { ok: boolean; body: Record<string, unknown> };
  stats(): Promise<Record<string, unknown>>;
  /** `GET /devices`: the caller (a user bearer token) sees the devices of their branches. */
  devices(req: IncomingMessage): Promise<unknown>;
  publish(req: IncomingMessage): Promise<Record<string, unknown>>;
  metrics: { registry: Registry; token?: string };
  /** `/admin-ui` and below: the Admin UI's static files; unset (the UI is off) answers 404. */
  adminUi?: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;
  logger: Logger;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/**
 * The gateway's small HTTP surface, served next to Socket.IO (which claims
 * `/ws/` before this handler runs).
 */
export function createRouter(routes: HttpRoutes): Handler {
  const table: Record<string, Partial<Record<string, Handler>>> = {
    '/': { GET: (_req, res) => sendJson(res, 200, routes.info()) },
    '/health': {
      GET: (_req, res) => {
        const { ok, body } = routes.health();
        sendJson(res, ok ? 200 : 503, body);
      },
    },
    '/stats': { GET: async (_req, res) => sendJson(res, 200, await routes.stats()) },
    '/devices': { GET: async (req, res) => sendJson(res, 200, await routes.devices(req)) },
    '/publish': { POST: async (req, res) => sendJson(res, 202, await routes.publish(req)) },
    '/metrics': {
      GET: async (req, res) => {
        const { registry, token } = routes.metrics;
        if (token !== undefined && !hasBearer(req, token)) {
          throw new HttpError(
            401,
            'unauthorized',
            'send the metrics token as Authorization: Bearer',
          );
        }
        const text = await registry.metrics();
        res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
        res.end(text);
      },
    },
  };

  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const methods = table[path];
    try {
      if (routes.adminUi && (path === ADMIN_UI_PATH || path.startsWith(`${ADMIN_UI_PATH}/`))) {
        return await routes.adminUi(req, res, path);
      }
      if (!methods) throw new HttpError(404, 'not_found', `no route for ${path}`);
      const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
      const handler = methods[method];
      if (!handler) {
        res.setHeader('allow', Object.keys(methods).join(', '));
        throw new HttpError(405, 'bad_request', `${req.method} is not allowed on ${path}`);
      }
      await handler(req, res);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) {
        if (err.status >= 500) routes.logger.warn({ path, err: err.message }, 'request failed');
        return sendError(res, err);
      }
      routes.logger.error({ err, path }, 'unexpected error in HTTP handler');
      sendError(res, new HttpError(500, 'internal', 'internal error'));
    }
  };
}
