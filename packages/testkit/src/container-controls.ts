import { getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { waitForPort } from './process-control.ts';
import type { TestServer } from './server.ts';

/** Stop/start/pause controls on a running container, shared by Redis and PostgreSQL. */
export function containerControls(
  started: StartedTestContainer,
  port: number,
  url: string,
  afterStart: () => Promise<void> = () => waitForPort(port),
): TestServer {
  const handle = async () => (await getContainerRuntimeClient()).container.getById(started.getId());
  return {
    mode: 'containers',
    host: '127.0.0.1',
    port,
    url,
    async stop() {
      await (await handle()).stop({ t: 0 });
    },
    async start() {
      await (await handle()).start();
      await afterStart();
    },
    async restart() {
      await (await handle()).restart({ t: 0 });
      await afterStart();
    },
    async pause() {
      await (await handle()).pause();
    },
    async unpause() {
      await (await handle()).unpause();
    },
    async close() {
      await started.stop({ timeout: 0, remove: true, removeVolumes: true });
    },
  };
}
