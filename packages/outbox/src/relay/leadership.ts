import pg from 'pg';

/** The setting the relay sends in its startup packet and reads back on its session. */
const MARKER = 'dynapharm.relay_session';

/**
 * The relay's `RELAY_DATABASE_URL` (or `DATABASE_URL`) does not reach
 * PostgreSQL directly: a pooler sits in between, which would hand the session's
 * advisory lock and `LISTEN` to whichever client it serves next.
 */
export class PooledSessionError extends Error {
  override readonly name = 'PooledSessionError';
}

/**
 * The relay's own PostgreSQL session. Leadership is a session-level advisory
 * lock: it lasts exactly as long as this connection, so a leader that dies or
 * loses its link releases it and a standby takes over. (A transaction-mode
 * pooler cannot carry it: this session must be direct.)
 */
export class LeaderSession {
  readonly client: pg.Client;
  private lost = false;

  constructor(databaseUrl: string, onLost: (err?: Error) => void) {
    this.client = new pg.Client({
      connectionString: databaseUrl,
      application_name: 'relay',
      // A startup option only a direct session keeps: PgBouncer refuses the
      // `options` parameter (or drops it, with `ignore_startup_parameters`), and
      // the backends it pools never saw it.
      options: `-c ${MARKER}=direct`,
    });
    const lose = (err?: Error) => {
      if (this.lost) return;
      this.lost = true;
      onLost(err);
    };
    this.client.on('error', lose);
    this.client.on('end', () => lose());
  }

  get isLost(): boolean {
    return this.lost;
  }

  /**
   * Connects, checks that the session is PostgreSQL's own (not a pooler's),
   * and tries the lock once; false when another process leads. Throws
   * {@link PooledSessionError} before taking the lock when a pooler is in between.
   */
  async tryAcquire(lockId: number): Promise<boolean> {
    try {
      await this.client.connect();
    } catch (err) {
      if (err instanceof Error && /unsupported startup parameter/i.test(err.message)) {
        throw new PooledSessionError(
          `the relay's database URL goes through a connection pooler (${err.message}); point RELAY_DATABASE_URL at PostgreSQL itself`,
        );
      }
      throw err;
    }
    const marker = await this.client.query<{ value: string | null }>(
      'SELECT current_setting($1, true) AS value',
      [MARKER],
    );
    if (marker.rows[0]?.value !== 'direct') {
      throw new PooledSessionError(
        "the relay's session lost its startup options, so a connection pooler sits in between; point RELAY_DATABASE_URL at PostgreSQL itself",
      );
    }
    const { rows } = await this.client.query<{ ok: boolean }>(
      'SELECT pg_try_advisory_lock($1) AS ok',
      [lockId],
    );
    return rows[0]?.ok === true;
  }

  /** Wakes `onSignal` on every `NOTIFY sync_log` (writers in other processes). */
  async listen(onSignal: () => void) {
    this.client.on('notification', onSignal);
    await this.client.query('LISTEN sync_log');
  }

  /** Ends the session (and with it the lock). */
  async end() {
    await this.client.end().catch(() => {});
  }
}
