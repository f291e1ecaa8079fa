import { signToken } from '@dynapharm/auth';
import { type Role, roles } from '@dynapharm/types';
import { Router } from 'express';
import type { Pool } from 'pg';
import { z } from 'zod';
import { HttpError, validationError } from '../http/errors.ts';

const loginSchema = z.strictObject({ userId: z.string().min(1).max(100) });

interface UserRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  branches: string[];
}

/**
 * Development login (`AUTH_MODE=dev` only): lists the seeded demo users and
 * mints a token for one of them. No password: never mount it in production.
 */
export function devAuthRouter(pool: Pool, secret: string) {
  const router = Router();
  router.get('/dev-users', async (_req, res) => {
    const { rows } = await pool.query<UserRow>(
      'SELECT id, email, name, role, branches FROM users ORDER BY role, id',
    );
    res.json({ users: rows.filter((u) => roles.includes(u.role)) });
  });
  router.post('/dev-login', async (req, res) => {
    const parsed = loginSchema.safeParse(req.body);
    if (!parsed.success) throw validationError(parsed.error);
    const { rows } = await pool.query<UserRow>(
      'SELECT id, email, name, role, branches FROM users WHERE id = $1',
      [parsed.data.userId],
    );
    const user = rows[0];
    if (!user) {
      throw new HttpError(404, 'not_found', 'no such demo user', {
        issues: [{ path: 'userId', message: 'unknown user' }],
      });
    }
    const token = await signToken(
      { sub: user.id, role: user.role, branches: user.branches, name: user.name },
      { secret, expiresIn: '12h' },
    );
    res.json({ token, user });
  });
  return router;
}
