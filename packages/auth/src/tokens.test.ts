import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokenVerifier, signToken, TokenError } from './tokens.ts';

const secret = 'test-secret-that-is-long-enough-0123456789';
const branch = '0193a1b2-0000-7000-8000-000000000001';

describe('tokens', () => {
  it('round-trips claims into a principal', async () => {
    const token = await signToken({ sub: 'u1', role: 'staff', branches: [branch] }, { secret });
    const { principal, expiresAt } = await createTokenVerifier({ secret })(token);
    expect(principal).toEqual({ userId: 'u1', role: 'staff', branches: [branch], name: undefined });
    expect(expiresAt).toBeGreaterThan(Date.now());
  });

  it('refuses a wrong signature, an expired token and missing claims', async () => {
    const verify = createTokenVerifier({ secret });
    const forged = await signToken(
      { sub: 'u1', role: 'admin', branches: [] },
      { secret: `${secret}x` },
    );
    await expect(verify(forged)).rejects.toThrow(TokenError);

    const expired = await signToken(
      { sub: 'u1', role: 'admin', branches: [] },
      { secret, expiresIn: -60 },
    );
    await expect(verify(expired)).rejects.toThrow('token expired');

    const noRole = await new SignJWT({ branches: [] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u1')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    await expect(verify(noRole)).rejects.toThrow('claims');
    await expect(verify('')).rejects.toThrow(TokenError);
  });

  it('refuses a token without exp, which would never expire', async () => {
    const forever = await new SignJWT({ role: 'admin', branches: [] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u1')
      .setIssuedAt()
      .sign(new TextEncoder().encode(secret));
    await expect(createTokenVerifier({ secret })(forever)).rejects.toThrow('invalid token');
  });

  it('allows 30 s of clock skew on exp by default, and what it is told', async () => {
    const claims = { sub: 'u1', role: 'admin' as const, branches: [] };
    const justExpired = await signToken(claims, { secret, expiresIn: -10 });
    const longExpired = await signToken(claims, { secret, expiresIn: -60 });
    const verify = createTokenVerifier({ secret });
    await expect(verify(justExpired)).resolves.toMatchObject({ principal: { userId: 'u1' } });
    await expect(verify(longExpired)).rejects.toThrow('token expired');
    const strict = createTokenVerifier({ secret, clockToleranceSeconds: 0 });
    await expect(strict(justExpired)).rejects.toThrow('token expired');
  });
});
