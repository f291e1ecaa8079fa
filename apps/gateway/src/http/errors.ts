import type { ErrorCode } from '@dynapharm/types';

/** An error that becomes a JSON `{ error: { code, message, details } }` response. */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
