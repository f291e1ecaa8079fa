import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const globalSetup = fileURLToPath(
  new URL('./packages/testkit/src/global-setup.ts', import.meta.url),
);

/**
 * The vitest config every package uses: a `unit` project (`*.test.ts`) and an
 * `int` project (`*.int.test.ts`) whose global setup starts PostgreSQL and Redis
 * once per run. Workspace packages resolve to their TypeScript sources through
 * the `@dynapharm/source` export condition, so tests never need a build.
 */
export function packageTestConfig() {
  return defineConfig({
    resolve: { conditions: ['@dynapharm/source', 'module', 'node', 'development|production'] },
    ssr: {
      resolve: { conditions: ['@dynapharm/source', 'module', 'node', 'development|production'] },
    },
    test: {
      projects: [
        {
          extends: true,
          test: {
            name: 'unit',
            include: ['src/**/*.test.ts'],
            exclude: ['src/**/*.int.test.ts', '**/node_modules/**'],
          },
        },
        {
          extends: true,
          test: {
            name: 'int',
            include: ['src/**/*.int.test.ts', 'test/**/*.int.test.ts'],
            globalSetup: [globalSetup],
            testTimeout: 60_000,
            hookTimeout: 120_000,
            // Suites share one PostgreSQL and one Redis; two workers fit two cores.
            maxWorkers: 2,
          },
        },
      ],
    },
  });
}
