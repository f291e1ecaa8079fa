import { defaultClientConditions, defineConfig } from 'vite';

/**
 * The branch console. JSX goes through Vite's own esbuild transform (no Babel,
 * no React plugin: the production build needs neither). Workspace packages
 * resolve to their TypeScript sources, so the console builds without building them first.
 */
export default defineConfig({
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'react' },
  resolve: { conditions: ['@dynapharm/source', ...defaultClientConditions] },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, target: 'es2022' },
  server: {
    proxy: {
      '/api': 'http://localhost:8080',
      '/ws-stats': 'http://localhost:8080',
      '/ws-devices': 'http://localhost:8080',
      '/ws': { target: 'http://localhost:8080', ws: true },
    },
  },
});
