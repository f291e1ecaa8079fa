import type { OperationError, QueuedOperation } from './types.ts';

/** How one attempt of an operation ended. */
export type Outcome =
  | { kind: 'landed'; record: Record<string, unknown> | undefined }
  | { kind: 'rejected'; error: OperationError }
  | { kind: 'conflict'; theirs: Record<string, unknown>; error: OperationError }
  /** Try again later; `counts` says whether it uses up one of `maxAttempts`. */
  | { kind: 'retry'; error: OperationError; retryAfterMs: number; counts: boolean };

export interface TransportConfig {
  apiUrl: string;
  fetch: typeof fetch;
  token: () => Promise<string | undefined>;
  /** Without a token the operation is not sent at all (it belongs to a user not signed in). */
  tokenRequired?: boolean;
  requestTimeoutMs: number;
  now: () => number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The request an operation makes. The body is the same bytes on every retry. */
export function buildRequest(op: QueuedOperation, apiUrl: string) {
  const base = `${apiUrl.replace(/\/+$/, '')}/api/${op.resource}`;
  const headers: Record<string, string> = {
    accept: 'application/json',
    'idempotency-key': op.idempotencyKey,
  };
  if (op.action !== 'create' && op.baseVersion !== undefined) {
    headers['if-match'] = `"${op.baseVersion}"`;
  }
  if (op.action === 'delete') {
    return { url: `${base}/${encodeURIComponent(op.recordId)}`, method: op.method, headers };
  }
  headers['content-type'] = 'application/json';
  const url = op.action === 'create' ? base : `${base}/${encodeURIComponent(op.recordId)}`;
  return { url, method: op.method, headers, body: JSON.stringify(op.data) };
}

function retryAfterMs(res: Response, now: number) {
  const header = res.headers.get('retry-after');
  if (!header) return 0;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? 0 : Math.max(0, date - now);
}

/**
 * Sends one operation and classifies the answer. Never throws: a network
 * failure is an outcome like any other.
 */
export async function sendOperation(
  op: QueuedOperation,
  config: TransportConfig,
): Promise<Outcome> {
  const { url, method, headers, body } = buildRequest(op, config.apiUrl);
  let res: Response;
  try {
    const token = await config.token();
    if (!token && config.tokenRequired) {
      return {
        kind: 'retry',
        error: {
          code: 'unauthorized',
          message: 'waiting for the user who queued this operation to sign in',
          at: config.now(),
        },
        retryAfterMs: 0,
        counts: false,
      };
    }
    if (token) headers.authorization = `Bearer ${token}`;
    res = await config.fetch(url, {
      method,
      headers,
      body,
      signal:
        typeof AbortSignal.timeout === 'function'
          ? AbortSignal.timeout(config.requestTimeoutMs)
          : undefined,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      kind: 'retry',
      error: { code: 'network_error', message, at: config.now() },
      retryAfterMs: 0,
      counts: false,
    };
  }
  const payload: unknown = await res.json().catch(() => undefined);
  if (res.ok) return { kind: 'landed', record: isObject(payload) ? payload : undefined };

  const apiError = isObject(payload) && isObject(payload.error) ? payload.error : undefined;
  const error: OperationError = {
    status: res.status,
    code:
      typeof apiError?.code === 'string'
        ? (apiError.code as OperationError['code'])
        : 'unexpected_response',
    message: typeof apiError?.message === 'string' ? apiError.message : `HTTP ${res.status}`,
    details: apiError?.details,
    at: config.now(),
  };
  const details = isObject(error.details) ? error.details : undefined;
  if (res.status === 409 && error.code === 'version_conflict' && isObject(details?.current)) {
    return { kind: 'conflict', theirs: details.current, error };
  }
  const wait = retryAfterMs(res, config.now());
  // 401: the token expired; a fresh one fixes every operation, so pause rather than reject.
  if (res.status === 401) return { kind: 'retry', error, retryAfterMs: wait, counts: false };
  if (
    res.status >= 500 ||
    res.status === 408 ||
    res.status === 429 ||
    (res.status === 409 && error.code === 'idempotency_in_progress')
  ) {
    return { kind: 'retry', error, retryAfterMs: wait, counts: true };
  }
  return { kind: 'rejected', error };
}

/**
 * True when the server gave a final answer the idempotency store remembers,
 * so sending the same key again would only replay that answer: a new attempt
 * needs a new key. Safe because a 4xx changed nothing on the server.
 */
export function answerIsFinal(error: OperationError | undefined) {
  if (error?.status === undefined) return false;
  const { status, code } = error;
  if (status < 400 || status >= 500) return false;
  return !(
    status === 401 ||
    status === 408 ||
    status === 429 ||
    (status === 409 && code === 'idempotency_in_progress')
  );
}
