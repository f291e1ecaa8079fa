-- Serves the branch-scoped read of GET /api/changes (readChanges in
-- @dynapharm/outbox): a range of offsets per branch, and one for the global
-- rows (branch_id IS NULL), so a quiet branch does not walk the whole log.
CREATE INDEX "sync_log_branch_offset_idx" ON "sync_log" USING btree ("branch_id","offset") WHERE "sync_log"."offset" IS NOT NULL;