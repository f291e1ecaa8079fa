import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEnv, EnvError, envFlag, envFragment, productionSecretProblem } from './env.ts';

const web = envFragment(
  {
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    VERBOSE: envFlag.default(false),
    CACHE: envFlag.default(true),
    NAME: z.string().min(3).optional(),
    LOW: z.coerce.number().default(1),
    HIGH: z.coerce.number().default(2),
  },
  (env, issue) => {
    if (env.LOW > env.HIGH) issue('LOW', `must not exceed HIGH (${env.HIGH})`);
    if (env.NODE_ENV === 'production' && env.VERBOSE) issue('VERBOSE', 'not in production');
  },
);
const token = envFragment({ TOKEN: z.string().min(8) });
const env = defineEnv('test-app', [web, token]);

function envError(source: Record<string, string>): EnvError {
  try {
    env.parse(source);
  } catch (err) {
    if (err instanceof EnvError) return err;
    throw err;
  }
  throw new Error('expected an EnvError');
}

describe('defineEnv', () => {
  it('applies each fragment’s defaults and NODE_ENV', () => {
    expect(env.parse({ TOKEN: 'abcdefgh' })).toEqual({
      NODE_ENV: 'development',
      PORT: 3000,
      VERBOSE: false,
      CACHE: true,
      LOW: 1,
      HIGH: 2,
      TOKEN: 'abcdefgh',
    });
    expect(env.variables).toEqual([
      'NODE_ENV',
      'PORT',
      'VERBOSE',
      'CACHE',
      'NAME',
      'LOW',
      'HIGH',
      'TOKEN',
    ]);
  });

  it('treats empty and blank variables as unset, and leaves the source alone', () => {
    const source = {
      TOKEN: 'abcdefgh',
      PORT: '',
      VERBOSE: '',
      CACHE: '  ',
      NAME: '',
      NODE_ENV: '',
    };
    const parsed = env.parse(source);
    expect(parsed).toMatchObject({
      PORT: 3000,
      VERBOSE: false,
      CACHE: true,
      NODE_ENV: 'development',
    });
    expect(parsed.NAME).toBeUndefined();
    expect(source.PORT).toBe('');
    // An empty required variable is missing, not "too short".
    expect(envError({ TOKEN: '' }).message).toMatch(/TOKEN: not set/);
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    [' Yes ', true],
    ['false', false],
    ['False', false],
    ['0', false],
    ['no', false],
  ])('reads the flag %j as %s', (raw, expected) => {
    expect(env.parse({ TOKEN: 'abcdefgh', VERBOSE: raw, CACHE: raw })).toMatchObject({
      VERBOSE: expected,
      CACHE: expected,
    });
  });

  it('refuses a flag it cannot read instead of guessing', () => {
    for (const raw of ['on', 'maybe', '2', 'truthy']) {
      expect(envError({ TOKEN: 'abcdefgh', CACHE: raw }).message).toMatch(
        /CACHE: expected true\/false, 1\/0 or yes\/no/,
      );
    }
  });

  it('names every bad variable in one message', () => {
    const err = envError({ PORT: '70000', CACHE: 'maybe', NAME: 'x', NODE_ENV: 'staging' });
    expect(err.variables).toEqual(['NODE_ENV', 'PORT', 'CACHE', 'NAME', 'TOKEN']);
    expect(err.message.split('\n')[0]).toBe('invalid environment for test-app:');
    for (const name of err.variables) expect(err.message).toMatch(new RegExp(`^  ${name}: `, 'm'));
    expect(err.message).toMatch(/TOKEN: not set/);
  });

  it('reports cross-field checks with the other problems', () => {
    const err = envError({ LOW: '5', HIGH: '3', PORT: 'x', TOKEN: 'abcdefgh' });
    // The check reads PORT's fragment, so it waits until PORT is valid.
    expect(err.variables).toEqual(['PORT']);
    const both = envError({ LOW: '5', HIGH: '3', TOKEN: 'short' });
    expect(both.variables).toEqual(['LOW', 'TOKEN']);
    expect(both.message).toMatch(/LOW: must not exceed HIGH \(3\)/);
    expect(envError({ NODE_ENV: 'production', VERBOSE: 'yes', TOKEN: 'abcdefgh' }).message).toMatch(
      /VERBOSE: not in production/,
    );
  });

  it('refuses two fragments that declare one variable differently', () => {
    expect(() => defineEnv('clash', [token, envFragment({ TOKEN: z.string() })])).toThrow(
      /TOKEN is declared by two env fragments/,
    );
    // The same fragment twice (e.g. through two packages) is fine.
    expect(defineEnv('twice', [token, token]).variables).toEqual(['NODE_ENV', 'TOKEN']);
  });
});

describe('productionSecretProblem', () => {
  it('accepts a random secret', () => {
    expect(productionSecretProblem('Hq3x9Zp2LmN8vB4cR7tY1wK6sD0fG5jA')).toBeUndefined();
  });

  it.each([
    [undefined, /required with NODE_ENV=production/],
    ['Hq3x9Zp2LmN8vB4c', /at least 32 characters/],
    ['dev-only-jwt-secret-change-me-0123456789abcdef', /published in the repository/],
    ['DEV_ONLY_JWT_SECRET_CHANGE_ME_0123456789ABCDEF', /published in the repository/],
    ['CHANGE-ME-generate-with-pnpm-secrets-0123456789', /placeholder \("changeme"\)/],
    ['an-example-value-for-the-docs-only-0123', /placeholder \("example"\)/],
    ['abababababababababababababababab', /too few distinct characters/],
  ])('refuses %j', (value, reason) => {
    expect(productionSecretProblem(value)).toMatch(reason);
  });
});

// Every secret-looking value written in the repository's examples and docs is
// public; production must refuse it (list it in `publishedSecrets` otherwise).
describe('secrets published in the repository', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
  const skip = new Set(['node_modules', 'dist', '.git', '.data', '.docker', '.turbo', '.vitest']);

  function* files(dir: string): Generator<string> {
    for (const name of readdirSync(dir)) {
      if (skip.has(name)) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) yield* files(path);
      else yield path;
    }
  }

  const examples = /(^\.env\.example$|\.md$|\.ya?ml$|\.cfg$|\.sh$)/;
  const assignment =
    /\b[A-Z0-9_]*(?:SECRET|TOKEN|PASSWORD)\b\s*[=:]\s*["']?([A-Za-z0-9._~+/=-]{16,})/g;

  it('are refused as production secrets', () => {
    const scanned: string[] = [];
    for (const path of files(root)) {
      const name = relative(root, path);
      if (!examples.test(name.split('/').pop() ?? '') || name === 'pnpm-lock.yaml') continue;
      scanned.push(name);
      for (const match of readFileSync(path, 'utf8').matchAll(assignment)) {
        const value = match[1] as string;
        expect(productionSecretProblem(value), `${name}: ${value}`).toBeDefined();
      }
    }
    expect(scanned).toEqual(
      expect.arrayContaining(['.env.example', 'docker-compose.yml', 'README.md']),
    );
  });

  it('leave every secret of .env.example empty (`pnpm secrets` fills them in)', () => {
    const example = readFileSync(join(root, '.env.example'), 'utf8');
    const secrets = [...example.matchAll(/^([A-Z_]*(?:SECRET|TOKEN|PASSWORD))=(.*)$/gm)];
    expect(secrets.map((m) => m[1])).toEqual([
      'POSTGRES_PASSWORD',
      'AUTH_JWT_SECRET',
      'PUBLISH_TOKEN',
      'METRICS_TOKEN',
    ]);
    for (const m of secrets) expect(m[2], m[1]).toBe('');
  });
});
