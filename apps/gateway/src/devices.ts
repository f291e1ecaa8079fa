import type { IncomingMessage } from 'node:http';
import { TokenError, type TokenVerifier } from '@dynapharm/auth';
import type { BusRedis } from '@dynapharm/outbox';
import {
  type DeviceAck,
  type DeviceStatus,
  deviceAckSchema,
  type Principal,
  type RelayBeat,
} from '@dynapharm/types';
import type { Logger } from 'pino';
import { z } from 'zod';
import { bearerToken } from './http/bearer.ts';
import { HttpError } from './http/errors.ts';

/** What a gateway keeps in Redis per acknowledging device and replica. */
const storedSchema = z.object({
  deviceId: z.string(),
  replica: z.string(),
  userId: z.string(),
  branches: z.array(z.string()),
  gateway: z.string(),
  offset: z.int().min(0),
  epoch: z.string(),
  /** Epoch ms of the last ack. */
  seenAt: z.number(),
  /** Epoch ms the device was last seen at (or past) the head; null: not yet on this connection. */
  caughtUpAt: z.number().nullable(),
  /** Epoch ms of the first ack of this connection (the lag clock's start when never caught up). */
  since: z.number(),
});
type Stored = z.infer<typeof storedSchema>;

export interface DevicesAnswer {
  head: number | null;
  epoch: string | null;
  devices: DeviceStatus[];
}

export interface DeviceRegistryOptions {
  /** The bus key prefix; keys are `{prefix}:devices` and `{prefix}:devices:info`. */
  prefix: string;
  replicaId: string;
  /** An entry nobody refreshes disappears after this long. */
  ttlMs: number;
  logger: Logger;
}

/** Most (device, replica) pairs one socket may report; more are dropped. */
const maxDevicesPerSocket = 4;
/** Least time between two Redis writes of one entry; acks in between are coalesced. */
const minWriteGapMs = 1_000;

/**
 * Acknowledged stream positions of the devices connected to this gateway,
 * shared through Redis like the replica registry: a sorted set of entries
 * scored by expiry and a hash of their last state. Entries of live sockets are
 * refreshed every third of the TTL, so the ones of a dead gateway expire.
 */
export function createDeviceRegistry(redis: BusRedis, options: DeviceRegistryOptions) {
  const liveKey = `{${options.prefix}}:devices`;
  const infoKey = `{${options.prefix}}:devices:info`;
  const { ttlMs, replicaId, logger } = options;
  const bySocket = new Map<
    string,
    Map<string, { entry: Stored; writtenAt: number; timer?: NodeJS.Timeout }>
  >();
  let beat: RelayBeat | undefined;

  const memberOf = (e: { deviceId: string; replica: string }) => `${e.deviceId}/${e.replica}`;

  const write = async (entries: Stored[]) => {
    if (entries.length === 0) return;
    const expiry = Date.now() + ttlMs;
    const multi = redis.multi();
    for (const entry of entries) {
      multi
        .zadd(liveKey, expiry, memberOf(entry))
        .hset(infoKey, memberOf(entry), JSON.stringify(entry));
    }
    await multi
      .pexpire(liveKey, ttlMs * 2)
      .pexpire(infoKey, ttlMs * 2)
      .exec();
  };
  const writeSoon = (slot: { entry: Stored; writtenAt: number; timer?: NodeJS.Timeout }) => {
    if (slot.timer) return;
    const wait = Math.max(0, slot.writtenAt + minWriteGapMs - Date.now());
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      slot.writtenAt = Date.now();
      write([slot.entry]).catch((err: unknown) => logger.debug({ err }, 'device ack not stored'));
    }, wait);
    slot.timer.unref();
  };

  const keepAlive = setInterval(
    () => {
      const entries = [...bySocket.values()].flatMap((slots) =>
        [...slots.values()].map((s) => s.entry),
      );
      write(entries).catch((err: unknown) => logger.debug({ err }, 'device keep-alive failed'));
    },
    Math.max(ttlMs / 3, 100),
  );
  keepAlive.unref();

  return {
    /**
     * A client's `sync:ack`. Returns false (and stores nothing) for a payload
     * that does not parse or a socket reporting too many devices.
     */
    ack(socketId: string, principal: Principal, payload: unknown): boolean {
      const parsed = deviceAckSchema.safeParse(payload);
      if (!parsed.success) return false;
      const ack: DeviceAck = parsed.data;
      const slots = bySocket.get(socketId) ?? new Map();
      bySocket.set(socketId, slots);
      const member = memberOf(ack);
      const slot = slots.get(member);
      if (!slot && slots.size >= maxDevicesPerSocket) return false;
      const now = Date.now();
      const previous = slot?.entry.epoch === ack.epoch ? slot.entry : undefined;
      const atHead = beat !== undefined && beat.epoch === ack.epoch && ack.offset >= beat.head;
      const entry: Stored = {
        deviceId: ack.deviceId,
        replica: ack.replica,
        userId: principal.userId,
        branches: [...principal.branches],
        gateway: replicaId,
        offset: ack.offset,
        epoch: ack.epoch,
        seenAt: now,
        caughtUpAt: atHead ? now : (previous?.caughtUpAt ?? null),
        since: previous?.since ?? now,
      };
      if (slot) {
        slot.entry = entry;
        writeSoon(slot);
      } else {
        const fresh = { entry, writtenAt: 0 };
        slots.set(member, fresh);
        writeSoon(fresh);
      }
      return true;
    },

    /** The socket is gone: stop refreshing its devices (they expire after the TTL). */
    forget(socketId: string) {
      for (const slot of bySocket.get(socketId)?.values() ?? []) clearTimeout(slot.timer);
      bySocket.delete(socketId);
    },

    /**
     * A relay beat. A device at the head stays "caught up as of now"; one that
     * the head just left behind is written at once, so readers date its lag
     * from the last beat it was still at the head.
     */
    heard(next: RelayBeat) {
      if (typeof next?.epoch !== 'string' || typeof next.head !== 'number') return;
      const now = Date.now();
      const fallen: Stored[] = [];
      for (const slots of bySocket.values()) {
        for (const slot of slots.values()) {
          const { entry } = slot;
          if (entry.epoch !== next.epoch) continue;
          const wasAtHead = beat?.epoch === entry.epoch && entry.offset >= beat.head;
          if (entry.offset >= next.head) entry.caughtUpAt = now;
          else if (wasAtHead) fallen.push(entry);
        }
      }
      beat = next;
      write(fallen).catch((err: unknown) => logger.debug({ err }, 'device lag not stored'));
    },

    lastBeat: () => beat,

    /**
     * Seconds behind the head of every device acknowledging on this replica's
     * sockets (null: another epoch or no beat heard yet), for `/metrics`.
     */
    localLags(): (number | null)[] {
      const now = Date.now();
      const lags: (number | null)[] = [];
      for (const slots of bySocket.values()) {
        for (const slot of slots.values()) lags.push(statusOf(slot.entry, beat, now).lagSeconds);
      }
      return lags;
    },

    /**
     * The devices `viewer` may see, most behind first: admins every device,
     * others those of a user sharing one of their branches (and only those
     * branches are shown).
     */
    async read(viewer: Principal): Promise<DevicesAnswer> {
      const now = Date.now();
      const [expired, live] = await Promise.all([
        redis.zrangebyscore(liveKey, '-inf', now),
        redis.zrangebyscore(liveKey, now, '+inf'),
      ]);
      if (expired.length > 0) {
        await redis
          .multi()
          .zrem(liveKey, ...expired)
          .hdel(infoKey, ...expired)
          .exec();
      }
      const raw = live.length > 0 ? await redis.hmget(infoKey, ...live) : [];
      const admin = viewer.role === 'admin';
      const devices: DeviceStatus[] = [];
      for (const text of raw) {
        if (text === null) continue;
        const parsed = storedSchema.safeParse(safeJson(text));
        if (!parsed.success) continue;
        const entry = parsed.data;
        const branches = admin
          ? entry.branches
          : entry.branches.filter((b) => viewer.branches.includes(b));
        if (!admin && branches.length === 0) continue;
        devices.push(statusOf({ ...entry, branches }, beat, now));
      }
      devices.sort(
        (a, b) =>
          behind(b.lagChanges) - behind(a.lagChanges) ||
          (b.lagSeconds ?? 0) - (a.lagSeconds ?? 0) ||
          a.deviceId.localeCompare(b.deviceId),
      );
      return { head: beat?.head ?? null, epoch: beat?.epoch ?? null, devices };
    },

    stop() {
      clearInterval(keepAlive);
      for (const slots of bySocket.values())
        for (const slot of slots.values()) clearTimeout(slot.timer);
      bySocket.clear();
    },
  };
}

export type DeviceRegistry = ReturnType<typeof createDeviceRegistry>;

/**
 * `GET /devices` with a user's bearer token, verified like a handshake:
 * admins and managers only (staff have no operator view).
 */
export async function answerDevices(
  req: IncomingMessage,
  registry: DeviceRegistry,
  verify: TokenVerifier,
): Promise<DevicesAnswer> {
  const token = bearerToken(req.headers.authorization);
  if (!token)
    throw new HttpError(401, 'unauthorized', 'send a user token as Authorization: Bearer');
  let principal: Principal;
  try {
    principal = (await verify(token)).principal;
  } catch (err) {
    throw new HttpError(
      401,
      'unauthorized',
      err instanceof TokenError ? err.message : 'invalid token',
    );
  }
  if (principal.role === 'staff') {
    throw new HttpError(403, 'forbidden', 'the device view is for managers and admins');
  }
  return registry.read(principal);
}

/** Unknown lag (another epoch, no beat yet) sorts before any known lag: it may be the worst. */
const behind = (lag: number | null) => (lag === null ? Number.MAX_SAFE_INTEGER : lag);

function statusOf(entry: Stored, beat: RelayBeat | undefined, now: number): DeviceStatus {
  const known = beat !== undefined && beat.epoch === entry.epoch;
  const lagChanges = known ? Math.max(0, beat.head - entry.offset) : null;
  let lagSeconds: number | null = null;
  if (lagChanges === 0) lagSeconds = 0;
  else if (lagChanges !== null) {
    lagSeconds = Math.round(Math.max(0, now - (entry.caughtUpAt ?? entry.since)) / 100) / 10;
  }
  return {
    deviceId: entry.deviceId,
    replica: entry.replica,
    userId: entry.userId,
    branches: entry.branches,
    gateway: entry.gateway,
    offset: entry.offset,
    epoch: entry.epoch,
    lagChanges,
    lagSeconds,
    lastSeenAt: new Date(entry.seenAt).toISOString(),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
