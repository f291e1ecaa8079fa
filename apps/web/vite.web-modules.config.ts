import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

const entries = {
  'realtime-client': 'src/web-modules/realtime-client.ts',
  'offline-sync': 'src/web-modules/offline-sync.ts',
  replica: 'src/web-modules/replica.ts',
} as const;

/**
 * The drop-in ES modules for plain HTML pages (`/web-modules/<name>.js`), one
 * self-contained file each, dependencies bundled in. Built once per entry
 * (`--mode realtime-client`, `--mode offline-sync`, `--mode replica`) so no chunk is shared.
 */
export default defineConfig(({ mode }) => {
  if (!(mode in entries)) throw new Error(`unknown web module "${mode}"`);
  const name = mode as keyof typeof entries;
  return {
    resolve: { conditions: ['@dynapharm/source', ...defaultClientConditions] },
    publicDir: false,
    build: {
      outDir: 'dist/web-modules',
      emptyOutDir: false,
      sourcemap: true,
      target: 'es2022',
      minify: true,
      lib: {
        entry: fileURLToPath(new URL(entries[name], import.meta.url)),
        formats: ['es'],
        fileName: () => `${name}.js`,
      },
      rollupOptions: { output: { inlineDynamicImports: true } },
    },
  };
});
