-- Last successful sync per object: when the newest succeeded sweep whose
-- objects include it finished. Run at every scrape, under a short timeout.
-- Without an index on runs (kind, status) this scans knacksync.runs; a
-- partial index on (finished_at) WHERE kind = 'sweep' AND status =
-- 'succeeded' makes it cheap however many incremental runs accumulate.
SELECT ro.object, extract(epoch FROM max(r.finished_at))::float8
FROM knacksync.runs r
JOIN knacksync.run_objects ro ON ro.run_id = r.id
WHERE r.kind = 'sweep' AND r.status = 'succeeded' AND r.finished_at IS NOT NULL
GROUP BY ro.object
ORDER BY ro.object;
