import { runMigrations } from '../migrate.ts';
import { databaseUrlFromEnv } from './database-url.ts';

const url = databaseUrlFromEnv('migrate');
const started = Date.now();
try {
  await runMigrations(url);
  console.log(`migrations applied in ${Date.now() - started} ms`);
} catch (error) {
  console.error('migration failed:', error);
  process.exitCode = 1;
}
