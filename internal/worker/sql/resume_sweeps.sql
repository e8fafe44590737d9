-- Sweep jobs left `running` by a process that died (kill -9, a lost
-- machine), which River itself would rescue only after RescueStuckJobsAfter
-- (hours): made available at once, and the sweep resumes its run from the
-- last committed page. The failed attempt stays counted and is noted in
-- the job's errors, as River's rescue does.
UPDATE knacksync.river_job
SET state = 'available',
    scheduled_at = now(),
    errors = array_append(errors, jsonb_build_object(
        'at', now(), 'attempt', attempt,
        'error', 'the process running this sweep stopped without handing it back (killed?); resumed at once',
        'trace', ''))
WHERE id = ANY($1) AND state = 'running'
RETURNING id;
