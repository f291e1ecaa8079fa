import { z } from 'zod';

/**
 * What `GET /api/ops/status` answers (admins only): the relay's position in
 * the change stream, read from PostgreSQL, and the alerts Prometheus holds.
 * The console's Operator page shows both next to the gateway replicas.
 */

export const relayStatusSchema = z.object({
  /** `ok`; `lagging` while changes wait to be published; `no_leader` when no API process holds the relay lock. */
  status: z.enum(['ok', 'lagging', 'no_leader']),
  /** Whether an API process holds the relay's leader lock on this database. */
  leader: z.boolean(),
  /** The stream's history (`relay_state.epoch`); null before the relay ever ran. */
  epoch: z.uuid().nullable(),
  /** The last offset the relay assigned (`relay_state.head`). */
  head: z.int().min(0),
  /** Every offset up to this one was confirmed published on the bus. */
  publishedOffset: z.int().min(0),
  /** Committed changes that have no offset yet (the relay has not claimed them). */
  unclaimed: z.int().min(0),
  lag: z.object({
    /** head − published offset, plus the unclaimed changes: what clients have not been sent. */
    changes: z.int().min(0),
    /** Age of the oldest change not yet published; 0 when none waits. */
    seconds: z.number().min(0),
  }),
});
export type RelayStatus = z.infer<typeof relayStatusSchema>;

export const opsAlertSchema = z.object({
  /** The rule's `alertname`. */
  name: z.string(),
  state: z.enum(['firing', 'pending']),
  severity: z.string().nullable(),
  /** The `summary` annotation (else `description`), when the rule has one. */
  summary: z.string().nullable(),
  /** When the alert became active (pending or firing). */
  activeAt: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
});
export type OpsAlert = z.infer<typeof opsAlertSchema>;

export const opsAlertsSchema = z.object({
  /** `not_configured` without `PROMETHEUS_URL`; `unavailable` when Prometheus did not answer usably. */
  status: z.enum(['ok', 'unavailable', 'not_configured']),
  /** Why the alerts are unavailable (never the URL's credentials). */
  reason: z.string().nullable(),
  /** Firing alerts first, then pending; empty unless `status` is `ok`. */
  alerts: z.array(opsAlertSchema),
});
export type OpsAlerts = z.infer<typeof opsAlertsSchema>;

export const opsStatusSchema = z.object({
  relay: relayStatusSchema,
  alerts: opsAlertsSchema,
  checkedAt: z.iso.datetime(),
});
export type OpsStatus = z.infer<typeof opsStatusSchema>;
