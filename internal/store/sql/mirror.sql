-- The raw mirror: one row per Knack record.

-- name: stage
CREATE TEMP TABLE stg_records (
    record_id text PRIMARY KEY,
    data jsonb NOT NULL,
    hash bytea NOT NULL
) ON COMMIT DROP;

-- name: upsert
-- Records as fetched. The data is only rewritten when its hash changed.
-- Returns the records that need projecting (changed, new, or marked).
WITH up AS (
    INSERT INTO knacksync.records AS r (object, record_id, data, hash, first_seen, last_seen, last_fetched)
    SELECT @object, record_id, data, hash, @now, @now, @now FROM stg_records
    ON CONFLICT (object, record_id) DO UPDATE SET
        data = CASE WHEN r.hash = excluded.hash THEN r.data ELSE excluded.data END,
        hash = excluded.hash,
        last_seen = excluded.last_seen,
        last_fetched = excluded.last_fetched,
        deleted_at = NULL
    RETURNING r.record_id, r.first_seen, r.hash, r.projected_hash
)
SELECT record_id, first_seen FROM up WHERE projected_hash IS DISTINCT FROM hash OR @force::boolean;

-- name: pending
-- Records waiting for a projection (marked, or fetched but not projected).
SELECT record_id, data, first_seen FROM knacksync.records
WHERE object = @object AND deleted_at IS NULL AND (projected_hash IS DISTINCT FROM hash OR @force::boolean)
  AND record_id > @after
ORDER BY record_id
LIMIT @limit;

-- name: projected
UPDATE knacksync.records r SET projected_hash = r.hash
FROM stg_batch b
WHERE r.object = @object AND r.record_id = b.record_id AND NOT b.deleted;

-- name: mark_deleted
UPDATE knacksync.records SET deleted_at = @now
WHERE object = @object AND record_id = ANY(@ids) AND deleted_at IS NULL;

-- name: missing
-- Records a complete sweep did not see.
SELECT record_id FROM knacksync.records
WHERE object = @object AND deleted_at IS NULL AND last_seen < @since
ORDER BY record_id;

-- name: live_count
SELECT count(*) FROM knacksync.records WHERE object = @object AND deleted_at IS NULL;
