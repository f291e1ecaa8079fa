import type { z } from 'zod';

/** Field → first message, for showing next to inputs. `(body)` holds form-wide errors. */
export type FieldErrors = Record<string, string>;

/** The first zod issue per field (nested paths such as `items.0.quantity` are kept dotted). */
export function zodFieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)';
    // zod's wording for a missing value reads like a type error; say what the user must do.
    out[path] ??= /received undefined$/.test(issue.message) ? 'required' : issue.message;
  }
  return out;
}

/** Field errors from an API error body's `details.issues` (`[{ path, message }]`). */
export function apiFieldErrors(details: unknown): FieldErrors {
  const out: FieldErrors = {};
  if (typeof details !== 'object' || details === null) return out;
  const issues = (details as { issues?: unknown }).issues;
  if (!Array.isArray(issues)) return out;
  for (const issue of issues) {
    if (typeof issue !== 'object' || issue === null) continue;
    const { path, message } = issue as { path?: unknown; message?: unknown };
    if (typeof path === 'string' && typeof message === 'string') out[path] ??= message;
  }
  return out;
}
