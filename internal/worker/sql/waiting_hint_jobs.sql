-- The objects among $1 that already have a hints job waiting to run: a new
-- hint for them needs no new job, because the waiting one takes every
-- pending hint. The caller's transaction recorded its hints under the
-- object's shared accept lock, which the job's last look waits for
-- (store.HintsSettled, sql/hints.sql: settled), so no hint is stranded.
SELECT DISTINCT args->>'object'
FROM knacksync.river_job
WHERE kind = 'knack_hints'
  AND state IN ('available', 'scheduled', 'pending')
  AND args->>'object' = ANY($1);
