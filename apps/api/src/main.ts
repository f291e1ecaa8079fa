import pino from 'pino';
import { EnvError, loadEnv } from './env.ts';
import { createApiServer } from './server.ts';

let env: ReturnType<typeof loadEnv>;
try {
  env = loadEnv();
} catch (err) {
  console.error(err instanceof EnvError ? err.message : err);
  process.exit(1);
}
const logger = pino({ level: env.LOG_LEVEL, base: { service: 'api', pid: process.pid } });
const api = createApiServer({ config: env, logger });

const { port } = await api.start(env.PORT, env.HOST);
logger.info({ port }, 'api listening');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => process.exit(1), 15_000);
    deadline.unref();
    api.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
