import { defineEnv, EnvError } from '@dynapharm/types';
import { createDb } from '../client.ts';
import { demoSeedEnv } from '../env.ts';
import { seedDatabase } from '../seed/seed.ts';
import { databaseUrlFromEnv } from './database-url.ts';

try {
  // Running this is asking for demo data, so the rule of DB_SEED=true applies.
  defineEnv('db:seed', [demoSeedEnv]).parse({ ...process.env, DB_SEED: 'true' });
} catch (error) {
  console.error(error instanceof EnvError ? error.message : error);
  process.exit(2);
}
const url = databaseUrlFromEnv('seed');
const { db, close } = createDb(url, { max: 2, applicationName: 'dynapharm-seed' });
const started = Date.now();
try {
  const summary = await seedDatabase(db);
  if (summary.skipped) {
    console.log('seed skipped: the database already has branches');
  } else {
    const counts = Object.entries(summary.counts)
      .map(([name, n]) => `${n} ${name}`)
      .join(', ');
    console.log(`seeded ${counts} in ${Date.now() - started} ms`);
  }
} catch (error) {
  console.error('seed failed:', error);
  process.exitCode = 1;
} finally {
  await close();
}
