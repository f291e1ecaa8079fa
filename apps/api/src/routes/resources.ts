import {
  createRepositories,
  type Database,
  decodeHistoryCursor,
  readHistory,
  type WriteContext,
} from '@dynapharm/db';
import {
  id,
  type ResourceName,
  resourceNames,
  resourceSchemas,
  updateActions,
} from '@dynapharm/types';
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { authorize, principalOf, scopeOf } from '../http/auth.ts';
import { HttpError, validationError } from '../http/errors.ts';
import { idempotencyClaim, reusedKeyCheck, sendWriteOutcome } from '../http/idempotency.ts';

const uuid = id;

const listQuerySchema = z.strictObject({
  branchId: uuid.optional(),
  status: z.string().max(40).optional(),
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
  updated_since: z.iso.datetime({ offset: true }).optional(),
  cursor: z.string().max(500).optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'an integer between 1 and 500')
    .transform(Number)
    .pipe(z.int().min(1).max(500))
    .optional(),
  include_deleted: z.enum(['true', 'false']).optional(),
});

const historyQuerySchema = z.strictObject({
  cursor: z.string().max(100).optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'an integer between 1 and 200')
    .transform(Number)
    .pipe(z.int().min(1).max(200))
    .default(50),
});

const versionSchema = z.int().min(1).max(2_147_483_647);

/** Expected version from `If-Match` (`"3"`, `W/"3"` or `3`) or, failing that, the body's `version`. */
function expectedVersion(
  req: Request,
  bodyVersion: unknown,
  required: boolean,
): number | undefined {
  const header = req.get('if-match');
  const raw =
    header !== undefined ? header.replace(/^W\//, '').replace(/"/g, '').trim() : bodyVersion;
  if (raw === undefined) {
    if (!required) return undefined;
    throw new HttpError(
      428,
      'bad_request',
      'send the expected version (If-Match or body.version)',
      {
        issues: [{ path: 'version', message: 'required' }],
      },
    );
  }
  const parsed = versionSchema.safeParse(
    typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw,
  );
  if (!parsed.success) {
    throw new HttpError(400, 'validation_failed', 'invalid version', {
      issues: [
        { path: header !== undefined ? 'If-Match' : 'version', message: 'a positive integer' },
      ],
    });
  }
  return parsed.data;
}

function idParam(req: Request): string {
  const parsed = uuid.safeParse(req.params.id);
  if (!parsed.success) {
    throw new HttpError(400, 'validation_failed', 'invalid id', {
      issues: [{ path: 'id', message: 'must be a UUID' }],
    });
  }
  return parsed.data.toLowerCase();
}

/** Who writes, within which branches, and the request's idempotency key (also the change's origin). */
function context(req: Request, res: Response): WriteContext {
  const principal = principalOf(req);
  const idempotency = idempotencyClaim(res);
  return {
    scope: scopeOf(principal),
    actor: principal.userId,
    origin: idempotency?.key,
    idempotency,
  };
}

function sendRecord(res: Response, record: { version: number }) {
  res.setHeader('ETag', `"${record.version}"`);
  res.json(record);
}

/**
 * `/api/<resource>` for every resource: list, get, create, versioned PATCH and
 * soft DELETE. The caller's role is checked against the permission matrix
 * first (403); bodies are validated with the shared schemas; branch scope is
 * enforced by the repositories (rows outside it do not exist for the caller).
 */
export function resourcesRouter(db: Database) {
  const router = Router();
  const repos = createRepositories(db);

  for (const resource of resourceNames) {
    const repo = repos[resource as ResourceName];
    const schemas = resourceSchemas[resource];
    const base = `/${resource}`;

    router.get(base, async (req, res) => {
      authorize(principalOf(req), resource, ['read']);
      const parsed = listQuerySchema.safeParse(req.query);
      if (!parsed.success) throw validationError(parsed.error, 'query');
      const q = parsed.data;
      const page = await repo.list({
        scope: scopeOf(principalOf(req)),
        branchId: q.branchId?.toLowerCase(),
        status: q.status,
        from: q.from,
        to: q.to,
        updatedSince: q.updated_since,
        cursor: q.cursor,
        limit: q.limit,
        includeDeleted: q.include_deleted === 'true',
      });
      res.json(page);
    });

    router.get(`${base}/:id`, async (req, res) => {
      authorize(principalOf(req), resource, ['read']);
      const record = await repo.get(idParam(req), scopeOf(principalOf(req)));
      sendRecord(res, record);
    });

    // The record's changes, newest first. Scoped like a read of the record
    // (another branch's id is a 404, like a missing one), deleted records
    // included: their history ends with the delete.
    router.get(`${base}/:id/history`, async (req, res) => {
      const principal = principalOf(req);
      authorize(principal, resource, ['read']);
      const id = idParam(req);
      const parsed = historyQuerySchema.safeParse(req.query);
      if (!parsed.success) throw validationError(parsed.error, 'query');
      const { limit } = parsed.data;
      const cursor =
        parsed.data.cursor === undefined ? undefined : decodeHistoryCursor(parsed.data.cursor);
      await repo.get(id, scopeOf(principal), { includeDeleted: true });
      const page = await readHistory(db, { resource, id, cursor, limit });
      res.json({ resource, id, ...page });
    });

    router.post(base, async (req, res) => {
      authorize(principalOf(req), resource, ['create']);
      const parsed = schemas.create.safeParse(req.body);
      if (!parsed.success) throw validationError(parsed.error);
      // Parsed once, here; `never` bridges the per-resource input types.
      const command = { op: 'create', input: parsed.data } as const;
      sendWriteOutcome(res, await repo.write(command as never, context(req, res)));
    });

    router.patch(`${base}/:id`, async (req, res) => {
      const body: unknown = req.body;
      authorize(principalOf(req), resource, updateActions(resource, body));
      const id = idParam(req);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new HttpError(400, 'validation_failed', 'body must be a JSON object', {
          issues: [{ path: '(body)', message: 'expected an object' }],
        });
      }
      const { version, ...patch } = body as Record<string, unknown>;
      const expected = expectedVersion(req, version, true) as number;
      const parsed = schemas.update.safeParse(patch);
      if (!parsed.success) throw validationError(parsed.error);
      const command = { op: 'update', id, patch: parsed.data, expectedVersion: expected } as const;
      sendWriteOutcome(res, await repo.write(command as never, context(req, res)));
    });

    router.delete(`${base}/:id`, async (req, res) => {
      authorize(principalOf(req), resource, ['delete']);
      const id = idParam(req);
      const queryVersion = typeof req.query.version === 'string' ? req.query.version : undefined;
      const expected = expectedVersion(req, queryVersion, false);
      const command = { op: 'remove', id, expectedVersion: expected } as const;
      sendWriteOutcome(res, await repo.write(command as never, context(req, res)));
    });
  }
  router.use(reusedKeyCheck);
  return router;
}
