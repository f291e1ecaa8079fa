#!/usr/bin/env node
// `pnpm admin-ui-password`: a new password for the Socket.IO Admin UI and the
// bcrypt hash (cost 12) the gateways are configured with
// (ADMIN_UI_PASSWORD_HASH). `--stdin` hashes a password read from standard
// input instead of generating one. Only the hash goes into the environment;
// keep the password in your password manager.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import bcrypt from 'bcryptjs';

const args = process.argv.slice(2);
if (args.some((a) => a !== '--stdin')) {
  console.log('usage: pnpm admin-ui-password [--stdin]');
  process.exit(args.includes('-h') || args.includes('--help') ? 0 : 2);
}
const fromStdin = args.includes('--stdin');
const password = fromStdin
  ? readFileSync(0, 'utf8').replace(/\r?\n$/, '')
  : randomBytes(24).toString('base64url');
if (password.length < 16) {
  console.error('the password must be at least 16 characters');
  process.exit(1);
}
const hash = bcrypt.hashSync(password, 12);
if (!fromStdin) console.log(`password (sign in as ADMIN_UI_USERNAME, default admin): ${password}`);
// Single quotes: compose and shells would expand the `$` of the hash otherwise.
console.log(`ADMIN_UI_PASSWORD_HASH='${hash}'`);
