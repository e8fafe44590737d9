-- The status page's data (GET / and GET /api/status). Read in one
-- read-only, repeatable-read transaction, so that the figures agree.

-- name: objects
-- Per object, in the order given: when a sweep last completed it (the
-- run's finish: an object's own finish is not recorded), its live records
-- in the mirror, the last run that touched it and what that run changed,
-- its open data issues, and the Knack requests of today's runs. Each table
-- is read once for all objects, not once per object: the mirror and the
-- runs (one per hint pass and poll) are long.
WITH success AS (
    SELECT ro.object, max(r.finished_at) AS at
    FROM knacksync.runs r
    JOIN knacksync.run_objects ro ON ro.run_id = r.id
    WHERE r.kind = 'sweep' AND r.finished_at IS NOT NULL AND ro.status = 'complete'
    GROUP BY ro.object
), today AS (
    SELECT ro.object, sum(ro.knack_requests) AS requests
    FROM knacksync.runs r
    JOIN knacksync.run_objects ro ON ro.run_id = r.id
    WHERE r.started_at >= @day_start
    GROUP BY ro.object
), live AS (
    SELECT object, count(*) AS records FROM knacksync.records WHERE deleted_at IS NULL GROUP BY object
), issues AS (
    SELECT object, count(*) AS open FROM knacksync.data_issues GROUP BY object
)
SELECT o.object,
       success.at AS last_success,
       coalesce(live.records, 0)::int AS records,
       last.run_id,
       coalesce(last.records_changed, 0) AS last_changes,
       coalesce(issues.open, 0)::int AS open_issues,
       coalesce(today.requests, 0)::int AS requests_today
FROM unnest(@objects::text[]) WITH ORDINALITY AS o(object, ord)
LEFT JOIN success ON success.object = o.object
LEFT JOIN today ON today.object = o.object
LEFT JOIN live ON live.object = o.object
LEFT JOIN issues ON issues.object = o.object
LEFT JOIN LATERAL (
    SELECT ro.run_id, ro.records_changed
    FROM knacksync.run_objects ro
    WHERE ro.object = o.object
    ORDER BY ro.run_id DESC
    LIMIT 1
) last ON true
ORDER BY o.ord;

-- name: requests_today
-- Every run of today counts, objects outside the list too.
SELECT coalesce(sum(ro.knack_requests), 0)::int
FROM knacksync.runs r
JOIN knacksync.run_objects ro ON ro.run_id = r.id
WHERE r.started_at >= @day_start;

-- name: runs
-- The newest runs with their objects' figures added up.
SELECT r.id, r.kind, r.objects, r.full_sweep, r.status, r.started_at, r.finished_at, coalesce(r.error, ''),
       coalesce(sum(ro.records_seen), 0)::int,
       coalesce(sum(ro.records_changed), 0)::int,
       coalesce(sum(ro.records_deleted), 0)::int,
       coalesce(sum(ro.deletions_held), 0)::int,
       coalesce(sum(ro.data_issues), 0)::int,
       coalesce(sum(ro.knack_requests), 0)::int
FROM (
    SELECT * FROM knacksync.runs ORDER BY started_at DESC, id DESC LIMIT @limit
) r
LEFT JOIN knacksync.run_objects ro ON ro.run_id = r.id
GROUP BY r.id, r.kind, r.objects, r.full_sweep, r.status, r.started_at, r.finished_at, r.error
ORDER BY r.started_at DESC, r.id DESC;

-- name: held
-- Pending held deletions, without their record ids (a count is enough here).
SELECT id, run_id, object, cardinality(record_ids)::int, object_records, reason, created_at
FROM knacksync.held_deletions
WHERE applied_at IS NULL
ORDER BY id;

-- name: rules
-- Open data issues by rule, for the filter.
SELECT rule, count(*)::int FROM knacksync.data_issues GROUP BY rule ORDER BY rule;

-- name: issues
-- The open data issues first seen last, of one rule when @rule is not empty. Values
-- are verbatim (they may hold a student's e-mail): the caller masks them.
SELECT object, record_id, rule, field, value, detail, run_id, first_seen_at, last_seen_at
FROM knacksync.data_issues
WHERE @rule = '' OR rule = @rule
ORDER BY first_seen_at DESC, object, record_id, rule, field
LIMIT @limit;
