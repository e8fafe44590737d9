-- Deletions held back by sweeps and not applied yet (the operator applies
-- them with `server sync --confirm-deletes`). The record ids stay here.
SELECT id, run_id, object, cardinality(record_ids)::int AS records, object_records, reason, created_at
FROM knacksync.held_deletions
WHERE applied_at IS NULL
ORDER BY id;
