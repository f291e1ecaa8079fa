import { defineConfig } from 'vitest/config';

/**
 * Builds the Kubernetes manifests of infra/k8s with `kubectl kustomize`
 * (Debian's `kubernetes-client`, or any kubectl on PATH; KUBECTL names
 * another) and validates every object against the Kubernetes OpenAPI schemas
 * bundled in `kubernetes-models`, offline. Runs as the `test` task of `npm test`.
 */
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
