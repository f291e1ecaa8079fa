import { epoch, type ResourceName, resourceNames, type SnapshotPage } from '@dynapharm/types';
import { and, asc, eq, gt, isNull, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { BadRequestError, DbError } from './errors.ts';
import { recordJson, scopeCondition, type VersionedTable } from './repositories/core.ts';
import { orderJson } from './repositories/orders.ts';
import {
  branches,
  clients,
  employees,
  orders,
  products,
  relayState,
  reports,
  stock,
} from './schema/index.ts';
import type { Scope } from './scope.ts';
import type { Executor } from './transaction.ts';

const tables: Record<ResourceName, { table: VersionedTable; record: SQL }> = {
  branches: { table: branches, record: recordJson(branches) },
  clients: { table: clients, record: recordJson(clients) },
  products: { table: products, record: recordJson(products) },
  stock: { table: stock, record: recordJson(stock) },
  orders: { table: orders, record: orderJson },
  reports: { table: reports, record: recordJson(reports) },
  employees: { table: employees, record: recordJson(employees) },
};

/** Where the next page of a snapshot starts; travels to the client as an opaque token. */
export interface SnapshotCursor {
  offset: number;
  epoch: string;
  resources: ResourceName[];
  /** Index into `resources` of the resource being read. */
  index: number;
  /** Last id returned of that resource; null: start at its first row. */
  lastId: string | null;
}

const cursorSchema = z.strictObject({
  o: z.int().min(0),
  e: epoch,
  r: z.array(z.enum(resourceNames)).min(1).max(resourceNames.length),
  i: z.int().min(0),
  // Any id PostgreSQL stores as uuid (imported rows need not be RFC 9562 versions).
  l: z.guid().nullable(),
});

export function encodeSnapshotCursor(cursor: SnapshotCursor): string {
  const wire: z.input<typeof cursorSchema> = {
    o: cursor.offset,
    e: cursor.epoch,
    r: cursor.resources,
    i: cursor.index,
    l: cursor.lastId,
  };
  return Buffer.from(JSON.stringify(wire)).toString('base64url');
}

/** Decodes a token of `encodeSnapshotCursor`; anything else is a `BadRequestError` naming `cursor`. */
export function decodeSnapshotCursor(token: string): SnapshotCursor {
  const invalid = (message: string) =>
    new BadRequestError(`invalid cursor: ${message}`, [{ path: 'cursor', message }]);
  if (token.length === 0 || token.length > 1000 || !/^[A-Za-z0-9_-]+$/.test(token)) {
    throw invalid('not a snapshot cursor');
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid('not a snapshot cursor');
  }
  const parsed = cursorSchema.safeParse(json);
  if (!parsed.success || parsed.data.i >= parsed.data.r.length) {
    throw invalid('not a snapshot cursor');
  }
  const { o, e, r, i, l } = parsed.data;
  return { offset: o, epoch: e, resources: r, index: i, lastId: l };
}

/** The stream changed history (a restore or reset) since the snapshot's first page: start over. */
export class SnapshotExpiredError extends DbError {
  readonly code = 'snapshot_expired';
}

export interface SnapshotQuery {
  scope: Scope;
  /** Resources to read, in this order; ignored with a cursor (it carries its own). */
  resources: readonly ResourceName[];
  /** Most rows in the page. */
  limit: number;
  /** The previous page's `nextCursor`, decoded. */
  cursor?: SnapshotCursor;
}

/**
 * One page of a snapshot of the caller's live rows, consistent with a stream
 * position (docs/architecture.md §3.6). The first page reads `relay_state` and
 * its rows in one REPEATABLE READ snapshot; later pages continue by id in
 * their own transactions and only check that the epoch is still the same.
 */
export async function readSnapshot(db: Executor, query: SnapshotQuery): Promise<SnapshotPage> {
  return db.transaction(
    async (tx) => {
      // The first statement fixes the transaction's snapshot: the head it reads
      // and the rows read after it belong to that same snapshot.
      const [state] = await tx
        .select({ epoch: relayState.epoch, head: relayState.head, trimmed: relayState.trimmed })
        .from(relayState)
        .where(eq(relayState.id, 1));
      if (!state) throw new Error('relay_state has no row: the database is not migrated');

      const at: SnapshotCursor = query.cursor ?? {
        offset: state.head,
        epoch: state.epoch,
        resources: [...query.resources],
        index: 0,
        lastId: null,
      };
      // A trimmed offset could not be followed with /api/changes any more.
      if (at.epoch !== state.epoch || at.offset < state.trimmed || at.offset > state.head) {
        throw new SnapshotExpiredError(
          'the change stream was restored or trimmed since this snapshot began; start a new snapshot',
          { epoch: state.epoch },
        );
      }

      const items: SnapshotPage['items'] = [];
      let { index, lastId } = at;
      while (index < at.resources.length && items.length < query.limit) {
        const resource = at.resources[index] as ResourceName;
        const { table, record } = tables[resource];
        const room = query.limit - items.length;
        const rows = await tx
          .select({ id: table.id, record: sql<Record<string, unknown>>`${record}` })
          .from(table)
          .where(
            and(
              scopeCondition(table, query.scope),
              isNull(table.deletedAt),
              lastId === null ? undefined : gt(table.id, lastId),
            ),
          )
          .orderBy(asc(table.id))
          .limit(room + 1);
        for (const row of rows.slice(0, room)) items.push({ resource, record: row.record });
        if (rows.length > room) {
          lastId = rows[room - 1]?.id as string;
          break;
        }
        index += 1;
        lastId = null;
      }
      const nextCursor =
        index < at.resources.length
          ? encodeSnapshotCursor({ ...at, index, lastId: lastId ?? null })
          : null;
      return { epoch: at.epoch, offset: at.offset, items, nextCursor };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}
