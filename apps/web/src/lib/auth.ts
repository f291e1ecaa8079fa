import { type Role, roles } from '@dynapharm/types';
import { STORAGE_KEYS } from './config.ts';

/** A demo user as `/api/auth/dev-users` and `dev-login` return it. */
export interface DemoUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  branches: string[];
}

/** What the console keeps about the signed-in user. */
export interface Session {
  token: string;
  user: DemoUser;
  /** Token expiry, epoch ms (from the JWT `exp`), if it has one. */
  expiresAt: number | undefined;
}

/** Reads the JWT payload without verifying it (the server verifies; the UI only needs hints). */
export function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const json = atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), '='));
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Builds a session from a token, using the claims when no user object is at hand. */
export function sessionFromToken(token: string, user?: DemoUser): Session | undefined {
  const claims = decodeJwtPayload(token);
  if (!claims) return undefined;
  const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  if (exp !== undefined && exp <= Date.now()) return undefined;
  const role = roles.find((r) => r === claims.role);
  if (!role && !user) return undefined;
  const fromClaims: DemoUser = {
    id: String(claims.sub ?? ''),
    email: '',
    name: typeof claims.name === 'string' ? claims.name : String(claims.sub ?? ''),
    role: role ?? 'staff',
    branches: Array.isArray(claims.branches) ? claims.branches.map(String) : [],
  };
  // Branches and role come from the token: that is what the server enforces.
  return {
    token,
    user: { ...fromClaims, ...user, role: fromClaims.role, branches: fromClaims.branches },
    expiresAt: exp,
  };
}

export function loadSession(): Session | undefined {
  const token = localStorage.getItem(STORAGE_KEYS.token);
  if (!token) return undefined;
  let user: DemoUser | undefined;
  try {
    const raw = localStorage.getItem(STORAGE_KEYS.user);
    user = raw ? (JSON.parse(raw) as DemoUser) : undefined;
  } catch {
    user = undefined;
  }
  return sessionFromToken(token, user);
}

export function saveSession(token: string, user: DemoUser) {
  localStorage.setItem(STORAGE_KEYS.token, token);
  localStorage.setItem(STORAGE_KEYS.user, JSON.stringify(user));
}

export function clearSession() {
  localStorage.removeItem(STORAGE_KEYS.token);
  localStorage.removeItem(STORAGE_KEYS.user);
}

/** The current token, read fresh each time (another tab may have signed in again). */
export function currentToken(): string | undefined {
  return localStorage.getItem(STORAGE_KEYS.token) ?? undefined;
}
