import { createDb } from '../client.ts';
import { seedDatabase } from '../seed/seed.ts';
import { databaseUrlFromEnv } from './database-url.ts';

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
