-- The stream gets an identity. relay_state becomes one row holding the last
-- assigned offset (head), the highest trimmed offset, the epoch and the
-- incarnation fingerprint of the database (see @dynapharm/outbox, src/epoch.ts).
-- The epoch is new here: clients that stored an offset without an epoch resync
-- once, which is what they must do when they cannot tell which history an
-- offset belongs to.
CREATE TABLE "relay_state_next" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"epoch" uuid DEFAULT gen_random_uuid() NOT NULL,
	"head" bigint DEFAULT 0 NOT NULL,
	"trimmed" bigint DEFAULT 0 NOT NULL,
	"incarnation" text,
	CONSTRAINT "relay_state_one_row" CHECK ("id" = 1)
);
--> statement-breakpoint
INSERT INTO "relay_state_next" ("head", "trimmed")
SELECT
	greatest(
		coalesce((SELECT "last_offset" FROM "relay_state" WHERE "name" = 'relay'), 0),
		coalesce((SELECT max("offset") FROM "sync_log"), 0)
	),
	coalesce((SELECT "last_offset" FROM "relay_state" WHERE "name" = 'trimmed'), 0);
--> statement-breakpoint
DROP TABLE "relay_state";
--> statement-breakpoint
ALTER TABLE "relay_state_next" RENAME TO "relay_state";
--> statement-breakpoint
ALTER TABLE "relay_state" RENAME CONSTRAINT "relay_state_next_pkey" TO "relay_state_pkey";
