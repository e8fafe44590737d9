-- The objects that already have a hints job waiting to run: a new hint for
-- them needs no new job, because the waiting one takes every pending hint
-- (the caller holds the object's shared "accept" lock, which the job's last
-- look waits for: see hints_settled in the store).
SELECT DISTINCT args->>'object'
FROM knacksync.river_job
WHERE kind = 'knack_hints'
  AND state IN ('available', 'scheduled', 'pending')
  AND args->>'object' = ANY($1);
