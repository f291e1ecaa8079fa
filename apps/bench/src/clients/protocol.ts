/** One connection a client worker opens. */
export interface Target {
  /** `http://127.0.0.1:<port>` of a gateway or baseline server. */
  url: string;
  /** JWT for the gateway handshake (ignored by the baselines). */
  token?: string;
  /** Room to subscribe to; empty for an idle connection. */
  room: string;
  /** 127.0.0.x source address, so each address gets its own ephemeral port range. */
  localAddress: string;
}

export type ClientKind = 'socketio' | 'ws';

/** Driver → worker. */
export type ToWorker =
  | { type: 'connect'; kind: ClientKind; targets: Target[]; concurrency: number }
  | { type: 'phase-start' }
  | { type: 'phase-stop'; expected: Record<string, number[]> }
  /**
   * Soak windows: check the offsets up to `upTo` against `expected` and forget
   * them, report, and start a fresh histogram; the phase goes on.
   */
  | { type: 'window'; expected: Record<string, number[]>; upTo: number }
  | { type: 'disconnect' };

/** What a worker measured between `phase-start` and `phase-stop`. */
export interface WorkerPhaseResult {
  /** hdr-histogram, compressed base64, microseconds. */
  histogram: string;
  received: number;
  lost: number;
  duplicates: number;
  /** Events that were not expected in this phase (stragglers of an earlier one). */
  unexpected: number;
  /** Epoch ms (sub-ms precision) of the last event received. */
  lastAt: number;
  disconnects: number;
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
}

/** Worker → driver. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'tick'; connected: number; received: number }
  | { type: 'connected'; ok: number; failed: number; errors: string[] }
  | { type: 'phase-result'; result: WorkerPhaseResult }
  | { type: 'window-result'; result: WorkerPhaseResult }
  | { type: 'disconnected' };
