import { resourceNames } from '@dynapharm/types';
import { Router } from 'express';
import type { Pool } from 'pg';
import { z } from 'zod';
import { principalOf } from '../http/auth.ts';
import { validationError } from '../http/errors.ts';
import { SYNC_LOG_COLUMNS, type SyncLogRow, toChangeEvent } from '../relay/rows.ts';

const querySchema = z.strictObject({
  after: z
    .string()
    .regex(/^\d{1,15}$/, 'a non-negative integer offset')
    .transform(Number)
    .optional(),
  resources: z
    .string()
    .max(500)
    .transform((v) => v.split(',').filter(Boolean))
    .pipe(z.array(z.enum(resourceNames)).max(resourceNames.length))
    .optional(),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'an integer between 1 and 1000')
    .transform(Number)
    .pipe(z.int().min(1).max(1000))
    .default(500),
});

/**
 * `GET /api/changes?after=<offset>&resources=a,b&limit=n`: the caller's
 * branch-scoped changes after an offset, in offset order. Without `after` it
 * only reports the head offset (where a fresh client starts). `resync: true`
 * when `after` is older than what retention keeps, or newer than anything
 * published (the client's offset belongs to another history).
 */
export function changesRouter(pool: Pool) {
  const router = Router();
  router.get('/', async (req, res) => {
    const parsed = querySchema.safeParse(req.query);
    if (!parsed.success) throw validationError(parsed.error, 'query');
    const { after, resources, limit } = parsed.data;
    const principal = principalOf(req);

    const state = await pool.query<{ name: string; last_offset: string }>(
      "SELECT name, last_offset FROM relay_state WHERE name IN ('relay', 'trimmed')",
    );
    const head = Number(state.rows.find((r) => r.name === 'relay')?.last_offset ?? 0);
    const trimmed = Number(state.rows.find((r) => r.name === 'trimmed')?.last_offset ?? 0);
    const answer = { head, after: after ?? null, resync: false, hasMore: false, nextAfter: head };

    if (after === undefined) return res.json({ ...answer, changes: [] });
    if (after < trimmed || after > head) return res.json({ ...answer, resync: true, changes: [] });

    const params: unknown[] = [after, head, limit + 1];
    const filters: string[] = [];
    if (principal.role !== 'admin') {
      params.push(principal.branches);
      filters.push(`(branch_id IS NULL OR branch_id = ANY($${params.length}::uuid[]))`);
    }
    if (resources && resources.length > 0) {
      params.push(resources);
      filters.push(`resource = ANY($${params.length}::text[])`);
    }
    const { rows } = await pool.query<SyncLogRow>(
      `SELECT ${SYNC_LOG_COLUMNS} FROM sync_log
        WHERE "offset" > $1 AND "offset" <= $2 ${filters.map((f) => `AND ${f}`).join(' ')}
        ORDER BY "offset" LIMIT $3`,
      params,
    );
    const hasMore = rows.length > limit;
    const page = hasMore ? rows.slice(0, limit) : rows;
    const changes = page.map(toChangeEvent);
    const nextAfter = hasMore ? (changes[changes.length - 1]?.offset ?? after) : head;
    res.json({ ...answer, hasMore, nextAfter, changes });
  });
  return router;
}
