/** Reconnect delays: exponential with full jitter, so a fleet of clients spreads out. */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random = Math.random) {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 16));
  return Math.round(minMs / 2 + random() * (ceiling - minMs / 2));
}
