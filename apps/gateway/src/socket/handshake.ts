import type { IncomingMessage } from 'node:http';
import { TokenError, type TokenVerifier } from '@dynapharm/auth';
import { deviceIdSchema, type ErrorCode } from '@dynapharm/types';
import type { Logger } from 'pino';
import { bearerToken } from '../http/bearer.ts';
import type { GatewaySocket } from './types.ts';

type RefusalReason =
  | 'origin'
  | 'draining'
  | 'missing_token'
  | 'invalid_token'
  | 'expired'
  | 'invalid_device';

/** An error Socket.IO hands to the client's `connect_error` (`message` and `data`). */
class HandshakeError extends Error {
  constructor(
    message: string,
    readonly data: { code: ErrorCode; reason: RefusalReason },
  ) {
    super(message);
  }
}

/**
 * Engine.IO `allowRequest`: runs on the first request of every connection,
 * polling or WebSocket. A browser always sends `Origin` cross-origin, so a
 * missing one (same-origin GET, server-side clients) is allowed; a present one
 * must be on the list.
 */
export function createAllowRequest(options: {
  allowedOrigins: readonly string[];
  draining: () => boolean;
  onRefused: (reason: RefusalReason) => void;
}) {
  const any = options.allowedOrigins.includes('*');
  const allowed = new Set(options.allowedOrigins);
  return (
    req: IncomingMessage,
    callback: (err: string | null | undefined, ok: boolean) => void,
  ) => {
    if (options.draining()) {
      options.onRefused('draining');
      return callback('replica is draining', false);
    }
    const origin = req.headers.origin;
    if (origin === undefined || any || allowed.has(origin)) return callback(null, true);
    options.onRefused('origin');
    callback('origin not allowed', false);
  };
}

/** Whether an origin may make cross-origin polling requests (CORS). */
export function isAllowedOrigin(allowedOrigins: readonly string[], origin: string | undefined) {
  return origin === undefined || allowedOrigins.includes('*') || allowedOrigins.includes(origin);
}

/**
 * Socket.IO middleware: verifies the JWT from `auth: { token }` or an
 * `Authorization: Bearer` header and stores the principal in `socket.data`.
 */
export function createAuthMiddleware(options: {
  verify: TokenVerifier;
  draining: () => boolean;
  onRefused: (reason: RefusalReason) => void;
  logger: Logger;
}) {
  const refuse = (reason: RefusalReason, message: string, code: ErrorCode = 'unauthorized') => {
    options.onRefused(reason);
    return new HandshakeError(message, { code, reason });
  };
  return async (socket: GatewaySocket, next: (err?: Error) => void) => {
    if (options.draining()) return next(refuse('draining', 'replica is draining', 'unavailable'));
    const fromAuth: unknown = socket.handshake.auth?.token;
    const token =
      typeof fromAuth === 'string' && fromAuth !== ''
        ? fromAuth
        : bearerToken(socket.handshake.headers.authorization);
    if (!token) return next(refuse('missing_token', 'missing token'));
    // Optional: which device this is, so its tabs count once in presence.
    const rawDevice: unknown = socket.handshake.auth?.deviceId;
    const device = rawDevice === undefined ? undefined : deviceIdSchema.safeParse(rawDevice);
    if (device && !device.success) {
      return next(
        refuse(
          'invalid_device',
          `auth.deviceId: ${device.error.issues[0]?.message ?? 'invalid'}`,
          'bad_request',
        ),
      );
    }
    try {
      const { principal, expiresAt } = await options.verify(token);
      socket.data = {
        userId: principal.userId,
        role: principal.role,
        branches: [...principal.branches],
        ...(principal.name ? { name: principal.name } : {}),
        ...(device?.success ? { deviceId: device.data } : {}),
        tokenExpiresAt: expiresAt,
      };
      next();
    } catch (err) {
      if (err instanceof TokenError) {
        const reason = err.message === 'token expired' ? 'expired' : 'invalid_token';
        return next(refuse(reason, err.message));
      }
      // A JWKS endpoint that does not answer is our problem, not the caller's.
      options.logger.error({ err }, 'token verification failed unexpectedly');
      next(
        new HandshakeError('authentication unavailable', {
          code: 'unavailable',
          reason: 'invalid_token',
        }),
      );
    }
  };
}
