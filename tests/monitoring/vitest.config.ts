import { defineConfig } from 'vitest/config';

/**
 * Checks the monitoring configuration in infra/prometheus and infra/alertmanager
 * with Debian's promtool and amtool (package `prometheus`,
 * `prometheus-alertmanager`). Runs as the `test` task of `npm test`.
 */
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 120_000,
  },
});
