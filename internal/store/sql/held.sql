-- Deletions held by a sweep for an operator (SYNC_MAX_DELETE_RATIO).

-- name: hold
-- created_at is on the service's clock, like the mirror's last_seen that
-- it is compared with.
INSERT INTO knacksync.held_deletions (run_id, object, record_ids, object_records, reason, created_at)
VALUES (@run_id, @object, @ids, @object_records, @reason, @now);

-- name: pending
SELECT id, run_id, object, record_ids, object_records, reason, created_at
FROM knacksync.held_deletions
WHERE applied_at IS NULL
ORDER BY id;

-- name: still_missing
-- Held ids that are still live in the mirror and were not seen again.
SELECT record_id FROM knacksync.records
WHERE object = @object AND record_id = ANY(@ids) AND deleted_at IS NULL AND last_seen < @since
ORDER BY record_id;

-- name: applied
UPDATE knacksync.held_deletions SET confirmed_at = @now, applied_at = @now WHERE id = @id;
