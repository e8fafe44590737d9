-- Run history: knacksync.runs, run_objects, run_tables, and the dashboard's
-- public.sync_logs row.

-- name: start
INSERT INTO knacksync.runs (kind, objects, full_sweep, status, started_at, heartbeat_at)
VALUES (@kind, @objects, @full_sweep, 'running', @now, @now)
RETURNING id;

-- name: start_objects
INSERT INTO knacksync.run_objects (run_id, object, position)
SELECT @run_id, o, ord FROM unnest(@objects::text[]) WITH ORDINALITY AS t(o, ord);

-- name: sync_log_start
WITH l AS (
    INSERT INTO public.sync_logs (sync_type, status, started_at, metadata)
    VALUES (@sync_type, 'started', @now, jsonb_build_object('run_id', @run_id::bigint, 'objects', @objects::text[]))
    RETURNING id
)
UPDATE knacksync.runs SET sync_log_id = (SELECT id FROM l) WHERE id = @run_id;

-- name: unfinished
-- The newest sweep that never finished (the process died or was stopped).
SELECT id, objects, full_sweep, started_at FROM knacksync.runs
WHERE kind = 'sweep' AND status = 'running'
ORDER BY id DESC LIMIT 1;

-- name: objects
SELECT object, status, next_page, pages, knack_requests, records_seen, records_changed, records_deleted,
       deletions_held, data_issues, duration_ms, coalesce(error, ''), coalesce(notes, '{}'::jsonb), history_kept
FROM knacksync.run_objects WHERE run_id = @run_id ORDER BY position;

-- name: page
UPDATE knacksync.run_objects SET
    status = 'running',
    next_page = greatest(next_page, @next_page),
    pages = pages + @pages,
    knack_requests = knack_requests + @requests,
    records_seen = records_seen + @seen,
    records_changed = records_changed + @changed,
    records_deleted = records_deleted + @deleted,
    data_issues = data_issues + @issues,
    history_kept = history_kept + @history_kept
WHERE run_id = @run_id AND object = @object;

-- name: heartbeat
UPDATE knacksync.runs SET heartbeat_at = @now WHERE id = @run_id;

-- name: tables
INSERT INTO knacksync.run_tables AS t (run_id, table_name, inserted, updated, deleted, unchanged, repaired, unowned)
SELECT @run_id, x.table_name, x.inserted, x.updated, x.deleted, x.unchanged, x.repaired, x.unowned
FROM jsonb_to_recordset(@tables::jsonb)
     AS x(table_name text, inserted int, updated int, deleted int, unchanged int, repaired int, unowned int)
ON CONFLICT (run_id, table_name) DO UPDATE SET
    inserted = t.inserted + excluded.inserted, updated = t.updated + excluded.updated,
    deleted = t.deleted + excluded.deleted, unchanged = t.unchanged + excluded.unchanged,
    repaired = t.repaired + excluded.repaired, unowned = t.unowned + excluded.unowned;

-- name: object_done
UPDATE knacksync.run_objects SET
    status = @status, error = nullif(@error, ''), duration_ms = duration_ms + @duration_ms,
    deletions_held = deletions_held + @held,
    notes = coalesce(notes, '{}'::jsonb) || @notes::jsonb
WHERE run_id = @run_id AND object = @object;

-- name: finish
UPDATE knacksync.runs SET status = @status, finished_at = @now, error = nullif(@error, '')
WHERE id = @run_id;

-- name: sync_log_finish
UPDATE public.sync_logs l SET
    status = CASE WHEN @status = 'succeeded' THEN 'completed' ELSE 'failed' END,
    completed_at = @now,
    error_message = nullif(@error, ''),
    records_processed = @records,
    metadata = coalesce(l.metadata, '{}'::jsonb) || @metadata::jsonb
FROM knacksync.runs r
WHERE r.id = @run_id AND l.id = r.sync_log_id;

-- name: run
SELECT id, kind, objects, full_sweep, status, started_at, finished_at, coalesce(error, '') FROM knacksync.runs WHERE id = @run_id;

-- name: run_tables
SELECT table_name, inserted, updated, deleted, unchanged, repaired, unowned FROM knacksync.run_tables WHERE run_id = @run_id ORDER BY table_name;

-- name: last_full_sweep
-- The schedule's catch-up check (worker.CatchUp); an object's last
-- successful sync is status.sql's last_success.
SELECT max(finished_at) FROM knacksync.runs
WHERE kind = 'sweep' AND full_sweep AND status = 'succeeded';
