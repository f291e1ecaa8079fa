import {
  type ChangeEventName,
  type ChangesPage,
  type ClientToServerEvents,
  changeEventSchema,
  changesPageSchema,
  deviceIdSchema,
  type LiveChange,
  type PresenceMember,
  type PresenceSnapshot,
  type PresenceWatch,
  presenceEventSchema,
  presenceSnapshotSchema,
  publishableChangeSchema,
  type ServerToClientEvents,
  type SubscribeAck,
} from '@dynapharm/types';
import { io, type Socket } from 'socket.io-client';
import { backoffDelay } from './backoff.ts';
import { ChangeMerger } from './merge.ts';

const MAX_BUFFERED = 10_000;

/** A failed fetch of missed changes; `permanent` when retrying cannot help (auth, bad request). */
export class CatchUpError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

export type ChangeHandler = (data: Record<string, unknown>, event: LiveChange) => void;

const liveChangeSchema = changeEventSchema.or(publishableChangeSchema);

/**
 * What `on('presence')` reports: a member of a watched branch joined or left,
 * or the whole list of a branch arrived (after `watchPresence` and after every
 * reconnect).
 */
export type PresenceUpdate =
  | { type: 'join' | 'leave'; branchId: string; member: PresenceMember }
  | { type: 'snapshot'; branchId: string; members: PresenceMember[] };

/** Called with the update and the branch's members after it (see {@link RealtimeClient.presence}). */
export type PresenceHandler = (update: PresenceUpdate, members: PresenceMember[]) => void;

/** A member is a user on a device: its tabs count once. */
const memberKey = (m: PresenceMember) => JSON.stringify([m.userId, m.deviceId]);

export interface RealtimeClientOptions {
  /** The front door or a gateway (`http://host:8080`); a list is tried in turn for fail-over. */
  wsUrl: string | string[];
  /** Bearer token, or a function returning a fresh one at each (re)connect. */
  token?: string | (() => string | Promise<string>);
  /** Base URL of the API for catch-up. @default the origin of the first `wsUrl` */
  apiUrl?: string;
  /** Socket.IO path. @default '/ws' */
  path?: string;
  /** Offset to resume from (e.g. persisted by the page). @default the head at first connect */
  initialOffset?: number;
  /**
   * Epoch `initialOffset` belongs to (persist both together). When the server's
   * stream has another epoch, the client resyncs instead of resuming.
   */
  initialEpoch?: string;
  /** First and longest reconnect delay. @default 500 and 15000 */
  reconnectDelayMs?: { min: number; max: number };
  /** Transports in order of preference. @default ['websocket', 'polling'] */
  transports?: ('websocket' | 'polling')[];
  /** Safety net: catch up through the API this often while connected (0 disables). @default 30000 */
  catchUpIntervalMs?: number;
  /** Catch-up requests slower than this are abandoned and retried. @default 15000 */
  requestTimeoutMs?: number;
  /** Injected `fetch` (tests, old browsers). @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * Live events kept while a catch-up runs. Beyond it they are dropped and the
   * catch-up fetches once more past them. @default 10000
   */
  maxBufferedEvents?: number;
  /**
   * With `replica`: report the applied offset to the gateway (`sync:ack`) after
   * every (re)connect and catch-up, and then whenever it moved, at most every
   * `ackIntervalMs`, so operators see how far behind this device is.
   */
  deviceId?: string;
  /** Which local store acknowledges (e.g. `console`); see `deviceId`. */
  replica?: string;
  /** @default 3000 */
  ackIntervalMs?: number;
}

/**
 * Live data for a page or a service: connects to a gateway, subscribes to
 * channels, delivers `<resource>:<action>` events, and after any disconnect
 * fetches what it missed from `/api/changes`, so the application sees every
 * change once, in offset order, without gaps or duplicates.
 *
 * @example
 * const rt = new RealtimeClient({ wsUrl: 'http://localhost:8080', token });
 * rt.on('clients:created', (client) => render(client));
 * await rt.connect();
 * await rt.subscribe(['clients', 'orders']);
 */
export class RealtimeClient {
  private readonly urls: string[];
  private readonly opts: RealtimeClientOptions;
  private readonly merger: ChangeMerger;
  private readonly handlers = new Map<string, Set<ChangeHandler>>();
  private readonly connectHandlers = new Set<(info: { replicaId?: string }) => void>();
  private readonly disconnectHandlers = new Set<(reason: string) => void>();
  private readonly resyncHandlers = new Set<(head: number) => void>();
  private readonly channels = new Set<string>();
  private readonly presenceHandlers = new Set<PresenceHandler>();
  /** `presence:watch` requests, re-sent after every reconnect (keyed by their JSON). */
  private readonly presenceWatches = new Map<string, PresenceWatch>();
  /** Members of each watched branch, by user and device. */
  private readonly members = new Map<string, Map<string, PresenceMember>>();
  private socket: Socket<ServerToClientEvents, ClientToServerEvents> | undefined;
  private urlIndex = 0;
  private attempt = 0;
  private wanted = false;
  private started = false;
  private catchingUp: Promise<void> | undefined;
  /** A catch-up asked for while one ran: it runs once more after it. */
  private catchUpAgain: Promise<void> | undefined;
  private buffer: LiveChange[] | undefined;
  /** Live events were dropped from the buffer during the current catch-up round. */
  private overflowed = false;
  private streamEpoch: string | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private catchUpTimer: ReturnType<typeof setInterval> | undefined;
  private catchUpRetry: ReturnType<typeof setTimeout> | undefined;
  private ackTimer: ReturnType<typeof setInterval> | undefined;
  private acked: string | undefined;
  private announced: Socket | undefined;
  private nextDelayHint: number | undefined;
  private firstConnect: { resolve: () => void; reject: (err: Error) => void } | undefined;
  /** Replica id of the gateway this client is connected to. */
  replicaId: string | undefined;

  constructor(options: RealtimeClientOptions) {
    this.opts = options;
    this.urls = Array.isArray(options.wsUrl) ? [...options.wsUrl] : [options.wsUrl];
    if (this.urls.length === 0) throw new Error('RealtimeClient needs at least one wsUrl');
    if (options.deviceId !== undefined && !deviceIdSchema.safeParse(options.deviceId).success) {
      // The gateway would refuse every handshake with it.
      throw new Error('RealtimeClient deviceId must be 8 to 64 letters, digits, "_" or "-"');
    }
    this.merger = new ChangeMerger(options.initialOffset ?? 0);
    this.started = options.initialOffset !== undefined;
    this.streamEpoch = options.initialEpoch;
  }

  /** The gateway URL in use (or tried next). */
  get wsUrl(): string {
    return this.urls[this.urlIndex] ?? '';
  }

  get isConnected(): boolean {
    return this.socket?.connected === true;
  }

  /** Highest offset applied; persist it (with `epoch`) to resume after a page reload. */
  get lastOffset(): number {
    return this.merger.lastOffset;
  }

  /** The epoch `lastOffset` belongs to; undefined until the first catch-up. */
  get epoch(): string | undefined {
    return this.streamEpoch;
  }

  /** Connects and resolves once connected and caught up; keeps reconnecting until `disconnect()`. */
  connect(): Promise<void> {
    this.wanted = true;
    if (this.isConnected) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.firstConnect = { resolve, reject };
      if (!this.socket && !this.reconnectTimer) void this.open();
    });
  }

  disconnect() {
    this.wanted = false;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.catchUpTimer);
    clearTimeout(this.catchUpRetry);
    clearInterval(this.ackTimer);
    this.reconnectTimer = undefined;
    this.closeSocket();
  }

  /** Subscribes to channels (`clients`, `orders@<branchId>`); remembered across reconnects. */
  async subscribe(channels: string[]): Promise<SubscribeAck> {
    for (const c of channels) this.channels.add(c);
    if (!this.socket?.connected) return { granted: [], denied: [] };
    const ack = await this.request('subscribe', channels);
    for (const d of ack.denied) this.channels.delete(d.channel);
    return ack;
  }

  async unsubscribe(channels: string[]): Promise<SubscribeAck> {
    for (const c of channels) this.channels.delete(c);
    if (!this.socket?.connected) return { granted: [], denied: [] };
    return this.request('unsubscribe', channels);
  }

  /**
   * Listens to `<resource>:<action>` (e.g. `clients:created`), `*` for every
   * change, or `presence` for who comes and goes in watched branches
   * ({@link watchPresence}).
   */
  on(event: 'presence', handler: PresenceHandler): this;
  on(event: ChangeEventName | '*', handler: ChangeHandler): this;
  on(event: ChangeEventName | '*' | 'presence', handler: ChangeHandler | PresenceHandler): this {
    if (event === 'presence') {
      this.presenceHandlers.add(handler as PresenceHandler);
      return this;
    }
    const change = handler as ChangeHandler;
    let set = this.handlers.get(event);
    if (!set) {
      set = new Set();
      this.handlers.set(event, set);
    }
    set.add(change);
    return this;
  }

  off(event: 'presence', handler: PresenceHandler): this;
  off(event: ChangeEventName | '*', handler: ChangeHandler): this;
  off(event: ChangeEventName | '*' | 'presence', handler: ChangeHandler | PresenceHandler): this {
    if (event === 'presence') this.presenceHandlers.delete(handler as PresenceHandler);
    else this.handlers.get(event)?.delete(handler as ChangeHandler);
    return this;
  }

  /**
   * Starts `presence` updates of branches and answers who is online in them
   * (one member per user and device). Branch users may leave `branches` out
   * (their own branches); admins name them. Remembered across reconnects,
   * each of which delivers a fresh `snapshot`. Rejects with the gateway's
   * message when it refuses (another branch, bad ids).
   */
  async watchPresence(branches?: string[]): Promise<PresenceSnapshot[]> {
    const request: PresenceWatch = branches ? { branches: [...branches] } : {};
    const key = JSON.stringify(request);
    this.presenceWatches.set(key, request);
    const socket = this.socket;
    if (!socket?.connected) return [];
    try {
      return await this.sendWatch(socket, request);
    } catch (err) {
      this.presenceWatches.delete(key);
      throw err;
    }
  }

  /** Stops `presence` updates of branches (all watched ones when left out) and forgets their members. */
  async unwatchPresence(branches?: string[]): Promise<void> {
    const leaving = branches ?? [...this.members.keys()];
    for (const [key, request] of this.presenceWatches) {
      if (!branches || request.branches?.some((b) => branches.includes(b))) {
        this.presenceWatches.delete(key);
      }
    }
    for (const branchId of leaving) this.members.delete(branchId);
    const socket = this.socket;
    if (!socket?.connected || leaving.length === 0) return;
    await socket.timeout(10_000).emitWithAck('presence:unwatch', { branches: leaving });
  }

  /** Who is online in a watched branch as this client last heard, earliest first. */
  presence(branchId: string): PresenceMember[] {
    return [...(this.members.get(branchId)?.values() ?? [])].sort((a, b) =>
      a.since.localeCompare(b.since),
    );
  }

  onConnect(handler: (info: { replicaId?: string }) => void) {
    this.connectHandlers.add(handler);
    return () => this.connectHandlers.delete(handler);
  }

  onDisconnect(handler: (reason: string) => void) {
    this.disconnectHandlers.add(handler);
    return () => this.disconnectHandlers.delete(handler);
  }

  /** Called when missed changes are no longer available: reload your snapshot. */
  onResync(handler: (head: number) => void) {
    this.resyncHandlers.add(handler);
    return () => this.resyncHandlers.delete(handler);
  }

  /** Records a version the page got from its own write or a snapshot, so older events are ignored. */
  noteVersion(resource: string, id: string, version: number) {
    this.merger.noteVersion(resource, id, version);
  }

  /** Fetches and delivers everything after the last offset (also run after every reconnect). */
  catchUp(): Promise<void> {
    if (this.catchingUp) {
      // The running one may have fetched already: what the caller knows is
      // missing (e.g. a gateway that was deaf for a moment says so) can be
      // after it. One more round after it covers every such request.
      this.catchUpAgain ??= this.catchingUp
        .catch(() => {})
        .then(() => {
          this.catchUpAgain = undefined;
          return this.catchUp();
        });
      return this.catchUpAgain;
    }
    this.catchingUp = this.runCatchUp().finally(() => {
      this.catchingUp = undefined;
    });
    return this.catchingUp;
  }

  private async token() {
    const { token } = this.opts;
    return typeof token === 'function' ? await token() : token;
  }

  private apiBase() {
    if (this.opts.apiUrl) return this.opts.apiUrl.replace(/\/$/, '');
    // In a browser, relative URLs resolve against the page.
    const base = (globalThis as { location?: { href: string } }).location?.href;
    return new URL(this.urls[0] ?? '/', base).origin;
  }

  private async open() {
    const url = this.wsUrl;
    let token: string | undefined;
    try {
      token = await this.token();
    } catch {
      this.scheduleReconnect();
      return;
    }
    if (!this.wanted) return;
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, {
      path: this.opts.path ?? '/ws',
      transports: this.opts.transports ?? ['websocket', 'polling'],
      auth: {
        ...(token ? { token } : {}),
        // Lets the gateway count this device's tabs once in presence.
        ...(this.opts.deviceId ? { deviceId: this.opts.deviceId } : {}),
      },
      reconnection: false,
      timeout: 10_000,
      forceNew: true,
      withCredentials: true,
    });
    this.socket = socket;
    socket.on('server:hello', (info) => {
      this.replicaId = info.replicaId;
    });
    socket.on('server:catch-up', () => this.catchUpInBackground(socket));
    socket.on('server:draining', (info) => {
      this.nextDelayHint = info.reconnectInMs;
    });
    socket.on('presence', (event) => this.receivePresence(event));
    socket.onAny((name: string, event: unknown) => {
      if (name.includes(':') && !name.startsWith('server:')) this.receive(event);
    });
    socket.on('connect', () => void this.onConnected(socket));
    socket.on('connect_error', (err) => {
      this.closeSocket();
      const data = (err as Error & { data?: { code?: string } }).data;
      if (data?.code === 'unauthorized' || data?.code === 'forbidden') {
        this.failFirstConnect(new Error(`gateway refused the connection: ${err.message}`));
      }
      this.scheduleReconnect();
    });
    socket.on('disconnect', (reason) => {
      clearInterval(this.catchUpTimer);
      for (const h of this.disconnectHandlers) h(reason);
      this.closeSocket();
      this.scheduleReconnect();
    });
  }

  private async onConnected(socket: Socket<ServerToClientEvents, ClientToServerEvents>) {
    this.attempt = 0;
    // Live events wait here until the catch-up has delivered everything before them.
    this.buffer = [];
    try {
      if (this.channels.size > 0) await this.request('subscribe', [...this.channels]);
      for (const request of this.presenceWatches.values()) {
        // Presence never holds up the change stream; a refusal just stops that watch.
        this.sendWatch(socket, request).catch(() => undefined);
      }
      await this.catchUp();
    } catch (err) {
      if (socket !== this.socket) return;
      if (err instanceof CatchUpError && err.permanent) {
        this.failFirstConnect(err);
        return;
      }
      // The API is unreachable for now: keep buffering and try again.
      this.retryCatchUp(socket, 1);
      return;
    }
    this.caughtUp(socket);
  }

  private catchUpInBackground(socket: Socket<ServerToClientEvents, ClientToServerEvents>) {
    this.catchUp().catch(() => this.retryCatchUp(socket, 1));
  }

  private retryCatchUp(
    socket: Socket<ServerToClientEvents, ClientToServerEvents>,
    attempt: number,
  ) {
    const { min, max } = this.opts.reconnectDelayMs ?? { min: 500, max: 15_000 };
    clearTimeout(this.catchUpRetry);
    this.catchUpRetry = setTimeout(
      () => {
        if (socket !== this.socket) return;
        this.catchUp().then(
          () => this.caughtUp(socket),
          () => this.retryCatchUp(socket, attempt + 1),
        );
      },
      backoffDelay(attempt, min, max),
    );
  }

  /** Announces a connection once its first catch-up has succeeded. */
  private caughtUp(socket: Socket<ServerToClientEvents, ClientToServerEvents>) {
    if (socket !== this.socket || this.announced === socket) return;
    this.announced = socket;
    const interval = this.opts.catchUpIntervalMs ?? 30_000;
    clearInterval(this.catchUpTimer);
    if (interval > 0) {
      this.catchUpTimer = setInterval(() => this.catchUpInBackground(socket), interval);
    }
    this.sendAck(true);
    clearInterval(this.ackTimer);
    if (this.opts.deviceId && this.opts.replica) {
      this.ackTimer = setInterval(() => this.sendAck(false), this.opts.ackIntervalMs ?? 3_000);
    }
    for (const h of this.connectHandlers) h({ replicaId: this.replicaId });
    this.firstConnect?.resolve();
    this.firstConnect = undefined;
  }

  /**
   * Fetches pages of missed changes, then releases the live events buffered
   * meanwhile in offset order. If a fetch fails, nothing is released: live
   * events keep waiting (and the last offset stays put) until a later catch-up
   * succeeds, so a failed catch-up can never turn into a silent gap.
   */
  private async runCatchUp() {
    this.buffer ??= [];
    const resources = [...new Set([...this.channels].map((c) => c.split('@')[0]))].join(',');
    // Releasing a buffer that lost events would move the offset past them:
    // while events were dropped, fetch again; they are in the log by now.
    do {
      this.overflowed = false;
      await this.catchUpRound(resources);
    } while (this.overflowed);
    const buffered = this.buffer ?? [];
    this.buffer = undefined;
    buffered.sort((a, b) => positionOf(a) - positionOf(b));
    for (const change of buffered) if (this.inCurrentEpoch(change)) this.deliver(change);
  }

  private async catchUpRound(resources: string) {
    if (!this.started) {
      const page = await this.fetchChanges(undefined, resources);
      this.merger.reset(page.head);
      this.streamEpoch = page.epoch;
      this.started = true;
    } else {
      for (;;) {
        const page = await this.fetchChanges(this.merger.lastOffset, resources);
        // Another epoch means another history: the offset says nothing there.
        if (page.resync || page.epoch !== this.streamEpoch) {
          this.merger.reset(page.head);
          this.streamEpoch = page.epoch;
          // Live events of the old history (or of the new one, from before
          // the snapshot the application is about to reload) are moot.
          this.buffer = [];
          for (const h of this.resyncHandlers) h(page.head);
          break;
        }
        for (const change of page.changes) this.deliver(change);
        if (page.nextAfter > this.merger.lastOffset) this.merger.lastOffset = page.nextAfter;
        if (!page.hasMore) break;
      }
    }
  }

  private async fetchChanges(after: number | undefined, resources: string): Promise<ChangesPage> {
    const url = new URL(`${this.apiBase()}/api/changes`);
    if (after !== undefined) url.searchParams.set('after', String(after));
    if (after !== undefined && this.streamEpoch) url.searchParams.set('epoch', this.streamEpoch);
    if (resources) url.searchParams.set('resources', resources);
    const token = await this.token();
    const doFetch = this.opts.fetch ?? globalThis.fetch;
    const res = await doFetch(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      credentials: 'include',
      // A hung request would hold live events back forever; give up and retry.
      signal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? 15_000),
    });
    if (!res.ok) {
      const permanent = res.status === 400 || res.status === 401 || res.status === 403;
      throw new CatchUpError(`catch-up failed: HTTP ${res.status}`, permanent);
    }
    const parsed = changesPageSchema.safeParse(await res.json().catch(() => undefined));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CatchUpError(
        `catch-up failed: the answer is not a changes page (${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''})`,
        false,
      );
    }
    return parsed.data;
  }

  private receive(raw: unknown) {
    const parsed = liveChangeSchema.safeParse(raw);
    if (!parsed.success) return;
    const event = parsed.data;
    if (!this.buffer) {
      if (!this.inCurrentEpoch(event)) {
        // The stream has a new identity (a restore or a reset): a catch-up
        // learns it and resyncs.
        if (this.socket) this.catchUpInBackground(this.socket);
        return;
      }
      return this.deliver(event);
    }
    // Buffered events are only a shortcut: dropped ones are fetched by one
    // more catch-up round, since the last offset has not moved past them.
    if (this.buffer.length < (this.opts.maxBufferedEvents ?? MAX_BUFFERED)) {
      this.buffer.push(event);
    } else {
      this.buffer = [];
      this.overflowed = true;
    }
  }

  private inCurrentEpoch(event: LiveChange): boolean {
    return !('epoch' in event) || event.epoch === this.streamEpoch;
  }

  private deliver(event: LiveChange) {
    if (!this.merger.accept(event)) return;
    const name = `${event.resource}:${event.action}`;
    for (const key of [name, '*']) {
      for (const handler of this.handlers.get(key) ?? []) {
        try {
          handler(event.data, event);
        } catch (err) {
          // A failing handler must not stop delivery to the others.
          queueMicrotask(() => {
            throw err;
          });
        }
      }
    }
  }

  /** Reports the applied position; `force` sends it even when unchanged (a new connection). */
  private sendAck(force: boolean) {
    const { deviceId, replica } = this.opts;
    const socket = this.socket;
    if (!deviceId || !replica || !socket?.connected || this.announced !== socket) return;
    if (!this.streamEpoch) return;
    const position = `${this.streamEpoch}:${this.lastOffset}`;
    if (!force && position === this.acked) return;
    this.acked = position;
    socket.emit('sync:ack', {
      deviceId,
      replica,
      offset: this.lastOffset,
      epoch: this.streamEpoch,
    });
  }

  private async sendWatch(
    socket: Socket<ServerToClientEvents, ClientToServerEvents>,
    request: PresenceWatch,
  ): Promise<PresenceSnapshot[]> {
    const answer: unknown = await socket.timeout(10_000).emitWithAck('presence:watch', request);
    if (answer && typeof answer === 'object' && 'error' in answer) {
      const { error } = answer as { error: { message?: unknown } };
      throw new Error(`presence:watch refused: ${String(error.message)}`);
    }
    const snapshots = (answer as { snapshots?: unknown } | undefined)?.snapshots;
    const parsed = presenceSnapshotSchema.array().safeParse(snapshots);
    if (!parsed.success) throw new Error('presence:watch: the answer is not a list of snapshots');
    if (socket !== this.socket) return parsed.data;
    for (const { branchId, members } of parsed.data) {
      this.members.set(branchId, new Map(members.map((m) => [memberKey(m), m])));
      this.notifyPresence({ type: 'snapshot', branchId, members });
    }
    return parsed.data;
  }

  private receivePresence(raw: unknown) {
    const parsed = presenceEventSchema.safeParse(raw);
    if (!parsed.success) return;
    const { type, branchId, member } = parsed.data;
    const members = this.members.get(branchId);
    // Only branches this client watches (a late event after unwatch is moot).
    if (!members) return;
    const key = memberKey(member);
    if (type === 'join') {
      // A repeat (the snapshot already had it) keeps the earliest `since`.
      const known = members.get(key);
      if (!known || member.since < known.since) members.set(key, member);
    } else {
      members.delete(key);
    }
    this.notifyPresence({ type, branchId, member });
  }

  private notifyPresence(update: PresenceUpdate) {
    const members = this.presence(update.branchId);
    for (const handler of this.presenceHandlers) {
      try {
        handler(update, members);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  private request(name: 'subscribe' | 'unsubscribe', channels: string[]) {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error('not connected'));
    return socket.timeout(10_000).emitWithAck(name, channels);
  }

  private closeSocket() {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      socket.removeAllListeners();
      socket.offAny();
      socket.disconnect();
    }
  }

  private failFirstConnect(err: Error) {
    this.firstConnect?.reject(err);
    this.firstConnect = undefined;
  }

  private scheduleReconnect() {
    if (!this.wanted || this.reconnectTimer) return;
    // With several gateway URLs, the next attempt goes to the next one (fail-over).
    this.urlIndex = (this.urlIndex + 1) % this.urls.length;
    const { min, max } = this.opts.reconnectDelayMs ?? { min: 500, max: 15_000 };
    const hint = this.nextDelayHint;
    this.nextDelayHint = undefined;
    const delay = hint ?? backoffDelay(this.attempt++, min, max);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.open();
    }, delay);
  }
}

/** Published (unpositioned) changes sort first: they carry no place in the stream. */
function positionOf(change: LiveChange): number {
  return 'offset' in change ? change.offset : 0;
}
