import { defineConfig } from 'vitest/config';

const conditions = ['@dynapharm/source', 'module', 'node', 'development|production'];

/**
 * The compose suite drives the containerised cluster through its front door.
 * It has no `unit`/`int` projects on purpose: `npm test` (turbo `test`,
 * `test:int`) never runs it; `pnpm test:compose` at the root builds the images
 * first and then runs it, on machines with a Docker engine.
 */
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['src/**/*.int.test.ts'],
    // One cluster, one file, tests in order: they share the stack.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
  },
});
