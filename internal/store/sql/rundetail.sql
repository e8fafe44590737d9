-- The run detail page (GET /runs/{id}) and the River jobs that will try a
-- failed run again. (The issues CSV reads status.sql's issues, unlimited.)

-- name: new_issues
-- Per object, the data issues this run raised first and that are still
-- open: an issue keeps its first_seen_at when a later run writes it again,
-- and takes that run's id. Issues cleared are deleted, not recorded: they
-- cannot be counted afterwards.
SELECT object, count(*)::int
FROM knacksync.data_issues
WHERE run_id = @run_id AND first_seen_at >= @started_at
GROUP BY object;

-- name: jobs
-- River jobs of the given kinds that are still to run (or running): a
-- failed run is tried again by one of them, or by the next scheduled sweep.
SELECT id, kind, state::text, attempt, max_attempts, scheduled_at, coalesce(args->>'object', '')
FROM knacksync.river_job
WHERE kind = ANY (@kinds::text[])
  AND state IN ('available', 'pending', 'retryable', 'running', 'scheduled')
ORDER BY scheduled_at, id;

-- name: later
-- The runs of the same kind after this one, the nearest first: did one
-- try again since?
SELECT id, kind, objects, status
FROM knacksync.runs
WHERE id > @run_id AND kind = @kind
ORDER BY id
LIMIT 100;
