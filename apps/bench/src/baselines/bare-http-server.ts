import { randomUUID } from 'node:crypto';
import express from 'express';
import pg from 'pg';

/**
 * Baseline (d): the write endpoint a user would put together instead of ours.
 * Express 5 with `express.json` (the API's settings), a `pg` Pool as large as
 * the API's, and one INSERT … RETURNING per request into a plain table with the
 * columns of `clients`. No auth, no validation beyond what PostgreSQL does, no
 * versioning, no sync_log, no idempotency, no logging, no metrics.
 */

const bareHttpTable = 'bench_bare_http_clients';

const port = Number(process.env.PORT);
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_MAX ?? 20),
});
pool.on('error', () => {});

// Same columns, types and defaults as `clients`; only the primary key, like the
// plain-INSERT baseline's table: no foreign key, secondary index or trigger.
await pool.query(`CREATE TABLE IF NOT EXISTS ${bareHttpTable} (
  id uuid PRIMARY KEY,
  created_at timestamp (3) with time zone NOT NULL DEFAULT now(),
  updated_at timestamp (3) with time zone NOT NULL DEFAULT now(),
  last_synced_at timestamp (3) with time zone,
  version integer NOT NULL DEFAULT 1,
  deleted_at timestamp (3) with time zone,
  branch_id uuid NOT NULL,
  full_name text NOT NULL,
  email text,
  phone text,
  address text NOT NULL DEFAULT '',
  notes text NOT NULL DEFAULT ''
)`);

const insert = `INSERT INTO ${bareHttpTable} (id, branch_id, full_name, email, phone, address, notes)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id, branch_id AS "branchId", full_name AS "fullName", email, phone, address, notes,
  version, created_at AS "createdAt", updated_at AS "updatedAt",
  last_synced_at AS "lastSyncedAt", deleted_at AS "deletedAt"`;

const app = express();
app.use(express.json({ limit: '1mb', strict: true, type: 'application/json' }));
app.get('/health', (_req, res) => {
  res.status(200).end();
});
app.post('/api/clients', async (req, res) => {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const { rows } = await pool.query(insert, [
    randomUUID(),
    body.branchId,
    body.fullName,
    body.email ?? null,
    body.phone ?? null,
    body.address ?? '',
    body.notes ?? '',
  ]);
  res.status(201).json(rows[0]);
});

const server = app.listen(port, '127.0.0.1');

const stop = () => {
  server.close();
  void pool.end().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
