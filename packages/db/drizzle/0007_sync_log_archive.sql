-- Record history outlives the live change log (docs/architecture.md §3.8).
--
-- The relay trims sync_log rows past retention. They now move, in the same
-- statement, into sync_log_archive: an append-only table partitioned by the
-- UTC month of changed_at. sync_log_trim() is that statement: it picks a chunk
-- of published rows older than the retention, creates the months it needs,
-- then deletes them from sync_log, inserts them into the archive and raises
-- relay_state.trimmed in one data-modifying statement. A process that dies
-- midway leaves the whole chunk where it was.
--
-- Append-only: a trigger refuses UPDATE and DELETE on every partition, for
-- every role. An operator removes a whole old month by detaching and dropping
-- its partition (docs/operations.md); no row-level change is ever allowed.
CREATE TABLE sync_log_archive (
	id bigint NOT NULL,
	resource text NOT NULL,
	action text NOT NULL,
	record_id uuid NOT NULL,
	branch_id uuid,
	version integer NOT NULL,
	data jsonb NOT NULL,
	actor text,
	origin text,
	changed_at timestamp (3) with time zone NOT NULL,
	"offset" bigint,
	published_at timestamp (3) with time zone,
	archived_at timestamp (3) with time zone NOT NULL DEFAULT clock_timestamp()
) PARTITION BY RANGE (changed_at);
--> statement-breakpoint
-- One record's history, newest version first (GET /api/<resource>/<id>/history).
CREATE INDEX sync_log_archive_record_idx ON sync_log_archive (record_id, version);
--> statement-breakpoint

-- The partition of the UTC month holding `at`, created when missing. Named
-- sync_log_archive_yYYYYmMM; bounds are UTC month starts.
CREATE FUNCTION sync_log_archive_partition(at timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  month_start timestamptz := date_trunc('month', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  part text := 'sync_log_archive_' || to_char(month_start AT TIME ZONE 'UTC', '"y"YYYY"m"MM');
BEGIN
  IF to_regclass(part) IS NULL THEN
    EXECUTE format(
      'CREATE TABLE IF NOT EXISTS %I PARTITION OF sync_log_archive FOR VALUES FROM (%L) TO (%L)',
      part,
      month_start,
      (month_start AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC'
    );
  END IF;
  RETURN part;
END
$$;
--> statement-breakpoint

CREATE FUNCTION sync_log_archive_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'sync_log_archive is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'drop a whole month by detaching its partition (docs/operations.md)';
END
$$;
--> statement-breakpoint
-- Row triggers on a partitioned table are cloned onto every partition, present and future.
CREATE TRIGGER sync_log_archive_append_only
  BEFORE UPDATE OR DELETE ON sync_log_archive
  FOR EACH ROW EXECUTE FUNCTION sync_log_archive_refuse();
--> statement-breakpoint
CREATE TRIGGER sync_log_archive_no_truncate
  BEFORE TRUNCATE ON sync_log_archive
  FOR EACH STATEMENT EXECUTE FUNCTION sync_log_archive_refuse();
--> statement-breakpoint

-- Moves up to `chunk` published sync_log rows older than `retention_secs` into
-- the archive and raises relay_state.trimmed, in one statement after the months
-- they need exist. Returns how many rows moved.
CREATE FUNCTION sync_log_trim(retention_secs double precision, chunk integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  ids bigint[];
  month timestamptz;
  moved bigint;
BEGIN
  SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO ids FROM (
    SELECT id FROM sync_log
     WHERE changed_at < now() - make_interval(secs => retention_secs)
       AND published_at IS NOT NULL
     ORDER BY id LIMIT chunk
  ) d;
  IF cardinality(ids) = 0 THEN
    RETURN 0;
  END IF;
  FOR month IN
    SELECT DISTINCT date_trunc('month', changed_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
      FROM sync_log WHERE id = ANY(ids)
  LOOP
    PERFORM sync_log_archive_partition(month);
  END LOOP;
  WITH gone AS (
    DELETE FROM sync_log WHERE id = ANY(ids) RETURNING *
  ), kept AS (
    INSERT INTO sync_log_archive (id, resource, action, record_id, branch_id, version, data,
                                  actor, origin, changed_at, "offset", published_at)
    SELECT id, resource, action, record_id, branch_id, version, data,
           actor, origin, changed_at, "offset", published_at
      FROM gone
  ), mark AS (
    UPDATE relay_state SET trimmed = greatest(trimmed, (SELECT max("offset") FROM gone))
     WHERE id = 1 AND EXISTS (SELECT 1 FROM gone)
  )
  SELECT count(*) INTO moved FROM gone;
  RETURN moved;
END
$$;
