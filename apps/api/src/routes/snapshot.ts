import { type Database, decodeSnapshotCursor, readSnapshot } from '@dynapharm/db';
import { can, resourceNames } from '@dynapharm/types';
import { Router } from 'express';
import { z } from 'zod';
import { authorize, principalOf, scopeOf } from '../http/auth.ts';
import { HttpError, validationError } from '../http/errors.ts';
import { pageLimitParam, resourcesParam } from '../http/query.ts';

const querySchema = z.strictObject({
  resources: resourcesParam(1),
  limit: pageLimitParam,
  cursor: z.string().max(1000).optional(),
});

/**
 * `GET /api/snapshot?resources=a,b&limit=n&cursor=…`: the caller's live rows
 * with the stream position they are consistent with (a `SnapshotPage`). The
 * first page names the resources (all the role may read when absent); later
 * pages pass `nextCursor`, which carries them. Naming a resource the role may
 * not read is a 403.
 */
export function snapshotRouter(db: Database) {
  const router = Router();
  router.get('/', async (req, res) => {
    const parsed = querySchema.safeParse(req.query);
    if (!parsed.success) throw validationError(parsed.error, 'query');
    const { resources, limit, cursor } = parsed.data;
    const decoded = cursor === undefined ? undefined : decodeSnapshotCursor(cursor);
    if (decoded && resources && resources.join(',') !== decoded.resources.join(',')) {
      throw new HttpError(400, 'validation_failed', 'invalid query: resources', {
        issues: [{ path: 'resources', message: 'differs from the resources of the cursor' }],
      });
    }
    const principal = principalOf(req);
    const readable = resourceNames.filter((r) => can(principal.role, r, 'read'));
    // A later page reads the resources its cursor names, whatever the query says.
    for (const resource of decoded?.resources ?? resources ?? readable) {
      authorize(principal, resource, ['read']);
    }
    res.json(
      await readSnapshot(db, {
        scope: scopeOf(principal),
        resources: resources ?? readable,
        limit,
        cursor: decoded,
      }),
    );
  });
  return router;
}
