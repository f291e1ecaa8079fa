-- Versioning and change capture for every synchronised resource (docs/architecture.md §2–§3).
--
-- * BEFORE INSERT: version = 1; created_at/updated_at default to now() unless given;
--   branches.branch_id = id, products.branch_id = NULL.
-- * BEFORE UPDATE: version = OLD.version + 1 and updated_at = now() (never earlier than
--   OLD.updated_at); id and created_at are immutable. A caller can neither set the
--   version nor move it backwards. An UPDATE that changes nothing but bookkeeping columns
--   (version, updated_at, last_synced_at) is a no-op: it keeps OLD.version and
--   updated_at and writes no sync_log row, so replays and relay bookkeeping stay silent.
-- * AFTER INSERT/UPDATE: exactly one sync_log row per change, in the same transaction,
--   with the row in the API shape of @dynapharm/types (camelCase keys, ISO-8601 UTC
--   timestamps with milliseconds, like Date#toISOString), actor and origin from the
--   transaction-local settings dynapharm.actor / dynapharm.origin, then
--   pg_notify('sync_log', '') (notifications are delivered at commit and folded).
--
-- Orders: their data must carry `items`, but the order row is inserted before its
-- items (order_items.order_id references it). The orders trigger is therefore a
-- DEFERRABLE INITIALLY DEFERRED constraint trigger: it runs at COMMIT, when the items
-- exist, while still inside the transaction (same atomicity, settings still visible).
-- Each event still sees the row as it was at that event, so an order inserted and then
-- updated in one transaction logs version 1 and version 2. Alternatives rejected:
-- inserting items first needs a deferrable FK and a caller-side ordering rule; logging
-- from an order_items trigger would emit one change per line.

-- 'unit_price_cents' -> 'unitPriceCents'
CREATE FUNCTION dynapharm_camel_case(name text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT string_agg(CASE WHEN n = 1 THEN part ELSE initcap(part) END, '' ORDER BY n)
  FROM unnest(string_to_array(name, '_')) WITH ORDINALITY AS p(part, n)
$$;
--> statement-breakpoint

-- A row (as to_jsonb) in the API shape: camelCase keys; *_at columns as
-- 'YYYY-MM-DDTHH:MI:SS.mmmZ', independent of the session's TimeZone.
CREATE FUNCTION dynapharm_api_json(row_data jsonb) RETURNS jsonb
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(
    jsonb_object_agg(
      dynapharm_camel_case(key),
      CASE
        WHEN key LIKE '%\_at' AND jsonb_typeof(value) = 'string' THEN to_jsonb(
          to_char(
            (value #>> '{}')::timestamptz AT TIME ZONE 'UTC',
            'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'
          )
        )
        ELSE value
      END
    ),
    '{}'::jsonb
  )
  FROM jsonb_each(row_data)
$$;
--> statement-breakpoint

CREATE FUNCTION dynapharm_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.version := 1;
  NEW.created_at := date_trunc('milliseconds', coalesce(NEW.created_at, now()));
  NEW.updated_at := date_trunc('milliseconds', coalesce(NEW.updated_at, now()));
  IF TG_TABLE_NAME = 'branches' THEN
    NEW.branch_id := NEW.id;
  ELSIF TG_TABLE_NAME = 'products' THEN
    NEW.branch_id := NULL;
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint

CREATE FUNCTION dynapharm_before_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id IS DISTINCT FROM OLD.id THEN
    RAISE EXCEPTION 'the id of a % row cannot change', TG_TABLE_NAME
      USING ERRCODE = 'check_violation';
  END IF;
  NEW.created_at := OLD.created_at;
  IF TG_TABLE_NAME = 'branches' THEN
    NEW.branch_id := NEW.id;
  ELSIF TG_TABLE_NAME = 'products' THEN
    NEW.branch_id := NULL;
  END IF;
  IF to_jsonb(NEW) - ARRAY['version', 'updated_at', 'last_synced_at']
     = to_jsonb(OLD) - ARRAY['version', 'updated_at', 'last_synced_at'] THEN
    NEW.version := OLD.version;
    NEW.updated_at := OLD.updated_at;
    RETURN NEW;
  END IF;
  NEW.version := OLD.version + 1;
  -- now() is the transaction start; never let updated_at run backwards.
  NEW.updated_at := greatest(date_trunc('milliseconds', now()), OLD.updated_at);
  RETURN NEW;
END
$$;
--> statement-breakpoint

CREATE FUNCTION dynapharm_log_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  change_action text;
  change_data jsonb;
BEGIN
  IF TG_OP = 'INSERT' THEN
    change_action := 'created';
  ELSIF NEW.version = OLD.version THEN
    RETURN NULL; -- a no-op update (see dynapharm_before_update): nothing changed
  ELSIF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN
    change_action := 'deleted';
  ELSE
    change_action := 'updated';
  END IF;

  change_data := dynapharm_api_json(to_jsonb(NEW));
  IF TG_TABLE_NAME = 'orders' THEN
    change_data := change_data || jsonb_build_object(
      'items',
      (
        SELECT coalesce(
          jsonb_agg(
            jsonb_build_object(
              'id', i.id,
              'productId', i.product_id,
              'quantity', i.quantity,
              'unitPriceCents', i.unit_price_cents
            )
            ORDER BY i.id
          ),
          '[]'::jsonb
        )
        FROM order_items i
        WHERE i.order_id = NEW.id
      )
    );
  END IF;

  INSERT INTO sync_log (resource, action, record_id, branch_id, version, data, actor, origin)
  VALUES (
    TG_TABLE_NAME,
    change_action,
    NEW.id,
    NEW.branch_id,
    NEW.version,
    change_data,
    nullif(current_setting('dynapharm.actor', true), ''),
    nullif(current_setting('dynapharm.origin', true), '')
  );
  PERFORM pg_notify('sync_log', '');
  RETURN NULL;
END
$$;
--> statement-breakpoint

CREATE TRIGGER branches_before_insert BEFORE INSERT ON branches
  FOR EACH ROW EXECUTE FUNCTION dynapharm_before_insert();
--> statement-breakpoint
CREATE TRIGGER branches_before_update BEFORE UPDATE ON branches
  FOR EACH ROW EXECUTE FUNCTION dynapharm_before_update();
--> statement-breakpoint
CREATE TRIGGER branches_log_change AFTER INSERT OR UPDATE ON branches
  FOR EACH ROW EXECUTE FUNCTION dynapharm_log_change();
--> statement-breakpoint

CREATE TRIGGER clients_before_insert BEFORE INSERT ON clients
  FOR EACH ROW EXECUTE FUNCTION dynapharm_before_insert();
--> statement-breakpoint
CREATE TRIGGER clients_before_update BEFORE UPDATE ON clients
  FOR EACH ROW EXECUTE FUNCTION dynapharm_before_update();
--> statement-breakpoint
CREATE TRIGGER clients_log_change AFTER INSERT OR UPDATE ON clients
  FOR EACH ROW EXECUTE FUNCTION dynapharm_log_change();
--> statement-breakpoint

CREATE TRIGGER products_before_insert BEFORE INSERT ON products
  FOR EACH ROW EXECUTE FUNCTION dynapharm_before_insert();
--> statement-breakpoint
CREATE TRIGGER products_before_update BEFORE UPDATE ON products
  FOR EACH ROW EXECUTE FUNCTION dynapharm_before_update();
--> statement-breakpoint
CREATE TRIGGER products_log_change AFTER INSERT OR UPDATE ON products
  FOR EACH ROW EXECUTE FUNCTION dynapharm_log_change();
--> statement-breakpoint

CREATE TRIGGER stock_before_insert BEFORE INSERT ON stock
  FOR EACH ROW EXECUTE FUNCTION dynapharm_before_insert();
--> statement-breakpoint
CREATE TRIGGER stock_before_update BEFORE UPDATE ON stock
  FOR EACH ROW EXECUTE FUNCTION dynapharm_before_update();
--> statement-breakpoint
CREATE TRIGGER stock_log_change AFTER INSERT OR UPDATE ON stock
  FOR EACH ROW EXECUTE FUNCTION dynapharm_log_change();
--> statement-breakpoint

CREATE TRIGGER orders_before_insert BEFORE INSERT ON orders
  FOR EACH ROW EXECUTE FUNCTION dynapharm_before_insert();
--> statement-breakpoint
CREATE TRIGGER orders_before_update BEFORE UPDATE ON orders
  FOR EACH ROW EXECUTE FUNCTION dynapharm_before_update();
--> statement-breakpoint
-- Deferred to COMMIT so the logged data includes the order's items (see above).
CREATE CONSTRAINT TRIGGER orders_log_change AFTER INSERT OR UPDATE ON orders
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION dynapharm_log_change();
--> statement-breakpoint

CREATE TRIGGER reports_before_insert BEFORE INSERT ON reports
  FOR EACH ROW EXECUTE FUNCTION dynapharm_before_insert();
--> statement-breakpoint
CREATE TRIGGER reports_before_update BEFORE UPDATE ON reports
  FOR EACH ROW EXECUTE FUNCTION dynapharm_before_update();
--> statement-breakpoint
CREATE TRIGGER reports_log_change AFTER INSERT OR UPDATE ON reports
  FOR EACH ROW EXECUTE FUNCTION dynapharm_log_change();
--> statement-breakpoint

CREATE TRIGGER employees_before_insert BEFORE INSERT ON employees
  FOR EACH ROW EXECUTE FUNCTION dynapharm_before_insert();
--> statement-breakpoint
CREATE TRIGGER employees_before_update BEFORE UPDATE ON employees
  FOR EACH ROW EXECUTE FUNCTION dynapharm_before_update();
--> statement-breakpoint
CREATE TRIGGER employees_log_change AFTER INSERT OR UPDATE ON employees
  FOR EACH ROW EXECUTE FUNCTION dynapharm_log_change();
