import { getContainerRuntimeClient, ImageName } from 'testcontainers';

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

/**
 * Containers need a runtime that answers and the two images, present or
 * pullable. An engine without registry access and without the images would
 * only fail later, so it counts as no engine.
 */
async function probeRuntime(): Promise<StackMode> {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error('container runtime probe timed out')), 60_000).unref(),
  );
  const probe = async () => {
    const client = await getContainerRuntimeClient();
    for (const name of [images.postgres(), images.redis()]) {
      const image = ImageName.fromString(name);
      if (!(await client.image.exists(image))) await client.image.pull(image);
    }
  };
  try {
    await Promise.race([probe(), timeout]);
    return 'containers';
  } catch (err) {
    console.log(
      `[testkit] no usable container engine (${String(err).split('\n')[0]}); using local processes`,
    );
    return 'local';
  }
}

/** Image names, overridable so CI can point at locally built stand-ins. */
export const images = {
  postgres: () => process.env.POSTGRES_IMAGE ?? 'postgres:15',
  redis: () => process.env.REDIS_IMAGE ?? 'redis:7',
  haproxy: () => process.env.HAPROXY_IMAGE ?? 'haproxy:2.8',
};
