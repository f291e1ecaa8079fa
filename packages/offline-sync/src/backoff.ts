export interface BackoffOptions {
  /** Delay after the first failure. @default 1000 */
  initialDelayMs?: number;
  /** Longest delay between two attempts. @default 60000 */
  maxDelayMs?: number;
  /**
   * Server-side failures (5xx, 429, in-progress) an operation may collect before
   * it is set aside as `rejected`. Network errors never count: being offline
   * for a day is normal. @default 10
   */
  maxAttempts?: number;
}

export const defaultBackoff: Required<BackoffOptions> = {
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  maxAttempts: 10,
};

/**
 * Delay before the next attempt: exponential, capped, with jitter between half
 * and the whole step so a branch full of tabs coming back online spreads out.
 * A server's `Retry-After` is a floor.
 */
export function retryDelay(
  attempt: number,
  options: Required<BackoffOptions>,
  random: () => number,
  retryAfterMs = 0,
) {
  const step = Math.min(
    options.maxDelayMs,
    options.initialDelayMs * 2 ** Math.min(Math.max(attempt - 1, 0), 20),
  );
  const jittered = Math.round(step / 2 + random() * (step / 2));
  // The server's Retry-After wins even over maxDelayMs: it knows when it can take the request.
  return Math.max(jittered, retryAfterMs);
}
