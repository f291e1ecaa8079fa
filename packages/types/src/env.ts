import { z } from 'zod';

/**
 * Environment fragments: each package declares the variables it owns (with
 * their defaults and cross-field checks) as a fragment, and each app composes
 * the fragments it needs with {@link defineEnv}. Only apps read `process.env`;
 * they hand the parsed values to packages as arguments.
 */

/** `true`/`false`, `1`/`0`, `yes`/`no` (any case); `Boolean("false")` would be true. */
export const envFlag = z
  .string()
  .transform((v) => v.trim().toLowerCase())
  .pipe(
    z.enum(['true', 'false', '1', '0', 'yes', 'no'], {
      error: 'expected true/false, 1/0 or yes/no',
    }),
  )
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const nodeEnvSchema = z.enum(['development', 'production', 'test']).default('development');

export type NodeEnv = z.output<typeof nodeEnvSchema>;

/** Every composed environment has `NODE_ENV`; fragments' checks may read it. */
export interface BaseEnv {
  NODE_ENV: NodeEnv;
}

export type EnvShape = Record<string, z.ZodType>;

export type EnvValues<S extends EnvShape> = z.output<z.ZodObject<S>>;

/** Reports a problem with one variable; every report ends up in the one error. */
export type EnvIssue = (variable: string, message: string) => void;

export interface EnvFragment<S extends EnvShape = EnvShape> {
  readonly shape: S;
  /**
   * Cross-field checks. They run only when the fragment's own variables (and
   * `NODE_ENV`) parsed, so they see valid values.
   */
  check?(env: EnvValues<S> & BaseEnv, issue: EnvIssue): void;
}

export function envFragment<S extends EnvShape>(
  shape: S,
  check?: (env: EnvValues<S> & BaseEnv, issue: EnvIssue) => void,
): EnvFragment<S> {
  return check ? { shape, check } : { shape };
}

/** The environment was invalid; the message names every variable at fault. */
export class EnvError extends Error {
  override readonly name = 'EnvError';
  constructor(
    message: string,
    /** The variables at fault, in declaration order. */
    readonly variables: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Any fragment; `never` lets every check's parameter type through. */
type AnyEnvFragment = { readonly shape: EnvShape; check?(env: never, issue: EnvIssue): void };

type ValuesOf<F> = F extends EnvFragment<infer S> ? EnvValues<S> : never;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (
  x: infer I,
) => void
  ? I
  : never;
type Flatten<T> = { [K in keyof T]: T[K] } & {};

export type ComposedEnv<F extends readonly AnyEnvFragment[]> = Flatten<
  BaseEnv & UnionToIntersection<ValuesOf<F[number]>>
>;

export type EnvSource = Readonly<Record<string, string | undefined>>;

export interface EnvDefinition<T> {
  /** Shown in the error message, e.g. `@dynapharm/api`. */
  readonly name: string;
  /** Every variable the composed environment reads. */
  readonly variables: readonly string[];
  /** Parses `source` (never modified); throws {@link EnvError} naming every bad variable. */
  parse(source: EnvSource): T;
}

/**
 * Composes fragments into an app's environment. Empty (or blank) variables
 * count as unset, as `FOO=` in a compose or `.env` file means "not set".
 */
export function defineEnv<const F extends readonly AnyEnvFragment[]>(
  name: string,
  fragments: F,
): EnvDefinition<ComposedEnv<F>> {
  const shape: Record<string, z.ZodType> = { NODE_ENV: nodeEnvSchema };
  for (const fragment of fragments) {
    for (const [key, schema] of Object.entries(fragment.shape)) {
      if (shape[key] && shape[key] !== schema) {
        throw new Error(`${name}: ${key} is declared by two env fragments with different rules`);
      }
      shape[key] = schema;
    }
  }
  const variables = Object.keys(shape);

  return {
    name,
    variables,
    parse(source) {
      const values: Record<string, unknown> = {};
      const problems = new Map<string, string[]>(variables.map((v) => [v, []]));
      const issue: EnvIssue = (variable, message) => {
        const list = problems.get(variable);
        if (list) list.push(message);
        else problems.set(variable, [message]);
      };
      for (const key of variables) {
        const raw = source[key];
        const present = raw === undefined || raw.trim() === '' ? undefined : raw;
        const result = (shape[key] as z.ZodType).safeParse(present);
        if (result.success) {
          values[key] = result.data;
          continue;
        }
        for (const i of result.error.issues) {
          // Zod says "expected string, received undefined"; say what it means.
          issue(key, present === undefined && i.code === 'invalid_type' ? 'not set' : i.message);
        }
      }
      const failed = (key: string) => (problems.get(key)?.length ?? 0) > 0;
      for (const fragment of fragments) {
        if (!fragment.check) continue;
        if (failed('NODE_ENV') || Object.keys(fragment.shape).some(failed)) continue;
        fragment.check(values as never, issue);
      }
      const bad = [...problems].filter(([, messages]) => messages.length > 0);
      if (bad.length === 0) return values as ComposedEnv<F>;
      const lines = bad.flatMap(([variable, messages]) =>
        messages.map((m) => `  ${variable}: ${m}`),
      );
      throw new EnvError(
        `invalid environment for ${name}:\n${lines.join('\n')}`,
        bad.map(([variable]) => variable),
      );
    },
  };
}

/**
 * Secrets and passwords that are published in this repository (examples,
 * docs, tests): anyone can read them, so production refuses them.
 */
export const publishedSecrets: readonly string[] = [
  // .env.example before `pnpm secrets` existed
  'dev-only-jwt-secret-change-me-0123456789abcdef',
  'dev-only-publish-token-change-me',
  'dynapharm-dev-password-change-me',
  // test suites
  'integration-test-secret-0123456789abcdef',
  'fault-suite-secret-0123456789abcdefghij',
  'fault-suite-publish-token-0123456789',
  'some-other-secret-that-is-long-enough-000',
  'a-secret-that-is-at-least-32-chars-long',
  'publish-token-0123456789',
];

// Compared without case and separators, so `Change_Me` is caught as well.
const placeholderMarks = ['changeme', 'replaceme', 'placeholder', 'example', 'devonly', 'insecure'];

const normalise = (v: string) => v.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * Why `value` is unfit as a production secret (for the message after the
 * variable's name), or `undefined` when it is fine.
 */
export function productionSecretProblem(
  value: string | undefined,
  minLength = 32,
): string | undefined {
  const generate = 'generate one with `pnpm secrets` (docs/operations.md)';
  if (value === undefined) return `required with NODE_ENV=production; ${generate}`;
  if (value.length < minLength) {
    return `must be at least ${minLength} characters with NODE_ENV=production; ${generate}`;
  }
  const plain = normalise(value);
  if (publishedSecrets.some((known) => normalise(known) === plain)) {
    return `is a value published in the repository; ${generate}`;
  }
  const mark = placeholderMarks.find((m) => plain.includes(m));
  if (mark) return `is a placeholder ("${mark}"), not a secret; ${generate}`;
  if (new Set(value).size < 8) return `has too few distinct characters to be random; ${generate}`;
  return undefined;
}
