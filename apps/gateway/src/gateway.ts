import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { createTokenVerifier } from '@dynapharm/auth';
import { describeBus } from '@dynapharm/outbox';
import { presenceRoom, type RelayBeat } from '@dynapharm/types';
import { Server } from 'socket.io';
import { instrumentAdminUi, serveAdminUi } from './admin-ui.ts';
import { answerDevices, createDeviceRegistry } from './devices.ts';
import { HttpError } from './http/errors.ts';
import { handlePublish } from './http/publish.ts';
import { createRouter } from './http/router.ts';
import { createMetrics } from './metrics.ts';
import { type GatewayOptions, resolveOptions } from './options.ts';
import { createPresence } from './presence.ts';
import { createRedisClient, isReady, pingSubscriptions } from './redis.ts';
import { createReplicaRegistry, type ReplicaInfo } from './replica-registry.ts';
import { createCountingAdapter } from './socket/adapter.ts';
import { handleConnection } from './socket/connection.ts';
import { drainSockets } from './socket/drain.ts';
import { createAllowRequest, createAuthMiddleware, isAllowedOrigin } from './socket/handshake.ts';
import type { GatewayServer } from './socket/types.ts';

export type { GatewayOptions } from './options.ts';

/** A running (or startable) gateway replica. */
export interface Gateway {
  readonly replicaId: string;
  readonly io: GatewayServer;
  readonly httpServer: ReturnType<typeof createServer>;
  /** Listens; resolves with the bound port once Redis answered (or after a short wait). */
  start(): Promise<{ port: number }>;
  /** Health turns 503, clients are told to move and are disconnected over a window, then `close()`. */
  drain(): Promise<void>;
  /** Stops at once: disconnects everybody, leaves the registry, closes Redis. Idempotent. */
  close(): Promise<void>;
}

/** Where a logged handshake or request would carry a token. */
const handshakeSecrets = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'handshake.auth',
  'handshake.headers.authorization',
  'handshake.headers.cookie',
  'auth.token',
];

/**
 * Builds one Socket.IO gateway replica (docs/architecture.md §1, §5): JWT handshake,
 * Origin allow-list, authorized `subscribe`/`unsubscribe`, rooms shared across
 * replicas through the Redis adapter, and `GET /`, `/health`, `/stats`,
 * `/metrics`, `POST /publish` on the same port. Nothing is global, so tests
 * run several in one process.
 *
 * @example
 * const gateway = createGateway({ redisUrl, auth: { secret }, publishToken });
 * const { port } = await gateway.start();
 * process.once('SIGTERM', () => void gateway.drain());
 */
export function createGateway(options: GatewayOptions): Gateway {
  const opts = resolveOptions(options);
  const { replicaId } = opts;
  // Nothing logs a handshake today; this keeps a future `{ req }` or `{ handshake }` safe.
  const logger = opts.logger.child(
    { replicaId },
    { redact: { paths: handshakeSecrets, censor: '[redacted]' } },
  );
  const startedAt = new Date();
  let draining = false;
  let drainStartedAt = 0;
  let boundPort = opts.port;

  const pub = createRedisClient(opts.bus, 'pub', logger);
  const sub = createRedisClient(opts.bus, 'sub', logger, { subscriber: true });
  const redisUp = () => isReady(pub) && isReady(sub);

  // Messages published while this replica's subscriber was reconnecting never
  // reach it. Once the subscriptions are back (a PING after them has answered),
  // local clients are told to catch up through the API, which fills the hole.
  // Until then, relayed changes arriving on the restored subscription are not
  // passed on: a client that applied one would move its offset past the hole
  // before its catch-up, and never fetch what is in it.
  let subscriberLost = false;
  let holeOpen = false;
  const { adapter, counts } = createCountingAdapter(
    pub,
    sub,
    opts.bus,
    (seconds) => metrics.commitToClient.observe(seconds),
    () => holeOpen,
  );

  sub.on('reconnecting', () => {
    subscriberLost = true;
    holeOpen = true;
  });
  sub.on('ready', () => {
    if (!subscriberLost) return;
    subscriberLost = false;
    // ioredis emits 'ready' before it re-sends the subscriptions; deferring the
    // PING puts it behind them on the connection.
    setImmediate(() => void confirmResubscribed());
  });
  // On a Redis Cluster a shard's subscriber is lost alone (its master died);
  // once the subscribers follow the new topology (a replica was promoted),
  // the same catch-up fills what the shard published in between.
  sub.on('-subscriber', () => {
    subscriberLost = true;
    holeOpen = true;
  });
  sub.on('subscribersReady', () => {
    if (!subscriberLost) return;
    subscriberLost = false;
    setImmediate(() => void confirmResubscribed());
  });
  const confirmResubscribed = () =>
    pingSubscriptions(sub).then(
      () => {
        logger.info('redis subscriptions restored; asking clients to catch up');
        // In one go: every relayed change sent after this reaches each client
        // after the notice, so the catch-up it starts buffers it.
        holeOpen = subscriberLost;
        io.local.emit('server:catch-up', { replicaId });
      },
      () => {
        // Lost again (a loss event confirms again later), or a PING that
        // failed alone: try again, or the hole would stay open for good.
        if (subscriberLost || closing) return;
        setTimeout(() => {
          if (holeOpen && !subscriberLost && !closing) void confirmResubscribed();
        }, 500).unref();
      },
    );

  const metrics = createMetrics(
    {
      connections: () => io.of('/').sockets.size,
      rooms: () => localRooms(),
      redisUp,
      draining: () => draining,
      drainSeconds: () => (draining ? (Date.now() - drainStartedAt) / 1000 : 0),
      deviceLags: () => devices.localLags(),
      eventsBroadcast: () => counts.events,
      eventsDelivered: () => counts.deliveries,
    },
    { defaultMetrics: opts.collectDefaultMetrics },
  );

  // The router must be the server's request listener before Socket.IO attaches:
  // Engine.IO then hands it every request outside `/ws/`. A listener added
  // afterwards would also see (and answer) the polling requests.
  let router: ReturnType<typeof createRouter> | undefined;
  const httpServer = createServer((req, res) => router?.(req, res));
  const io: GatewayServer = new Server(httpServer, {
    path: '/ws',
    adapter,
    serveClient: false,
    transports: ['polling', 'websocket'],
    perMessageDeflate: false,
    httpCompression: false,
    maxHttpBufferSize: opts.maxMessageBytes,
    connectTimeout: 10_000,
    pingInterval: opts.pingIntervalMs,
    pingTimeout: opts.pingTimeoutMs,
    cleanupEmptyChildNamespaces: true,
    allowRequest: createAllowRequest({
      allowedOrigins: opts.allowedOrigins,
      draining: () => draining,
      onRefused: (reason) => metrics.handshakesRefused.inc({ reason }),
    }),
    cors: {
      origin: (origin, callback) => callback(null, isAllowedOrigin(opts.allowedOrigins, origin)),
      credentials: true,
    },
  });

  const localRooms = () => {
    const adapter = io.of('/').adapter;
    // Every socket also sits in a room named after its id.
    return adapter.rooms.size - adapter.sids.size;
  };

  const verify = createTokenVerifier(opts.auth);
  const devices = createDeviceRegistry(pub, {
    prefix: opts.bus.keyPrefix,
    replicaId,
    ttlMs: opts.deviceTtlMs,
    logger,
  });
  io.on('relay:beat', (beat) => devices.heard(beat));
  const presence = createPresence(pub, {
    prefix: opts.bus.keyPrefix,
    replicaId,
    ttlMs: opts.presenceTtlMs,
    logger,
    emit: (event) => io.to(presenceRoom(event.branchId)).emit('presence', event),
  });
  io.use(
    createAuthMiddleware({
      verify,
      draining: () => draining,
      onRefused: (reason) => metrics.handshakesRefused.inc({ reason }),
      logger,
    }),
  );
  if (opts.adminUi) {
    instrumentAdminUi(io, pub, opts.bus.keyPrefix, replicaId, opts.adminUi);
    logger.info(
      { namespace: '/admin', readonly: opts.adminUi.readonly, mode: opts.adminUi.mode },
      'Socket.IO Admin UI enabled',
    );
  }
  io.on('connection', (socket) =>
    handleConnection(socket, {
      replicaId,
      maxRoomsPerSocket: opts.maxRoomsPerSocket,
      rateLimit: opts.rateLimit,
      metrics,
      logger,
      onAck: devices.ack,
      onDisconnect: devices.forget,
      presence,
    }),
  );

  const relay = watchRelay(io, opts.relayQuietMs, () =>
    logger.error(
      { bus: describeBus(opts.bus), quietMs: opts.relayQuietMs },
      'no relay heard on this bus: check that REDIS_URL, REDIS_ADAPTER and REDIS_KEY_PREFIX match the API',
    ),
  );
  const registry = createReplicaRegistry(pub, opts.bus.keyPrefix, opts.heartbeatTtlMs, logger);
  let lastTick = { at: Date.now(), events: 0, deliveries: 0 };
  let rates = { eventsPerSec: 0, deliveriesPerSec: 0 };
  const publicUrl = () => {
    if (opts.publicUrl) return opts.publicUrl;
    const wildcard = opts.host === '0.0.0.0' || opts.host === '::';
    return `http://${wildcard ? hostname() : opts.host}:${boundPort}`;
  };
  const announce = async () => {
    const now = Date.now();
    const seconds = Math.max((now - lastTick.at) / 1000, 0.001);
    rates = {
      eventsPerSec: Math.round((counts.events - lastTick.events) / seconds),
      deliveriesPerSec: Math.round((counts.deliveries - lastTick.deliveries) / seconds),
    };
    lastTick = { at: now, events: counts.events, deliveries: counts.deliveries };
    // While Redis is away, announcements would only pile up in the offline queue.
    if (!isReady(pub)) return;
    const info: ReplicaInfo = {
      replicaId,
      url: publicUrl(),
      version: opts.version,
      connections: io.of('/').sockets.size,
      rooms: localRooms(),
      ...rates,
      draining,
      startedAt: startedAt.toISOString(),
      seenAt: new Date(now).toISOString(),
    };
    await registry.announce(info);
  };
  let heartbeat: NodeJS.Timeout | undefined;

  router = createRouter({
    logger,
    metrics: { registry: metrics.registry, token: opts.metricsToken },
    ...(opts.adminUi ? { adminUi: serveAdminUi } : {}),
    info: () => ({
      service: '@dynapharm/gateway',
      version: opts.version,
      replicaId,
      uptimeSec: Math.round((Date.now() - startedAt.getTime()) / 1000),
      connections: io.of('/').sockets.size,
      draining,
      socketPath: '/ws',
    }),
    health: () => {
      const redis = { pub: pub.status, sub: sub.status, bus: describeBus(opts.bus) };
      if (draining) return { ok: false, body: { status: 'draining', replicaId, redis } };
      if (!redisUp()) {
        const down = Object.entries(redis).filter(([, status]) => status !== 'ready');
        const reason = down.map(([role, status]) => `redis ${role} connection is ${status}`);
        return {
          ok: false,
          body: { status: 'unavailable', replicaId, reason: reason.join('; '), redis },
        };
      }
      // A silent relay does not make this replica unhealthy (it serves, and
      // clients catch up through the API), but operators must see it.
      return { ok: true, body: { status: 'ok', replicaId, redis, relay: relay.status() } };
    },
    stats: async () => {
      if (!isReady(pub)) throw new HttpError(503, 'unavailable', 'Redis is unavailable');
      return {
        replicaId,
        relay: relay.status(),
        ...(await withTimeout(registry.read(), 2_000, 'reading replica stats')),
      };
    },
    devices: async (req) => {
      if (!isReady(pub)) throw new HttpError(503, 'unavailable', 'Redis is unavailable');
      return withTimeout(answerDevices(req, devices, verify), 2_000, 'reading devices');
    },
    publish: async (req) => {
      try {
        const result = await handlePublish(req, {
          token: opts.publishToken,
          maxBytes: opts.maxPublishBytes,
          broadcaster: io,
          redisReady: isReady(pub),
        });
        metrics.publishes.inc({ status: '202' });
        return result;
      } catch (err) {
        metrics.publishes.inc({ status: err instanceof HttpError ? String(err.status) : '500' });
        throw err;
      }
    },
  });

  let closing: Promise<void> | undefined;
  let drainingDone: Promise<void> | undefined;

  const close = () => {
    closing ??= (async () => {
      clearInterval(heartbeat);
      relay.stop();
      devices.stop();
      // Before the sockets go: this gateway's users leave their branches in one step.
      await withTimeout(presence.stop(), 1_000, 'leaving presence').catch((err: unknown) =>
        logger.warn({ err }, 'could not leave presence'),
      );
      if (isReady(pub)) {
        await withTimeout(registry.remove(replicaId), 1_000, 'leaving the registry').catch(
          (err: unknown) => logger.warn({ err }, 'could not leave the replica registry'),
        );
      }
      // The sharded adapter awaits its unsubscribes, which never finish while Redis is down.
      const closed = io.close();
      const forced = setTimeout(() => httpServer.closeAllConnections(), 2_000);
      await withTimeout(closed, 3_000, 'closing Socket.IO').catch(() =>
        httpServer.closeAllConnections(),
      );
      clearTimeout(forced);
      if (httpServer.listening) httpServer.close();
      pub.disconnect();
      sub.disconnect();
      logger.info('gateway closed');
    })();
    return closing;
  };

  return {
    replicaId,
    io,
    httpServer,
    async start() {
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(opts.port, opts.host, () => {
          httpServer.off('error', reject);
          resolve();
        });
      });
      boundPort = (httpServer.address() as AddressInfo).port;
      // PING is queued behind the adapter's (P|S)SUBSCRIBE on the same connection,
      // so its answer means the subscriptions are live.
      await withTimeout(sub.ping(), 5_000, 'waiting for Redis').catch(() =>
        logger.warn('Redis did not answer at start; serving and retrying in the background'),
      );
      const tick = () =>
        announce().catch((err: unknown) => logger.debug({ err }, 'replica announcement failed'));
      await tick();
      heartbeat = setInterval(tick, opts.heartbeatIntervalMs);
      logger.info({ port: boundPort, bus: describeBus(opts.bus) }, 'gateway listening');
      return { port: boundPort };
    },
    drain() {
      drainingDone ??= (async () => {
        draining = true;
        drainStartedAt = Date.now();
        const deadline = Date.now() + opts.drainTimeoutMs;
        logger.info({ connections: io.of('/').sockets.size }, 'draining');
        await announce().catch(() => {});
        await drainSockets(io, {
          replicaId,
          spreadMs: Math.min(opts.drainSpreadMs, opts.drainTimeoutMs),
          deadline,
        });
        await close();
      })();
      return drainingDone;
    },
    close,
  };
}

/**
 * Listens for the relay leader's beats. Hearing none for `quietMs` means the
 * relay is down or publishes on another bus (another Redis, adapter kind or
 * key prefix): `onQuiet` fires once per silence.
 */
function watchRelay(io: GatewayServer, quietMs: number, onQuiet: () => void) {
  const since = Date.now();
  let last: RelayBeat | undefined;
  let heardAt: number | undefined;
  let warned = false;
  io.on('relay:beat', (beat) => {
    if (typeof beat?.epoch !== 'string' || typeof beat.head !== 'number') return;
    last = beat;
    heardAt = Date.now();
    warned = false;
  });
  const timer = setInterval(
    () => {
      if (!warned && Date.now() - (heardAt ?? since) > quietMs) {
        warned = true;
        onQuiet();
      }
    },
    Math.min(quietMs, 1000),
  );
  timer.unref();
  return {
    status() {
      const quiet = Date.now() - (heardAt ?? since) > quietMs;
      return {
        status: quiet ? 'silent' : last ? 'ok' : 'waiting',
        heardAt: heardAt ? new Date(heardAt).toISOString() : null,
        epoch: last?.epoch ?? null,
        head: last?.head ?? null,
      };
    },
    stop: () => clearInterval(timer),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HttpError(503, 'unavailable', `timed out ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
