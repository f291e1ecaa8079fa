import { resourceNames } from '@dynapharm/types';
import {
  authenticatedErrors,
  bodyErrors,
  contentETag,
  errorResponse,
  internalError,
  jsonResponse,
  notModified,
  requestId,
  signInErrors,
} from './common.ts';
import { schemaRef } from './schemas.ts';

const publicAccess: never[] = [];

/** A GET whose body carries a content-hash ETag and so answers `If-None-Match` with 304. */
function conditional(description: string, schema: object) {
  return {
    200: jsonResponse(description, schema, contentETag),
    304: notModified(contentETag),
  };
}

/** Liveness, readiness and metrics: outside `/api`, no authentication, no CORS. */
export const healthPaths = {
  '/health': {
    get: {
      operationId: 'health',
      tags: ['operations'],
      summary: 'Liveness: the process answers',
      security: publicAccess,
      responses: conditional('alive', schemaRef('Health')),
    },
  },
  '/ready': {
    get: {
      operationId: 'ready',
      tags: ['operations'],
      summary: 'Readiness: PostgreSQL and Redis answer within 2 s and the process is not draining',
      security: publicAccess,
      responses: {
        ...conditional('ready for traffic', schemaRef('Readiness')),
        503: jsonResponse(
          'not ready: a dependency is unavailable or the process is draining',
          schemaRef('Readiness'),
          contentETag,
        ),
      },
    },
  },
  '/metrics': {
    get: {
      operationId: 'metrics',
      tags: ['operations'],
      summary: 'Prometheus metrics in the text exposition format',
      description:
        'Open unless the API has `METRICS_TOKEN`; then it must come as `Authorization: Bearer`.',
      security: [{}, { metricsToken: [] }],
      responses: {
        200: {
          description: 'the current metrics',
          headers: { ...requestId, ...contentETag },
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
        304: notModified(contentETag),
        401: errorResponse('`METRICS_TOKEN` is set and the request does not carry it', [
          'unauthorized',
        ]),
      },
    },
  },
};

export const documentPath = {
  '/api/openapi.json': {
    get: {
      operationId: 'openapi',
      tags: ['operations'],
      summary: 'This document',
      security: publicAccess,
      responses: conditional('the OpenAPI document', { type: 'object' }),
    },
  },
};

const devOnly =
  'Only with `AUTH_MODE=dev`; otherwise the route does not exist (404 or, behind authentication, 401).';

export const authPaths = {
  '/api/auth/dev-users': {
    get: {
      operationId: 'devUsers',
      tags: ['auth'],
      summary: 'The seeded demo users one can log in as',
      description: devOnly,
      security: publicAccess,
      responses: {
        ...conditional('the demo users', schemaRef('DevUsers')),
        ...signInErrors,
        ...internalError,
      },
    },
  },
  '/api/auth/dev-login': {
    post: {
      operationId: 'devLogin',
      tags: ['auth'],
      summary: 'Mint a 12-hour token for a demo user (no password)',
      description: devOnly,
      security: publicAccess,
      requestBody: {
        required: true,
        content: { 'application/json': { schema: schemaRef('DevLoginRequest') } },
      },
      responses: {
        200: jsonResponse('a token and the user it names', schemaRef('DevLogin')),
        400: errorResponse('invalid body', ['bad_request', 'validation_failed', 'malformed_json']),
        404: errorResponse('no such demo user, or dev login is disabled', ['not_found']),
        ...bodyErrors,
        ...signInErrors,
        ...internalError,
      },
    },
  },
  '/api/auth/me': {
    get: {
      operationId: 'me',
      tags: ['auth'],
      summary: 'The caller as the token names them',
      responses: {
        ...conditional('the principal', schemaRef('Me')),
        ...authenticatedErrors('invalid request'),
      },
    },
  },
};

export const changesPath = {
  '/api/changes': {
    get: {
      operationId: 'changes',
      tags: ['sync'],
      summary: 'Your branch-scoped changes after an offset, in offset order',
      description:
        'Without `after` only the head is reported (where a fresh client starts). `resync` is true when `after` is older than retention keeps or newer than the head: reload the snapshot. An offset means something only with its `epoch`. Unknown query parameters are refused with a 400.',
      parameters: [
        {
          name: 'after',
          in: 'query',
          required: false,
          description: 'Offset already applied (up to 15 digits).',
          schema: { type: 'integer', minimum: 0, maximum: 999_999_999_999_999 },
        },
        {
          name: 'resources',
          in: 'query',
          required: false,
          description: 'Only these resources, comma-separated.',
          style: 'form',
          explode: false,
          schema: { type: 'array', items: { type: 'string', enum: [...resourceNames] } },
        },
        {
          name: 'limit',
          in: 'query',
          required: false,
          description: 'Most changes in the page.',
          schema: { type: 'integer', minimum: 1, maximum: 1000, default: 500 },
        },
      ],
      responses: {
        ...conditional('a page of changes', schemaRef('ChangesPage')),
        ...authenticatedErrors('invalid or unknown query parameter'),
        403: errorResponse('your role may read none of the resources asked for', ['forbidden']),
      },
    },
  },
};

export const snapshotPath = {
  '/api/snapshot': {
    get: {
      operationId: 'snapshot',
      tags: ['sync'],
      summary: 'Your live rows, page by page, with the stream position they are consistent with',
      description:
        'The first page reads `offset` (the stream head) and its rows in one database snapshot; follow `nextCursor` until it is null, then apply `/api/changes?after=<offset>&epoch=<epoch>` with version dedupe: the result equals the server. Rows come in resource order, then by id; soft-deleted rows are left out. A page may be short, even empty, while `nextCursor` is set. A cursor carries the resources of the first page: later pages may repeat them or leave `resources` out. Unknown query parameters are refused with a 400.',
      parameters: [
        {
          name: 'resources',
          in: 'query',
          required: false,
          description: 'Resources to read, comma-separated, in this order (default: all).',
          style: 'form',
          explode: false,
          schema: { type: 'array', items: { type: 'string', enum: [...resourceNames] } },
        },
        {
          name: 'limit',
          in: 'query',
          required: false,
          description: 'Most rows in the page.',
          schema: { type: 'integer', minimum: 1, maximum: 1000, default: 500 },
        },
        {
          name: 'cursor',
          in: 'query',
          required: false,
          description: 'The previous page’s `nextCursor` (opaque).',
          schema: { type: 'string', maxLength: 1000 },
        },
      ],
      responses: {
        ...conditional('a page of the snapshot', schemaRef('SnapshotPage')),
        ...authenticatedErrors(
          'invalid or unknown query parameter, or a cursor this API did not issue',
        ),
        403: errorResponse('your role may not read a resource asked for', ['forbidden']),
        409: errorResponse(
          'the stream was restored (another epoch) or trimmed past the snapshot’s offset since its first page: start again without a cursor',
          ['snapshot_expired'],
        ),
      },
    },
  },
};

export const opsPath = {
  '/api/ops/status': {
    get: {
      operationId: 'opsStatus',
      tags: ['operations'],
      summary: 'The relay’s position and lag, and the alerts Prometheus holds (admins)',
      description:
        'The relay part is read from PostgreSQL in one statement: whether an API process holds the relay lock, `relay_state`’s epoch and head, the offset up to which every change was confirmed published, the changes not yet given an offset, and the lag (changes not yet sent, age of the oldest). `alerts` comes from Prometheus’ `/api/v1/alerts` when `PROMETHEUS_URL` is set (`not_configured` otherwise); a Prometheus that fails or is slower than `PROMETHEUS_TIMEOUT_MS` is reported as `unavailable` with a reason, never as an error of this route. Requires the `ops:read` capability (admins). No query parameters.',
      responses: {
        ...conditional('the operations status', schemaRef('OpsStatus')),
        ...authenticatedErrors('unknown query parameter'),
        403: errorResponse('your role may not read the operations status', ['forbidden']),
      },
    },
  },
};
