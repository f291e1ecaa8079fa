import type { Principal, SubscribeAck } from '@dynapharm/types';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../metrics.ts';
import type { Presence } from '../presence.ts';
import { planSubscribe, planUnsubscribe, readChannelList, rejectPayload } from './channels.ts';
import { unwatchPresence, watchPresence } from './presence-watch.ts';
import { TokenBucket } from './token-bucket.ts';
import type { GatewaySocket } from './types.ts';

export interface ConnectionOptions {
  replicaId: string;
  maxRoomsPerSocket: number;
  rateLimit: { perSecond: number; burst: number };
  metrics: GatewayMetrics;
  logger: Logger;
  /** A `sync:ack` payload, unparsed; false when it was refused. */
  onAck?: (socketId: string, principal: Principal, payload: unknown) => boolean;
  onDisconnect?: (socketId: string) => void;
  /** Who is online per branch; the socket counts in its token's branches. */
  presence?: Presence;
}

/** Longest delay `setTimeout` accepts; longer ones fire at once. */
const maxTimerMs = 2 ** 31 - 1;

/** Events a client may send; anything else is dropped. */
const clientEvents = new Set([
  'subscribe',
  'unsubscribe',
  'sync:ack',
  'presence:watch',
  'presence:unwatch',
]);
/** Events whose ack is a {@link SubscribeAck}; the others answer `{ error }`. */
const channelEvents = new Set(['subscribe', 'unsubscribe']);

type Ack = (answer: unknown) => void;

/** Splits Socket.IO handler arguments into the payload and the ack, wherever the ack sits. */
function splitArgs(args: unknown[]): { payload: unknown; ack?: Ack } {
  const last = args.at(-1);
  if (typeof last === 'function')
    return { payload: args.length > 1 ? args[0] : undefined, ack: last as Ack };
  return { payload: args[0] };
}

/**
 * Sets up one authenticated socket: greeting, token expiry, rate limit and
 * the `subscribe`/`unsubscribe` handlers. Handlers never throw on bad input:
 * they answer through the ack when there is one and drop the message otherwise.
 */
export function handleConnection(socket: GatewaySocket, options: ConnectionOptions) {
  const { metrics } = options;
  // Made on first use: a pino child per idle socket would cost heap for nothing.
  let child: Logger | undefined;
  const log = () =>
    (child ??= options.logger.child({ socketId: socket.id, userId: socket.data.userId }));

  // The handshake's HTTP request (headers, socket buffers) is no longer needed;
  // what matters was copied into socket.data. Socket.IO docs: "memory usage".
  Reflect.set(socket.conn, 'request', null);

  scheduleExpiry(socket, log);
  limitRate(socket, options, log);

  // An async handler that threw would be an unhandled rejection: catch here.
  const guarded =
    (handler: (args: unknown[]) => Promise<void>) =>
    (...args: unknown[]) => {
      handler(args).catch((err: unknown) => log().error({ err }, 'socket handler failed'));
    };

  socket.on(
    'subscribe',
    guarded(async (args) => {
      const { payload, ack } = splitArgs(args);
      const answer = await subscribe(socket, payload, options);
      for (const { reason } of answer.denied) metrics.subscribeDenied.inc({ reason });
      if (answer.denied.length > 0) log().debug({ denied: answer.denied }, 'subscription denied');
      ack?.(answer);
    }),
  );

  socket.on(
    'unsubscribe',
    guarded(async (args) => {
      const { payload, ack } = splitArgs(args);
      const list = readChannelList(payload);
      if (!Array.isArray(list)) return ack?.(list);
      const { rooms, ack: answer } = planUnsubscribe(socket.rooms, list);
      for (const room of rooms) await socket.leave(room);
      ack?.(answer);
    }),
  );

  socket.on('sync:ack', (...args: unknown[]) => {
    const { payload } = splitArgs(args);
    if (!options.onAck?.(socket.id, socket.data, payload)) {
      metrics.messagesDropped.inc({ reason: 'invalid' });
    }
  });
  if (options.onDisconnect) {
    const { onDisconnect } = options;
    socket.once('disconnect', () => onDisconnect(socket.id));
  }

  const { presence } = options;
  if (presence) {
    socket.on(
      'presence:watch',
      guarded(async (args) => {
        const { payload, ack } = splitArgs(args);
        const answer = await watchPresence(socket, presence, payload, options.maxRoomsPerSocket);
        if ('error' in answer) metrics.messagesDropped.inc({ reason: 'invalid' });
        ack?.(answer);
      }),
    );
    socket.on(
      'presence:unwatch',
      guarded(async (args) => {
        const { payload, ack } = splitArgs(args);
        ack?.(await unwatchPresence(socket, payload));
      }),
    );
    presence.connected({ id: socket.id, ...socket.data });
    socket.once('disconnect', () => presence.disconnected(socket.id));
  }

  socket.emit('server:hello', { replicaId: options.replicaId });
}

async function subscribe(
  socket: GatewaySocket,
  payload: unknown,
  options: ConnectionOptions,
): Promise<SubscribeAck> {
  const list = readChannelList(payload);
  if (!Array.isArray(list)) return list;
  const principal: Principal = socket.data;
  const plan = planSubscribe(principal, list);
  const fresh = plan.rooms.filter((room) => !socket.rooms.has(room));
  // socket.rooms always holds the socket's own id room.
  const budget = Math.max(0, options.maxRoomsPerSocket - (socket.rooms.size - 1));
  const joining = fresh.slice(0, budget);
  const overLimit = new Set(fresh.slice(budget));
  if (joining.length > 0) await socket.join(joining);
  return {
    granted: plan.rooms.filter((room) => !overLimit.has(room)),
    denied: [
      ...plan.denied,
      ...[...overLimit].map((channel) => ({ channel, reason: 'limit' as const })),
    ],
  };
}

/** Disconnects the socket when its token expires. */
function scheduleExpiry(socket: GatewaySocket, log: () => Logger) {
  const expiresAt = socket.data.tokenExpiresAt;
  if (expiresAt === undefined) return;
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = expiresAt - Date.now();
    if (left <= 0) {
      log().debug('token expired; disconnecting');
      socket.disconnect(true);
      return;
    }
    timer = setTimeout(arm, Math.min(left, maxTimerMs));
  };
  arm();
  socket.once('disconnect', () => clearTimeout(timer));
}

/**
 * Token bucket per socket over every incoming event, plus the gate that drops
 * unknown event names. A client that keeps flooding after being limited is
 * disconnected.
 */
function limitRate(socket: GatewaySocket, options: ConnectionOptions, log: () => Logger) {
  const { metrics } = options;
  const bucket = new TokenBucket(options.rateLimit.perSecond, options.rateLimit.burst);
  const floodThreshold = options.rateLimit.burst * 5;
  let drops = 0;
  let windowStart = Date.now();

  socket.use((packet, next) => {
    const [event, ...args] = packet as unknown[];
    const { ack } = splitArgs(args);
    const known = typeof event === 'string' && clientEvents.has(event);
    if (!bucket.take()) {
      metrics.messagesDropped.inc({ reason: 'rate_limited' });
      ack?.(
        typeof event === 'string' && channelEvents.has(event)
          ? rejectPayload('limit')
          : errorAnswer('rate_limited', 'too many messages'),
      );
      const now = Date.now();
      if (now - windowStart > 10_000) {
        windowStart = now;
        drops = 0;
      }
      if (++drops > floodThreshold) {
        log().warn({ drops }, 'client keeps flooding; disconnecting');
        socket.disconnect(true);
      }
      return;
    }
    if (!known) {
      metrics.messagesDropped.inc({ reason: 'unknown_event' });
      log().debug(
        { event: typeof event === 'string' ? event.slice(0, 100) : typeof event },
        'unknown event dropped',
      );
      ack?.(
        errorAnswer(
          'bad_request',
          'unknown event; use subscribe, unsubscribe, presence:watch or presence:unwatch',
        ),
      );
      return;
    }
    next();
  });
}

function errorAnswer(code: string, message: string) {
  return { error: { code, message } };
}
