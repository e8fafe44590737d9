-- Dependencies between records (rule 15): who reads whom, and the locks
-- that order a batch of a read object before or after the batches that read
-- it.

-- name: lock_shared
-- A batch whose projection reads these objects' records: batches of the
-- same objects run side by side, a batch that writes one of the read
-- objects waits (and is waited for). Objects in a fixed order: no deadlock.
SELECT pg_advisory_xact_lock_shared(hashtextextended('deps:' || o, 0))
FROM unnest(@objects::text[]) AS o ORDER BY o;

-- name: lock_exclusive
-- A batch of an object that others read. Once it holds the lock, no batch
-- that reads the object is half-way: each either committed before (and its
-- refs are seen here, so its record is marked again when this one changes
-- what it read) or starts after this commits (and reads the new values).
SELECT pg_advisory_xact_lock(hashtextextended('deps:' || @object::text, 0));

-- name: set_refs
-- The refs of a batch's records, replaced by what their projection read now
-- (a deleted record reads nothing). Unchanged refs are not written.
WITH new AS (
    SELECT DISTINCT record_id, ref_object, ref_id
    FROM unnest(@record_ids::text[], @ref_objects::text[], @ref_ids::text[]) AS t(record_id, ref_object, ref_id)
), gone AS (
    DELETE FROM knacksync.record_refs f
    WHERE f.object = @object AND f.record_id = ANY(@batch_ids::text[])
      AND NOT EXISTS (SELECT 1 FROM new n
                      WHERE n.record_id = f.record_id AND n.ref_object = f.ref_object AND n.ref_id = f.ref_id)
)
INSERT INTO knacksync.record_refs (ref_object, ref_id, object, record_id)
SELECT ref_object, ref_id, @object, record_id FROM new
ON CONFLICT DO NOTHING;
