-- The sweep jobs River has as running, and the River client that took each
-- (the last of attempted_by): ResumeDeadSweeps asks whether it lives.
SELECT id, coalesce(attempted_by[cardinality(attempted_by)], '')
FROM knacksync.river_job
WHERE kind = 'knack_sweep' AND state = 'running';
