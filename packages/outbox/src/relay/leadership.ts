import pg from 'pg';

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
    this.client = new pg.Client({ connectionString: databaseUrl, application_name: 'relay' });
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

  /** Connects and tries the lock once; false when another process leads. */
  async tryAcquire(lockId: number): Promise<boolean> {
    await this.client.connect();
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
