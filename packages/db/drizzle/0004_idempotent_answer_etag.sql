-- An idempotency key is now written by the write's own statement, together
-- with its answer, so a replay can repeat the answer's ETag as well.
ALTER TABLE "idempotency_keys" ADD COLUMN "etag" text;
--> statement-breakpoint
-- Keys left unanswered by the previous scheme (its request died in flight)
-- would otherwise block their key forever: nothing completes them now.
DELETE FROM "idempotency_keys" WHERE "status" IS NULL;
