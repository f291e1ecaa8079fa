import {
  type Principal,
  principalFromClaims,
  type TokenClaims,
  tokenClaimsSchema,
} from '@dynapharm/types';
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify, SignJWT } from 'jose';

export interface TokenVerifierOptions {
  /** HS256 shared secret (`AUTH_JWT_SECRET`). One of `secret` or `jwksUrl` is required. */
  secret?: string;
  /** JWKS endpoint for asymmetric keys (`AUTH_JWKS_URL`). */
  jwksUrl?: string;
  /** Expected `iss`, when set. */
  issuer?: string;
  /** Expected `aud`, when set. */
  audience?: string;
  /** Clock skew allowed between issuer and verifier on `exp`, `nbf` and `iat`. @default 30 */
  clockToleranceSeconds?: number;
}

/** A verified caller and when its token stops being valid (epoch ms). */
export interface VerifiedToken {
  principal: Principal;
  expiresAt?: number;
}

/** Why a token was refused; the message is safe to show to the caller. */
export class TokenError extends Error {
  override readonly name = 'TokenError';
}

export type TokenVerifier = (token: string) => Promise<VerifiedToken>;

/**
 * Builds the verifier API and gateway share: checks signature, expiry and the
 * claims of docs/architecture.md §6, and returns the principal.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  let key: Uint8Array | JWTVerifyGetKey;
  if (options.jwksUrl) key = createRemoteJWKSet(new URL(options.jwksUrl));
  else if (options.secret) key = new TextEncoder().encode(options.secret);
  else throw new Error('createTokenVerifier needs a secret or a jwksUrl');

  // A token without `exp` would be valid, and its socket open, forever.
  const checks = {
    issuer: options.issuer,
    audience: options.audience,
    requiredClaims: ['exp'],
    clockTolerance: options.clockToleranceSeconds ?? 30,
  };
  return async (token) => {
    if (typeof token !== 'string' || token.length === 0 || token.length > 8192) {
      throw new TokenError('missing or oversized token');
    }
    let payload: Record<string, unknown>;
    try {
      const verified =
        typeof key === 'function'
          ? await jwtVerify(token, key, checks)
          : await jwtVerify(token, key, { ...checks, algorithms: ['HS256'] });
      payload = verified.payload;
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new TokenError(code === 'ERR_JWT_EXPIRED' ? 'token expired' : 'invalid token');
    }
    const claims = tokenClaimsSchema.safeParse(payload);
    if (!claims.success) throw new TokenError('token lacks valid sub, role or branches claims');
    const exp = (payload.exp as number) * 1000;
    return { principal: principalFromClaims(claims.data), expiresAt: exp };
  };
}

export interface SignTokenOptions {
  secret: string;
  /** Lifetime, e.g. `'12h'` or seconds. @default '12h' */
  expiresIn?: string | number;
  issuer?: string;
  audience?: string;
}

/** Mints an HS256 token (development login, tests, service tooling). */
export async function signToken(claims: TokenClaims, options: SignTokenOptions): Promise<string> {
  const jwt = new SignJWT({ role: claims.role, branches: claims.branches, name: claims.name })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuedAt()
    // jose reads a number as an absolute time; ours is a lifetime in seconds.
    .setExpirationTime(
      typeof options.expiresIn === 'number'
        ? Math.floor(Date.now() / 1000) + options.expiresIn
        : (options.expiresIn ?? '12h'),
    );
  if (options.issuer) jwt.setIssuer(options.issuer);
  if (options.audience) jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}
