import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { createTemplateDatabase } from './database.ts';
import { detectStackMode } from './mode.ts';
import { startPostgres } from './postgres.ts';
import { startRedis } from './redis.ts';
import type { StackInfo } from './stack-info.ts';

const TEMPLATE = 'dynapharm_template';
const migrationsFolder = fileURLToPath(new URL('../../db/drizzle', import.meta.url));

/**
 * Vitest global setup of the `int` project: starts one PostgreSQL and one Redis
 * for the whole run, prepares the migrated template database and hands the
 * addresses to tests through `provide`.
 */
export default async function setup(project: TestProject) {
  const mode = await detectStackMode();
  const started = Date.now();
  const [postgres, redis] = await Promise.all([startPostgres({ mode }), startRedis({ mode })]);
  await createTemplateDatabase(postgres.url, TEMPLATE, migrationsFolder);
  console.log(
    `[testkit] test stack mode: ${mode} (PostgreSQL :${postgres.port}, Redis :${redis.port}, ready in ${Date.now() - started} ms)`,
  );
  const info: StackInfo = {
    mode,
    postgresAdminUrl: postgres.url,
    templateDatabase: TEMPLATE,
    redisUrl: redis.url,
  };
  project.provide('stack', info);
  return async () => {
    await Promise.allSettled([postgres.close(), redis.close()]);
  };
}
