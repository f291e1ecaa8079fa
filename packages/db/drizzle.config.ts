import { defineConfig } from 'drizzle-kit';

// `generate` needs no database; `DATABASE_URL` only matters for `drizzle-kit studio`/`push`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema/index.ts',
  out: './drizzle',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://localhost:5432/dynapharm' },
});
