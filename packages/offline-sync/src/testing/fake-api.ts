/**
 * An in-memory stand-in for the API's write endpoints, with the same rules the
 * real one has (client ids, expected versions, idempotency keys), for unit
 * tests. The integration test runs the real API.
 */
export interface FakeRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown> | undefined;
}

/** What the server does with a request: normally `'serve'`. */
export type Behaviour =
  | 'serve'
  /** Never reaches the server. */
  | 'offline'
  /** Reaches the server and commits, but the answer is lost. */
  | 'lose-response'
  | { status: number; code: string; headers?: Record<string, string> };

type Row = Record<string, unknown> & { id: string; version: number };

export function createFakeApi() {
  const rows = new Map<string, Row>();
  const keys = new Map<string, { hash: string; status: number; body: unknown }>();
  const requests: FakeRequest[] = [];
  /** Every write that changed a row, like `sync_log`. */
  const effects: { resource: string; id: string; version: number; key: string | undefined }[] = [];
  let behave: (req: FakeRequest) => Behaviour = () => 'serve';

  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });
  const error = (status: number, code: string, details?: unknown) => ({
    status,
    body: { error: { code, message: code, details } },
  });

  function handle(req: FakeRequest): { status: number; body: unknown } {
    const [, , resource, id] = req.path.split('/');
    const key = `${resource}/${id ?? req.body?.id}`;
    const ifMatch = req.headers['if-match']?.replace(/"/g, '');
    if (req.method === 'POST') {
      const body = req.body ?? {};
      const existing = rows.get(key);
      if (existing) return { status: 200, body: existing };
      const row: Row = { ...body, id: String(body.id), version: 1, deletedAt: null };
      rows.set(key, row);
      effects.push({
        resource: String(resource),
        id: row.id,
        version: 1,
        key: req.headers['idempotency-key'],
      });
      return { status: 201, body: row };
    }
    const current = rows.get(key);
    if (!current) return error(404, 'not_found');
    if (req.method === 'PATCH' && ifMatch === undefined) return error(428, 'bad_request');
    if (ifMatch !== undefined && Number(ifMatch) !== current.version) {
      return error(409, 'version_conflict', { current, expectedVersion: Number(ifMatch) });
    }
    const next: Row =
      req.method === 'DELETE'
        ? { ...current, deletedAt: 'now', version: current.version + 1 }
        : { ...current, ...req.body, version: current.version + 1 };
    rows.set(key, next);
    effects.push({
      resource: String(resource),
      id: next.id,
      version: next.version,
      key: req.headers['idempotency-key'],
    });
    return { status: 200, body: next };
  }

  const fetchImpl = async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://fake.local');
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const body =
      typeof init.body === 'string'
        ? (JSON.parse(init.body) as Record<string, unknown>)
        : undefined;
    const req: FakeRequest = { method: init.method ?? 'GET', path: url.pathname, headers, body };
    requests.push(req);
    const behaviour = behave(req);
    if (behaviour === 'offline') throw new TypeError('Failed to fetch');
    if (typeof behaviour === 'object') {
      return json(
        behaviour.status,
        { error: { code: behaviour.code, message: behaviour.code } },
        behaviour.headers,
      );
    }
    const idemKey = headers['idempotency-key'];
    const hash = `${req.method} ${req.path} ${init.body ?? ''}`;
    const stored = idemKey ? keys.get(idemKey) : undefined;
    let answer: { status: number; body: unknown; replayed?: boolean };
    if (stored) {
      if (stored.hash !== hash) answer = error(422, 'idempotency_mismatch');
      else answer = { ...stored, replayed: true };
    } else {
      answer = handle(req);
      if (idemKey && answer.status < 500) keys.set(idemKey, { hash, ...answer });
    }
    if (behaviour === 'lose-response') throw new TypeError('Failed to fetch');
    return json(
      answer.status,
      answer.body,
      answer.replayed ? { 'idempotent-replayed': 'true' } : {},
    );
  };

  return {
    fetch: fetchImpl as typeof fetch,
    rows,
    requests,
    effects,
    /** Decides what happens to each following request. */
    setBehaviour(fn: (req: FakeRequest) => Behaviour) {
      behave = fn;
    },
    /** Writes a row directly, as another user would. */
    seed(resource: string, row: Row) {
      rows.set(`${resource}/${row.id}`, row);
    },
  };
}

export type FakeApi = ReturnType<typeof createFakeApi>;
