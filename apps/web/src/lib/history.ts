import { type HistoryPage, historyPageSchema, type ResourceName } from '@dynapharm/types';
import { ApiError, apiFetch } from './api.ts';

/**
 * One page of a record's history, newest change first (`GET
 * /api/<resource>/<id>/history`). The answer is parsed with the shared schema:
 * a page that does not parse is an error, never half shown.
 */
export async function fetchHistory(
  resource: ResourceName,
  id: string,
  cursor?: string,
): Promise<HistoryPage> {
  const qs = new URLSearchParams({ limit: '20' });
  if (cursor) qs.set('cursor', cursor);
  const body = await apiFetch<unknown>(
    `/api/${resource}/${encodeURIComponent(id)}/history?${qs.toString()}`,
  );
  const parsed = historyPageSchema.safeParse(body);
  if (!parsed.success) throw new ApiError(0, 'unexpected_response', 'unreadable history page');
  return parsed.data;
}
