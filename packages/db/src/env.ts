import { envFlag, envFragment, productionSecretProblem } from '@dynapharm/types';
import { z } from 'zod';

/** `DATABASE_URL` and `DATABASE_POOL_MAX`: the connection of an app that queries PostgreSQL. */
export const databaseEnv = envFragment(
  {
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(20),
  },
  (env, issue) => {
    if (env.NODE_ENV !== 'production') return;
    const password = decodeURIComponent(new URL(env.DATABASE_URL).password);
    // No password (peer or certificate auth) and its length are PostgreSQL's
    // business; a password everyone can read is ours.
    const problem = password ? productionSecretProblem(password, 1) : undefined;
    if (problem) issue('DATABASE_URL', `its password ${problem}`);
  },
);

/**
 * `DB_SEED`: whether the deployment asked for the demo branches, records and
 * users (whom `AUTH_MODE=dev` lets anyone impersonate). Production refuses it,
 * so every app that might run with such a request refuses to start.
 */
export const demoSeedEnv = envFragment({ DB_SEED: envFlag.default(false) }, (env, issue) => {
  if (env.NODE_ENV === 'production' && env.DB_SEED) {
    issue(
      'DB_SEED',
      'demo data (users anyone can log in as) is refused with NODE_ENV=production; set DB_SEED=false, or NODE_ENV=development for a demo',
    );
  }
});
