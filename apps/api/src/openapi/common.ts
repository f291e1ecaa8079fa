import type { ErrorCode } from '@dynapharm/types';
import { schemaRef } from './schemas.ts';

const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });
export const parameterRef = (name: string) => ({ $ref: `#/components/parameters/${name}` });

/** Response headers the document names; every response carries `x-request-id`. */
export const headers = {
  RequestId: {
    description:
      'The caller’s `x-request-id` when it is 1-100 word characters, dots or dashes; else a fresh UUID.',
    required: true,
    schema: { type: 'string', pattern: '^[\\w.-]{1,100}$' },
  },
  RecordETag: {
    description: 'The record’s version as a strong validator; send it back in `If-Match`.',
    required: true,
    schema: { type: 'string', pattern: '^"[1-9][0-9]*"$' },
  },
  ContentETag: {
    description: 'A hash of the body; send it in `If-None-Match` to get a 304 while unchanged.',
    required: true,
    schema: { type: 'string', pattern: '^(W/)?"[^"]*"$' },
  },
  IdempotentReplayed: {
    description:
      'Present when the answer is the stored one of an earlier request with the same `Idempotency-Key`.',
    schema: { type: 'string', enum: ['true'] },
  },
  RetryAfter: {
    description: 'Seconds to wait before trying again.',
    required: true,
    schema: { type: 'integer', minimum: 0 },
  },
  RateLimit: {
    description:
      'Writes left in the current window: `"<policy>"; r=<remaining>; t=<seconds until reset>`.',
    required: true,
    schema: { type: 'string', pattern: '^"[^"]+"; r=[0-9]+; t=[0-9]+$' },
  },
  RateLimitPolicy: {
    description:
      'The write quota: `"<policy>"; q=<writes>; w=<window seconds>; pk=:<caller key hash>:`.',
    required: true,
    schema: { type: 'string', pattern: '^"[^"]+"; q=[0-9]+; w=[0-9]+; pk=:[A-Za-z0-9+/=]*:$' },
  },
};

/** Request parameters shared by several operations. */
export const parameters = {
  RecordId: {
    name: 'id',
    in: 'path',
    required: true,
    description: 'A UUID in any letter case; anything else is a 400.',
    schema: { type: 'string', format: 'uuid' },
  },
  IfMatch: {
    name: 'If-Match',
    in: 'header',
    required: false,
    description:
      'Expected version: `"3"`, `W/"3"` or `3`. Takes precedence over the body’s or query’s `version`.',
    schema: { type: 'string', pattern: '^\\s*(W/)?"?[0-9]+"?\\s*$' },
  },
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Makes the write repeatable: a repeat with the same body gets the stored answer (with `Idempotent-Replayed: true`) and has no second effect; another body with the same key is a 422.',
    schema: { type: 'string', pattern: '^[!-~]{1,200}$' },
  },
};

type Headers = Record<string, { $ref: string }>;

export const requestId = { 'x-request-id': headerRef('RequestId') };

/** Headers of a write answer that passed authentication (rate limiting ran). */
export const rateLimitHeaders: Headers = {
  RateLimit: headerRef('RateLimit'),
  'RateLimit-Policy': headerRef('RateLimitPolicy'),
};
export const replayHeader: Headers = { 'Idempotent-Replayed': headerRef('IdempotentReplayed') };
export const recordETag: Headers = { ETag: headerRef('RecordETag') };
export const contentETag: Headers = { ETag: headerRef('ContentETag') };
export const retryAfter: Headers = { 'Retry-After': headerRef('RetryAfter') };

/** Optional versions of documented headers: present on some answers of a status, not all. */
export function optional(h: Headers) {
  const out: Record<string, unknown> = {};
  for (const [name, ref] of Object.entries(h)) {
    const key = ref.$ref.split('/').pop() as keyof typeof headers;
    out[name] = { ...headers[key], required: false };
  }
  return out;
}

/** A JSON answer with a component schema. */
export function jsonResponse(
  description: string,
  schema: object,
  extraHeaders: Record<string, unknown> = {},
) {
  return {
    description,
    headers: { ...requestId, ...extraHeaders },
    content: { 'application/json': { schema } },
  };
}

/** An error answer whose `error.code` is one of `codes`. */
export function errorResponse(
  description: string,
  codes: readonly ErrorCode[],
  extraHeaders: Record<string, unknown> = {},
) {
  return jsonResponse(
    description,
    {
      allOf: [
        schemaRef('Error'),
        {
          type: 'object',
          properties: {
            error: { type: 'object', properties: { code: { type: 'string', enum: [...codes] } } },
          },
        },
      ],
    },
    extraHeaders,
  );
}

/** The conditional-GET answer: the body's ETag matched `If-None-Match`. */
export function notModified(etag: Headers) {
  return {
    description: 'Not modified: the ETag matches `If-None-Match`; no body.',
    headers: { ...requestId, ...etag },
  };
}

const responseRef = (name: keyof typeof responses) => ({
  $ref: `#/components/responses/${name}`,
});

/** Answers several operations share, kept once in `components.responses`. */
export const responses = {
  Unauthorized: errorResponse('missing, malformed, expired or unverifiable bearer token', [
    'unauthorized',
  ]),
  Internal: errorResponse('unexpected server failure (nothing internal is revealed)', ['internal']),
  PayloadTooLarge: errorResponse('the body exceeds 1 MB', ['payload_too_large']),
  UnsupportedMediaType: errorResponse(
    'a body that is not `application/json`, or an unsupported charset or encoding',
    ['unsupported_media_type'],
  ),
  IdempotencyMismatch: errorResponse(
    'the `Idempotency-Key` was already used with another request',
    ['idempotency_mismatch'],
    rateLimitHeaders,
  ),
  RateLimited: errorResponse(
    'too many reads, or too many writes, by this caller in the window (each has its own limit)',
    ['rate_limited'],
    {
      ...rateLimitHeaders,
      ...retryAfter,
    },
  ),
  SignInRateLimited: errorResponse(
    'too many sign-in requests from this address in the window',
    ['rate_limited'],
    { ...rateLimitHeaders, ...retryAfter },
  ),
  Unavailable: errorResponse(
    'the result of a write with an `Idempotency-Key` could not be recorded; retry with the same key',
    ['unavailable'],
    rateLimitHeaders,
  ),
};

const inputErrors: ErrorCode[] = ['bad_request', 'validation_failed', 'malformed_json'];

/** Errors every authenticated `/api` operation can answer (reads and writes are rate-limited). */
export function authenticatedErrors(invalidInput: string) {
  return {
    400: errorResponse(invalidInput, inputErrors),
    401: responseRef('Unauthorized'),
    429: responseRef('RateLimited'),
    500: responseRef('Internal'),
  };
}

/** Errors of every `/api` request that carries a body, before authentication runs. */
export const bodyErrors = {
  413: responseRef('PayloadTooLarge'),
  415: responseRef('UnsupportedMediaType'),
};

/** Errors every authenticated write can answer (rate limiting and `Idempotency-Key`). */
export const writeErrors = {
  422: responseRef('IdempotencyMismatch'),
  429: responseRef('RateLimited'),
  503: responseRef('Unavailable'),
};

export const internalError = { 500: responseRef('Internal') };

/** Errors of the sign-in routes, limited per client address before any token exists. */
export const signInErrors = { 429: responseRef('SignInRateLimited') };
