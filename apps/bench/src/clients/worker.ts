import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import WebSocket from 'ws';
import { createHistogram, encodeHistogram, type Histogram, recordMs } from '../stats/histogram.ts';
import type { ClientKind, FromWorker, Target, ToWorker, WorkerPhaseResult } from './protocol.ts';

/**
 * A client worker process: holds its share of the connections, stamps every
 * change event with its receive time (same wall clock as PostgreSQL and the
 * emitters, all on this machine) and keeps the offsets each connection saw, so
 * the driver can count lost and duplicated events per subscriber.
 */

interface ChangeLike {
  offset: number;
  at: string;
}

interface Conn {
  room: string;
  close(): void;
}

const send = (message: FromWorker) => process.send?.(message);
const wallNow = () => performance.timeOrigin + performance.now();

// Indexed by connection number; a failed connection leaves a hole, so indices never shift.
let conns: (Conn | undefined)[] = [];
let offsets: number[][] = [];
let histogram: Histogram = createHistogram();
let measuring = false;
let received = 0;
let lastAt = 0;
let disconnects = 0;
let connected = 0;
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();

function onEvent(index: number, event: ChangeLike | undefined) {
  if (!measuring || !event || typeof event.at !== 'string') return;
  const now = wallNow();
  received++;
  lastAt = now;
  recordMs(histogram, now - Date.parse(event.at));
  offsets[index]?.push(event.offset);
}

const connectTimeoutMs = 30_000;

function openSocketIo(target: Target, index: number): Promise<Conn> {
  return new Promise((resolve, reject) => {
    // `localAddress` is handed through engine.io-client to `ws` (Node only; absent from the typings).
    const options: Partial<ManagerOptions & SocketOptions> & { localAddress: string } = {
      path: '/ws',
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: connectTimeoutMs,
      localAddress: target.localAddress,
      ...(target.token ? { auth: { token: target.token } } : {}),
    };
    const socket: Socket = io(target.url, options);
    const conn: Conn = { room: target.room, close: () => socket.disconnect() };
    const timer = setTimeout(() => fail(new Error('subscribe timed out')), connectTimeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.disconnect();
      reject(err);
    };
    socket.once('connect_error', (err) => fail(err));
    socket.onAny((_name: string, payload: ChangeLike | undefined) => onEvent(index, payload));
    socket.once('connect', () => {
      connected++;
      socket.once('disconnect', () => {
        connected--;
        disconnects++;
      });
      if (!target.room) {
        clearTimeout(timer);
        resolve(conn);
        return;
      }
      socket.emit('subscribe', [target.room], (ack: { granted?: string[] }) => {
        clearTimeout(timer);
        if (ack.granted?.includes(target.room)) resolve(conn);
        else fail(new Error(`subscribe refused: ${JSON.stringify(ack)}`));
      });
    });
  });
}

function openWs(target: Target, index: number): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${target.url.replace(/^http/, 'ws')}/raw`, {
      localAddress: target.localAddress,
      perMessageDeflate: false,
      handshakeTimeout: connectTimeoutMs,
    });
    const conn: Conn = { room: target.room, close: () => ws.close() };
    ws.once('error', (err) => reject(err));
    ws.on('message', (data) => {
      const text = data.toString();
      if (text === 'subscribed') {
        resolve(conn);
        return;
      }
      const parsed = JSON.parse(text) as [string, ChangeLike];
      onEvent(index, parsed[1]);
    });
    ws.once('open', () => {
      connected++;
      ws.once('close', () => {
        connected--;
        disconnects++;
      });
      if (target.room) ws.send(JSON.stringify({ subscribe: [target.room] }));
      else resolve(conn);
    });
  });
}

async function connectAll(kind: ClientKind, targets: Target[], concurrency: number) {
  const start = conns.length;
  conns = conns.concat(Array.from({ length: targets.length }, () => undefined));
  offsets = offsets.concat(targets.map(() => []));
  let next = 0;
  let ok = 0;
  let failed = 0;
  const errors = new Set<string>();
  const open = kind === 'socketio' ? openSocketIo : openWs;
  const lane = async () => {
    while (next < targets.length) {
      const i = next++;
      const target = targets[i];
      if (!target) continue;
      try {
        conns[start + i] = await open(target, start + i);
        ok++;
      } catch (err) {
        failed++;
        if (errors.size < 5) errors.add(err instanceof Error ? err.message : String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, lane));
  send({ type: 'connected', ok, failed, errors: [...errors] });
}

/**
 * Counts lost, duplicated and unexpected offsets up to `upTo` against
 * `expected` (room → offsets), and forgets the offsets it checked.
 */
function checkOffsets(expected: Record<string, number[]>, upTo: number) {
  const sets = new Map(Object.entries(expected).map(([room, list]) => [room, new Set(list)]));
  let lost = 0;
  let duplicates = 0;
  let unexpected = 0;
  conns.forEach((conn, i) => {
    if (!conn?.room) return;
    const want = sets.get(conn.room) ?? new Set<number>();
    const seen = new Set<number>();
    const later: number[] = [];
    for (const offset of offsets[i] ?? []) {
      if (offset > upTo) later.push(offset);
      else if (!want.has(offset)) unexpected++;
      else if (seen.has(offset)) duplicates++;
      else seen.add(offset);
    }
    lost += want.size - seen.size;
    offsets[i] = later;
  });
  return { lost, duplicates, unexpected };
}

function report(counts: ReturnType<typeof checkOffsets>): WorkerPhaseResult {
  return {
    histogram: encodeHistogram(histogram),
    received,
    ...counts,
    lastAt,
    disconnects,
    eventLoopP99Ms: loop.percentile(99) / 1e6,
    eventLoopMaxMs: loop.max / 1e6,
  };
}

function stopPhase(expected: Record<string, number[]>) {
  measuring = false;
  send({
    type: 'phase-result',
    result: report(checkOffsets(expected, Number.POSITIVE_INFINITY)),
  });
}

function nextWindow(expected: Record<string, number[]>, upTo: number) {
  send({ type: 'window-result', result: report(checkOffsets(expected, upTo)) });
  histogram = createHistogram();
  received = 0;
  disconnects = 0;
  loop.reset();
}

const ticker = setInterval(() => send({ type: 'tick', connected, received }), 1000);

process.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'connect':
      void connectAll(message.kind, message.targets, message.concurrency);
      return;
    case 'phase-start':
      histogram = createHistogram();
      offsets = Array.from({ length: conns.length }, () => []);
      received = 0;
      lastAt = 0;
      disconnects = 0;
      loop.reset();
      measuring = true;
      return;
    case 'phase-stop':
      stopPhase(message.expected);
      return;
    case 'window':
      nextWindow(message.expected, message.upTo);
      return;
    case 'disconnect': {
      measuring = false;
      for (const conn of conns) conn?.close();
      conns = [];
      offsets = [];
      // Give the close frames a moment to leave before reporting.
      setTimeout(() => send({ type: 'disconnected' }), 500);
      return;
    }
    default: {
      const never: never = message;
      return never;
    }
  }
});

process.on('disconnect', () => {
  clearInterval(ticker);
  process.exit(0);
});

send({ type: 'ready' });
