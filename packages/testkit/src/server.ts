import type { StackMode } from './mode.ts';

/**
 * A server started for tests, with the controls failure tests need. Its address
 * stays the same across `stop`/`start`/`restart`, so clients can reconnect.
 */
export interface TestServer {
  readonly mode: StackMode;
  readonly host: string;
  readonly port: number;
  /** Connection URL (for PostgreSQL: the admin database). */
  readonly url: string;
  /** Stops the server; its data is kept until `close()`. */
  stop(): Promise<void>;
  /** Starts a stopped server again on the same address. */
  start(): Promise<void>;
  /** Stop followed by start. */
  restart(): Promise<void>;
  /** Freezes the server: connections stay open but nothing is answered. */
  pause(): Promise<void>;
  /** Resumes a paused server. */
  unpause(): Promise<void>;
  /** Stops the server for good and removes its data. */
  close(): Promise<void>;
}
