import { resourceNames } from '@dynapharm/types';
import { z } from 'zod';

/** `limit` of a paged read: 1–1000 rows, 500 by default. */
export const pageLimitParam = z
  .string()
  .regex(/^\d{1,4}$/, 'an integer between 1 and 1000')
  .transform(Number)
  .pipe(z.int().min(1).max(1000))
  .default(500);

/** `resources=a,b`: distinct resource names, at least `min` of them. */
export function resourcesParam(min = 0) {
  return z
    .string()
    .max(500)
    .transform((v) => [...new Set(v.split(',').filter(Boolean))])
    .pipe(z.array(z.enum(resourceNames)).min(min).max(resourceNames.length))
    .optional();
}
