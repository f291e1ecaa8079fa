-- Expired idempotency keys are deleted oldest first, a chunk per statement.
CREATE INDEX "idempotency_keys_created_at_idx" ON "idempotency_keys" USING btree ("created_at");