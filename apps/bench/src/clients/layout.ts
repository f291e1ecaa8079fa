import type { Target } from './protocol.ts';

/** Subscribers per room, from the targets that connected (all of them when none failed). */
export function roomSizes(targets: readonly Target[]) {
  const sizes = new Map<string, number>();
  for (const t of targets) if (t.room) sizes.set(t.room, (sizes.get(t.room) ?? 0) + 1);
  return sizes;
}

/**
 * Subscriber `i` joins branch `i mod B` on gateway `floor(i / B) mod G`, so
 * every room has members on every gateway (as behind a load balancer) and
 * each source address carries an equal share.
 */
export function layoutTargets(
  count: number,
  branches: readonly string[],
  servers: readonly string[],
  sourceAddresses: number,
  tokens: ReadonlyMap<string, string>,
  idle = false,
): Target[] {
  return Array.from({ length: count }, (_, i) => {
    const branch = branches[i % branches.length] ?? '';
    const server = servers[Math.floor(i / branches.length) % servers.length] ?? '';
    const token = tokens.get(branch);
    return {
      url: server,
      room: idle ? '' : `clients@${branch}`,
      localAddress: `127.0.0.${2 + (i % sourceAddresses)}`,
      ...(token ? { token } : {}),
    };
  });
}
