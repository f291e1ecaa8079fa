import { type ResourceName, type SnapshotPage, snapshotPageSchema } from '@dynapharm/types';
import { type StoredRow, type StreamPosition, toStoredRow } from './rows.ts';

/** A snapshot request that failed; `status` is absent for network errors. */
export class SnapshotError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'SnapshotError';
  }

  /** Retrying later can help (network, 5xx, 429); a 401/403 needs a new token first. */
  get transient(): boolean {
    return this.status === undefined || this.status >= 500 || this.status === 429;
  }
}

export interface SnapshotRequest {
  apiUrl: string;
  resources: readonly ResourceName[];
  token: () => Promise<string | undefined>;
  fetch: typeof fetch;
  pageSize: number;
  timeoutMs: number;
}

export interface Snapshot {
  position: StreamPosition;
  rows: StoredRow[];
  /** Bytes of JSON received, for the benchmarks. */
  bytes: number;
  pages: number;
}

const MAX_RESTARTS = 5;

/**
 * Every page of `GET /api/snapshot`. When the stream's epoch changes between
 * pages (409 `snapshot_expired`) the pages so far belong to another history:
 * start again from the first page.
 */
export async function fetchSnapshot(req: SnapshotRequest): Promise<Snapshot> {
  for (let restart = 0; ; restart++) {
    try {
      return await fetchAllPages(req);
    } catch (err) {
      if (!(err instanceof SnapshotError) || err.code !== 'snapshot_expired') throw err;
      if (restart >= MAX_RESTARTS) throw err;
    }
  }
}

async function fetchAllPages(req: SnapshotRequest): Promise<Snapshot> {
  const rows: StoredRow[] = [];
  let cursor: string | null = null;
  let first: SnapshotPage | undefined;
  let bytes = 0;
  let pages = 0;
  do {
    const url = new URL(`${req.apiUrl.replace(/\/$/, '')}/api/snapshot`, baseHref());
    url.searchParams.set('resources', req.resources.join(','));
    url.searchParams.set('limit', String(req.pageSize));
    if (cursor) url.searchParams.set('cursor', cursor);
    const token = await req.token();
    let res: Response;
    try {
      res = await req.fetch(url, {
        headers: {
          accept: 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        signal: AbortSignal.timeout(req.timeoutMs),
      });
    } catch (err) {
      throw new SnapshotError(`snapshot failed: ${(err as Error).message}`);
    }
    const text = await res.text().catch(() => '');
    bytes += text.length;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new SnapshotError(
        `snapshot failed: HTTP ${res.status}${error?.message ? ` ${error.message}` : ''}`,
        res.status,
        error?.code,
      );
    }
    const parsed = snapshotPageSchema.safeParse(body);
    if (!parsed.success)
      throw new SnapshotError('snapshot failed: the answer is not a snapshot page');
    const page = parsed.data;
    pages++;
    first ??= page;
    if (page.epoch !== first.epoch) {
      throw new SnapshotError('snapshot expired: the epoch changed', 409, 'snapshot_expired');
    }
    for (const item of page.items) {
      const row = toStoredRow(item.resource, item.record);
      if (row && row.deleted === 0) rows.push(row);
    }
    cursor = page.nextCursor;
  } while (cursor);
  return { position: { offset: first.offset, epoch: first.epoch }, rows, bytes, pages };
}

function baseHref(): string | undefined {
  return (globalThis as { location?: { href: string } }).location?.href;
}
