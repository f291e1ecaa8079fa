import { getContainerRuntimeClient } from 'testcontainers';

/** How the test stack runs its servers. */
export type StackMode = 'containers' | 'local';

let detected: Promise<StackMode> | undefined;

/**
 * Decides once per process whether PostgreSQL and Redis run in containers or as
 * local processes. `DYNAPHARM_TEST_STACK=containers|local` forces a mode; with it
 * unset, containers are used when a container runtime answers.
 */
export function detectStackMode(forced = process.env.DYNAPHARM_TEST_STACK): Promise<StackMode> {
  if (forced === 'containers' || forced === 'local') return Promise.resolve(forced);
  detected ??= probeRuntime();
  return detected;
}

async function probeRuntime(): Promise<StackMode> {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error('container runtime probe timed out')), 10_000).unref(),
  );
  try {
    await Promise.race([getContainerRuntimeClient(), timeout]);
    return 'containers';
  } catch {
    return 'local';
  }
}

/** Image names, overridable so CI can point at locally built stand-ins. */
export const images = {
  postgres: () => process.env.POSTGRES_IMAGE ?? 'postgres:15',
  redis: () => process.env.REDIS_IMAGE ?? 'redis:7',
  haproxy: () => process.env.HAPROXY_IMAGE ?? 'haproxy:2.8',
};
