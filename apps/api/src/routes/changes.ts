import { readChanges } from '@dynapharm/outbox';
import { epoch, resourceNames } from '@dynapharm/types';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { Router } from 'express';
import { z } from 'zod';
import { principalOf, scopeOf } from '../http/auth.ts';
import { validationError } from '../http/errors.ts';

const querySchema = z.strictObject({
  after: z
    .string()
    .regex(/^\d{1,15}$/, 'a non-negative integer offset')
    .transform(Number)
    .optional(),
  epoch: epoch.optional(),
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
 * `GET /api/changes?after=<offset>&epoch=<epoch>&resources=a,b&limit=n`: the
 * caller's branch-scoped changes after an offset, in offset order (a
 * `ChangesPage` of `@dynapharm/types`). Without `after` it only reports where
 * the stream stands (where a fresh client starts).
 */
// biome-ignore lint/suspicious/noExplicitAny: the API's database, whatever its schema
export function changesRouter(db: NodePgDatabase<any>) {
  const router = Router();
  router.get('/', async (req, res) => {
    const parsed = querySchema.safeParse(req.query);
    if (!parsed.success) throw validationError(parsed.error, 'query');
    const { after, epoch, resources, limit } = parsed.data;
    res.json(
      await readChanges(db, { after, epoch, resources, limit, scope: scopeOf(principalOf(req)) }),
    );
  });
  return router;
}
