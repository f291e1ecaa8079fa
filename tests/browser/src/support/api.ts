import pg from 'pg';

/** A versioned record as the API returns it. */
export interface ApiRecord {
  id: string;
  version: number;
  branchId: string;
  [field: string]: unknown;
}

/** The API behind the front door, as a signed-in demo user. */
export async function apiAs(baseUrl: string, userId: string) {
  const login = await fetch(`${baseUrl}/api/auth/dev-login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  if (!login.ok) throw new Error(`dev login as ${userId}: HTTP ${login.status}`);
  const { token, user } = (await login.json()) as {
    token: string;
    user: { id: string; branches: string[] };
  };
  const call = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${baseUrl}/api${path}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    });
    if (!res.ok) throw new Error(`GET /api${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  return {
    user,
    get: (resource: string, id: string) => call<ApiRecord>(`/${resource}/${id}`),
    list: (resource: string, query: string) =>
      call<{ items: ApiRecord[] }>(`/${resource}?${query}`).then((p) => p.items),
  };
}

/** Counts the change history the database holds, straight from `sync_log`. */
export function syncLogReader(databaseUrl: string) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  return {
    /** `sync_log` rows of one record, oldest first. */
    async entries(recordId: string) {
      const { rows } = await pool.query<{ action: string; version: number; origin: string | null }>(
        'SELECT action, version, origin FROM sync_log WHERE record_id = $1 ORDER BY id',
        [recordId],
      );
      return rows;
    },
    close: () => pool.end(),
  };
}

export { eventually } from '@dynapharm/testkit';
