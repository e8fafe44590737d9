-- The raw mirror: one row per Knack record.

-- name: stage
CREATE TEMP TABLE stg_records (
    record_id text PRIMARY KEY,
    data jsonb NOT NULL,
    hash bytea NOT NULL
) ON COMMIT DROP;

-- name: known
-- What the mirror holds of a page's records, to tell changed from unchanged
-- without sending the unchanged ones' data.
SELECT record_id, hash, projected_hash IS NOT DISTINCT FROM hash AND deleted_at IS NULL, first_seen, last_fetched
FROM knacksync.records
WHERE object = @object AND record_id = ANY(@ids);

-- name: touch
-- Unchanged records were seen (a narrow, HOT-friendly update). Returns the
-- records touched: their rows stay locked until the batch commits, so a
-- later fetch of one waits for a repair of it (rule 16) to finish.
UPDATE knacksync.records SET last_seen = @now, last_fetched = greatest(last_fetched, @fetched), deleted_at = NULL
WHERE object = @object AND record_id = ANY(@ids) AND last_fetched <= @fetched
RETURNING record_id;

-- name: upsert
-- New and changed records, unless a fetch asked for later has landed
-- meanwhile (a sweep's page must not undo what a hint's fetch brought).
-- Returns the records written.
INSERT INTO knacksync.records AS r (object, record_id, data, hash, first_seen, last_seen, last_fetched)
SELECT @object, record_id, data, hash, @now, @now, @fetched FROM stg_records
ON CONFLICT (object, record_id) DO UPDATE SET
    data = excluded.data,
    hash = excluded.hash,
    last_seen = excluded.last_seen,
    last_fetched = excluded.last_fetched,
    deleted_at = NULL
WHERE r.last_fetched <= excluded.last_fetched
RETURNING record_id;

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
WHERE r.object = @object AND r.record_id = b.record_id AND NOT b.deleted
  AND r.projected_hash IS DISTINCT FROM r.hash;

-- name: mark_deleted
-- Records confirmed gone, unless a later fetch saw them. Returns those
-- marked (or already marked).
UPDATE knacksync.records SET deleted_at = coalesce(deleted_at, @now), last_fetched = @fetched
WHERE object = @object AND record_id = ANY(@ids) AND last_fetched <= @fetched
RETURNING record_id;

-- name: missing
-- Records a complete sweep did not see.
SELECT record_id FROM knacksync.records
WHERE object = @object AND deleted_at IS NULL AND last_seen < @since
ORDER BY record_id;

-- name: live_count
SELECT count(*) FROM knacksync.records WHERE object = @object AND deleted_at IS NULL;
