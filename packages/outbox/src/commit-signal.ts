import type { Pool } from 'pg';
import type { Logger } from 'pino';

/**
 * Tells the relay leader that a write committed. The change trigger does not
 * NOTIFY (that would serialise every commit in PostgreSQL); instead, after a
 * write's response, the local relay is woken in-process and, when the leader
 * runs in another process, one `pg_notify` is sent — at most one in flight per
 * process, so a burst of writes costs a single extra round trip.
 */
export function createCommitSignal(
  pool: Pool,
  relay: { wake(): void; isLeader(): boolean },
  logger: Logger,
) {
  let inFlight = false;
  let again = false;

  const notifyOthers = () => {
    inFlight = true;
    again = false;
    pool
      .query("SELECT pg_notify('sync_log', '')")
      .catch((err: unknown) => logger.debug({ err }, 'could not notify the relay leader'))
      .finally(() => {
        inFlight = false;
        if (again) notifyOthers();
      });
  };

  return {
    /** Call after a write has committed. */
    signal() {
      relay.wake();
      if (relay.isLeader()) return;
      if (inFlight) again = true;
      else notifyOthers();
    },
  };
}
