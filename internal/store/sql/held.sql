-- Deletions held by a sweep for an operator (SYNC_MAX_DELETE_RATIO).

-- name: hold
INSERT INTO knacksync.held_deletions (run_id, object, record_ids, object_records, reason)
VALUES (@run_id, @object, @ids, @object_records, @reason);

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
