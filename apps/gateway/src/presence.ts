import type { BusRedis } from '@dynapharm/outbox';
import {
  type PresenceEvent,
  type PresenceMember,
  type PresenceSnapshot,
  presenceMemberSchema,
  type Role,
} from '@dynapharm/types';
import type { Logger } from 'pino';

/**
 * Who is online per branch (docs/architecture.md §3.8), shared by every
 * gateway through Redis. Per branch, under one hash tag (one slot on Redis
 * Cluster), two keys:
 *
 * - `{<prefix>:presence:<branch>}:members`, a hash: one field per gateway and
 *   member (`<gateway>|<identity>`), valued with the member as JSON. A gateway
 *   writes only its own fields.
 * - `{<prefix>:presence:<branch>}:gateways`, a sorted set: each gateway's
 *   lease on its fields, scored by expiry (Redis's clock, `TIME`), renewed
 *   every third of the TTL.
 *
 * Readers count a field only while its gateway's lease runs, so the members of
 * a gateway killed with `kill -9` vanish from every answer when its lease
 * ends, and the next renewal of any other gateway in the branch removes them
 * and tells the branch they left. Every change runs as one Lua script, so two
 * gateways cannot both announce (or both miss) the same join or leave.
 */

/** Milliseconds since the epoch on Redis's clock; every gateway shares it. */
const luaHelpers = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function split(field)
  local bar = string.find(field, '|', 1, true)
  return string.sub(field, 1, bar - 1), string.sub(field, bar + 1)
end
local function live(leases, gateway, now)
  local score = redis.call('ZSCORE', leases, gateway)
  return score and tonumber(score) > now
end
local function present_elsewhere(members, leases, identity, except, now)
  for _, field in ipairs(redis.call('HKEYS', members)) do
    local gateway, id = split(field)
    if id == identity and gateway ~= except and live(leases, gateway, now) then return true end
  end
  return false
end
local function keep(members, leases, ttl)
  redis.call('PEXPIRE', members, ttl * 10)
  redis.call('PEXPIRE', leases, ttl * 10)
end
local function sweep(members, leases, now)
  local dead = redis.call('ZRANGEBYSCORE', leases, '-inf', now)
  if #dead == 0 then return {} end
  redis.call('ZREM', leases, unpack(dead))
  local is_dead = {}
  for _, gateway in ipairs(dead) do is_dead[gateway] = true end
  local gone, order = {}, {}
  local all = redis.call('HGETALL', members)
  for i = 1, #all, 2 do
    local gateway, id = split(all[i])
    if is_dead[gateway] then
      redis.call('HDEL', members, all[i])
      if gone[id] == nil then table.insert(order, id) end
      gone[id] = all[i + 1]
    end
  end
  local left = {}
  for _, id in ipairs(order) do
    if not present_elsewhere(members, leases, id, '', now) then table.insert(left, gone[id]) end
  end
  return left
end
`;

/** KEYS: members, leases. ARGV: gateway, ttl, identity, member. Returns 1 when the member is new to the branch. */
const addScript = `${luaHelpers}
local now = now_ms()
local field = ARGV[1] .. '|' .. ARGV[3]
local known = present_elsewhere(KEYS[1], KEYS[2], ARGV[3], ARGV[1], now)
  or (live(KEYS[2], ARGV[1], now) and redis.call('HEXISTS', KEYS[1], field) == 1)
redis.call('HSET', KEYS[1], field, ARGV[4])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
keep(KEYS[1], KEYS[2], tonumber(ARGV[2]))
if known then return 0 end
return 1`;

/** KEYS: members, leases. ARGV: gateway, identity. Returns 1 when the member left the branch. */
const removeScript = `${luaHelpers}
local now = now_ms()
if redis.call('HDEL', KEYS[1], ARGV[1] .. '|' .. ARGV[2]) == 0 then return 0 end
if present_elsewhere(KEYS[1], KEYS[2], ARGV[2], ARGV[1], now) then return 0 end
return 1`;

/**
 * KEYS: members, leases. ARGV: gateway, ttl. Renews the gateway's lease and
 * sweeps the expired ones. Returns { 1 | 0, left... }: 0 when this gateway's
 * lease had run out (its fields are dropped and must be written again), then
 * the members that left with the expired gateways.
 */
const beatScript = `${luaHelpers}
local now = now_ms()
local ttl = tonumber(ARGV[2])
local alive = live(KEYS[2], ARGV[1], now)
local left = sweep(KEYS[1], KEYS[2], now)
if not alive then
  for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
    local gateway = split(field)
    if gateway == ARGV[1] then redis.call('HDEL', KEYS[1], field) end
  end
end
redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
keep(KEYS[1], KEYS[2], ttl)
table.insert(left, 1, alive and 1 or 0)
return left`;

/** KEYS: members, leases. ARGV: gateway. Drops the gateway's lease and fields; returns the members that left. */
const retireScript = `${luaHelpers}
local now = now_ms()
redis.call('ZREM', KEYS[2], ARGV[1])
local gone = {}
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  local gateway, id = split(field)
  if gateway == ARGV[1] then
    table.insert(gone, redis.call('HGET', KEYS[1], field))
    redis.call('HDEL', KEYS[1], field)
    if present_elsewhere(KEYS[1], KEYS[2], id, '', now) then table.remove(gone) end
  end
end
return gone`;

/** KEYS: members, leases. Returns the members on gateways whose lease runs. */
const listScript = `${luaHelpers}
local now = now_ms()
local out = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local gateway = split(all[i])
  if live(KEYS[2], gateway, now) then table.insert(out, all[i + 1]) end
end
return out`;

const scripts = {
  dynapharmPresenceAdd: addScript,
  dynapharmPresenceRemove: removeScript,
  dynapharmPresenceBeat: beatScript,
  dynapharmPresenceRetire: retireScript,
  dynapharmPresenceList: listScript,
} as const;
type ScriptName = keyof typeof scripts;
type Scripted = Record<ScriptName, (...args: (string | number)[]) => Promise<unknown>>;

/** The socket's identity as presence sees it. */
export interface PresenceSocket {
  id: string;
  userId: string;
  name?: string;
  role: Role;
  branches: readonly string[];
  deviceId?: string;
}

export interface PresenceOptions {
  /** The bus key prefix. */
  prefix: string;
  replicaId: string;
  /** A gateway's lease; renewed every third of it. Its members leave at most this long (plus one renewal) after it died. */
  ttlMs: number;
  logger: Logger;
  /** Sends a join or leave to the members of its branch (every gateway's sockets in the branch's presence room). */
  emit: (event: PresenceEvent) => void;
}

interface LocalMember {
  member: PresenceMember;
  sockets: Set<string>;
}

/** The Redis keys of one branch; the hash tag puts both in one slot. */
export function presenceKeys(prefix: string, branchId: string) {
  const tag = `{${prefix}:presence:${branchId}}`;
  return { members: `${tag}:members`, leases: `${tag}:gateways` };
}

/** `<userId, deviceId>`: a user's tabs on one device are one member. */
const identityOf = (member: Pick<PresenceMember, 'userId' | 'deviceId'>) =>
  JSON.stringify([member.userId, member.deviceId]);

export function createPresence(redis: BusRedis, options: PresenceOptions) {
  const { prefix, replicaId: gateway, ttlMs, logger, emit } = options;
  for (const [name, lua] of Object.entries(scripts)) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 2, lua });
  }
  const run = redis as unknown as Scripted;
  const local = new Map<string, Map<string, LocalMember>>();
  /** Branches where this gateway's first add succeeded: a lease missing there has expired. */
  const leased = new Set<string>();
  const bySocket = new Map<string, { branches: readonly string[]; identity: string }>();
  // Redis operations of one member run in order (connect, disconnect, connect…).
  const queues = new Map<string, Promise<void>>();
  let stopped = false;

  const enqueue = (key: string, op: () => Promise<void>) => {
    const next = (queues.get(key) ?? Promise.resolve())
      .then(op)
      .catch((err: unknown) => logger.warn({ err }, 'presence not updated in Redis'));
    queues.set(key, next);
    void next.then(() => {
      if (queues.get(key) === next) queues.delete(key);
    });
    return next;
  };

  const announce = (type: PresenceEvent['type'], branchId: string, member: PresenceMember) => {
    if (!stopped) emit({ type, branchId, member });
  };

  const add = (branchId: string, identity: string, member: PresenceMember) =>
    enqueue(`${branchId}\n${identity}`, async () => {
      const { members, leases } = presenceKeys(prefix, branchId);
      const fresh = await run.dynapharmPresenceAdd(
        members,
        leases,
        gateway,
        ttlMs,
        identity,
        JSON.stringify(member),
      );
      if (local.has(branchId)) leased.add(branchId);
      if (fresh === 1) announce('join', branchId, member);
    });

  const remove = (branchId: string, identity: string, member: PresenceMember) =>
    enqueue(`${branchId}\n${identity}`, async () => {
      const { members, leases } = presenceKeys(prefix, branchId);
      const left = await run.dynapharmPresenceRemove(members, leases, gateway, identity);
      if (left === 1) announce('leave', branchId, member);
    });

  const announceLeft = (branchId: string, values: unknown[]) => {
    for (const value of values) {
      const member = parseMember(value);
      if (member) announce('leave', branchId, member);
    }
  };

  const beat = async () => {
    await Promise.all(
      [...local.entries()].map(async ([branchId, members]) => {
        const keys = presenceKeys(prefix, branchId);
        const [alive, ...left] = (await run.dynapharmPresenceBeat(
          keys.members,
          keys.leases,
          gateway,
          ttlMs,
        )) as [number, ...unknown[]];
        announceLeft(branchId, left);
        if (alive === 1) return;
        // The lease ran out (this process stalled, or Redis lost its data), or
        // the first add has not landed yet (Redis was away): write the members
        // again; those the branch had lost join again, the others are no-ops.
        if (leased.has(branchId)) {
          logger.warn({ branchId }, 'presence lease had expired; announcing local members again');
        }
        await Promise.all(
          [...members.entries()].map(([identity, m]) => add(branchId, identity, m.member)),
        );
      }),
    );
  };
  const timer = setInterval(
    () => {
      if (redis.status !== 'ready') return;
      beat().catch((err: unknown) => logger.debug({ err }, 'presence renewal failed'));
    },
    Math.max(Math.floor(ttlMs / 3), 50),
  );
  timer.unref();

  return {
    /** A socket passed the handshake: its user is online in the token's branches. */
    connected(socket: PresenceSocket) {
      if (stopped || socket.branches.length === 0) return;
      const member: PresenceMember = {
        userId: socket.userId,
        name: socket.name ?? null,
        role: socket.role,
        deviceId: socket.deviceId ?? null,
        since: new Date().toISOString(),
        gateway,
      };
      const identity = identityOf(member);
      bySocket.set(socket.id, { branches: socket.branches, identity });
      for (const branchId of socket.branches) {
        let members = local.get(branchId);
        if (!members) {
          members = new Map();
          local.set(branchId, members);
        }
        const known = members.get(identity);
        if (known) {
          known.sockets.add(socket.id);
          continue;
        }
        members.set(identity, { member, sockets: new Set([socket.id]) });
        void add(branchId, identity, member);
      }
    },

    /** A socket closed: its member leaves each branch where it was the last socket. */
    disconnected(socketId: string) {
      const entry = bySocket.get(socketId);
      if (!entry) return;
      bySocket.delete(socketId);
      for (const branchId of entry.branches) {
        const members = local.get(branchId);
        const mine = members?.get(entry.identity);
        if (!members || !mine) continue;
        mine.sockets.delete(socketId);
        if (mine.sockets.size > 0) continue;
        members.delete(entry.identity);
        if (members.size === 0) {
          local.delete(branchId);
          leased.delete(branchId);
        }
        if (!stopped) void remove(branchId, entry.identity, mine.member);
      }
    },

    /** Who is online in a branch, one entry per user and device (earliest `since`). */
    async list(branchId: string): Promise<PresenceSnapshot> {
      const { members, leases } = presenceKeys(prefix, branchId);
      const values = (await run.dynapharmPresenceList(members, leases)) as unknown[];
      const byIdentity = new Map<string, PresenceMember>();
      for (const value of values) {
        const member = parseMember(value);
        if (!member) continue;
        const identity = identityOf(member);
        const seen = byIdentity.get(identity);
        if (!seen || member.since < seen.since) byIdentity.set(identity, member);
      }
      const sorted = [...byIdentity.values()].sort(
        (a, b) =>
          a.since.localeCompare(b.since) ||
          a.userId.localeCompare(b.userId) ||
          (a.deviceId ?? '').localeCompare(b.deviceId ?? ''),
      );
      return { branchId, members: sorted };
    },

    /** Renews leases and sweeps dead gateways now (the timer does it every third of the TTL). */
    renew: beat,

    /**
     * Leaves every branch at once (a clean shutdown): removes this gateway's
     * lease and members and tells the branches who left. Later disconnects are ignored.
     */
    async stop() {
      clearInterval(timer);
      const branches = [...local.keys()];
      local.clear();
      leased.clear();
      bySocket.clear();
      if (redis.status === 'ready') {
        await Promise.allSettled([...queues.values()]);
        await Promise.all(
          branches.map(async (branchId) => {
            const { members, leases } = presenceKeys(prefix, branchId);
            const left = (await run.dynapharmPresenceRetire(members, leases, gateway)) as unknown[];
            announceLeft(branchId, left);
          }),
        );
      }
      stopped = true;
    },
  };
}

export type Presence = ReturnType<typeof createPresence>;

function parseMember(value: unknown): PresenceMember | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const parsed = presenceMemberSchema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
