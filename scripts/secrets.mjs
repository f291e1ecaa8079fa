#!/usr/bin/env node
// `pnpm secrets [file]`: writes the compose environment (default `.env` in the
// repository root, which `docker compose` reads) from `.env.example`, with
// fresh random values for every secret. It never overwrites a file: secrets
// already in use (the PostgreSQL volume keeps its first password) must not be
// replaced behind the operator's back.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
if (args.includes('-h') || args.includes('--help') || args.length > 1) {
  console.log('usage: pnpm secrets [file]   (default: .env; never overwrites)');
  process.exit(args.length > 1 ? 2 : 0);
}
const target = resolve(process.cwd(), args[0] ?? join(root, '.env'));
const shown = relative(process.cwd(), target).startsWith('..')
  ? target
  : relative(process.cwd(), target);

// POSTGRES_PASSWORD goes into a URL, so hex; the others are base64url.
const generators = {
  POSTGRES_PASSWORD: () => randomBytes(24).toString('hex'),
  AUTH_JWT_SECRET: () => randomBytes(48).toString('base64url'),
  PUBLISH_TOKEN: () => randomBytes(32).toString('base64url'),
  METRICS_TOKEN: () => randomBytes(32).toString('base64url'),
};

const filled = new Set();
const lines = readFileSync(join(root, '.env.example'), 'utf8')
  .split('\n')
  .map((line) => {
    const name = /^([A-Z0-9_]+)=/.exec(line)?.[1];
    if (!name || !(name in generators)) return line;
    filled.add(name);
    return `${name}=${generators[name]()}`;
  });
const missing = Object.keys(generators).filter((name) => !filled.has(name));
if (missing.length > 0) {
  console.error(`.env.example has no line for ${missing.join(', ')}; nothing written`);
  process.exit(1);
}

const header = `# Written by \`pnpm secrets\` on ${new Date().toISOString()} from .env.example.\n# Keep it private (mode 600, ignored by git).\n`;
try {
  // `wx`: fails if the file exists, also when two runs race.
  writeFileSync(target, header + lines.join('\n'), { flag: 'wx', mode: 0o600 });
} catch (err) {
  if (err.code !== 'EEXIST') throw err;
  console.error(
    `${shown} already exists; not overwriting it.\n` +
      'Its secrets may be in use (the PostgreSQL volume keeps its first password). To start\n' +
      'over: `docker compose down -v`, remove the file, then run `pnpm secrets` again.',
  );
  process.exit(1);
}
console.log(
  `wrote ${shown} with new ${[...filled].join(', ')}\n` +
    'next: pnpm docker:build && docker compose up -d   (docs/operations.md)',
);
