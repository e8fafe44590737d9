-- name: record
-- Hints for one batch of (object, record_id, event), duplicates merged.
INSERT INTO knacksync.hints AS h (object, record_id, event, first_at, last_at, hints)
SELECT object, record_id, (array_agg(event ORDER BY ord DESC))[1], @now, @now, count(*)
FROM unnest(@objects::text[], @record_ids::text[], @events::text[]) WITH ORDINALITY AS t(object, record_id, event, ord)
GROUP BY object, record_id
ON CONFLICT (object, record_id) DO UPDATE SET
    event = excluded.event, version = h.version + 1, hints = h.hints + excluded.hints, last_at = excluded.last_at;

-- name: pending
SELECT record_id, event, version FROM knacksync.hints
WHERE object = @object
ORDER BY first_at, record_id
LIMIT @limit;

-- name: done
-- Hints covered by a fetch: those still at the version the worker read.
DELETE FROM knacksync.hints h
USING unnest(@record_ids::text[], @versions::bigint[]) AS d(record_id, version)
WHERE h.object = @object AND h.record_id = d.record_id AND h.version = d.version;

-- name: stale_objects
-- Objects whose oldest hint waited longer than @older: their job was missed.
SELECT object FROM knacksync.hints GROUP BY object HAVING min(last_at) < @older;

-- name: live_among
-- Which of these records the mirror holds, not deleted.
SELECT record_id FROM knacksync.records
WHERE object = @object AND record_id = ANY(@ids) AND deleted_at IS NULL;

-- name: cursor
SELECT cursor_at FROM knacksync.poll_cursors WHERE object = @object;

-- name: set_cursor
INSERT INTO knacksync.poll_cursors (object, cursor_at) VALUES (@object, @cursor_at)
ON CONFLICT (object) DO UPDATE SET cursor_at = excluded.cursor_at;

-- name: accept_lock
-- Taken (shared) by every transaction that records hints, until it commits.
SELECT pg_advisory_xact_lock_shared(hashtextextended('hints-accept:' || o, 0))
FROM unnest(@objects::text[]) AS o ORDER BY o;

-- name: settled
-- A hints job's last look: the exclusive accept lock waits for every
-- transaction still recording hints for the object, so a hint committed
-- while the job was finishing is seen here, and one recorded after finds
-- no waiting job and adds its own.
SELECT pg_advisory_xact_lock(hashtextextended('hints-accept:' || @object, 0));
SELECT count(*) FROM knacksync.hints WHERE object = @object;
