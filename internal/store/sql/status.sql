-- The status page's data (GET / and GET /api/status). Read in one
-- read-only, repeatable-read transaction, so that the figures agree.

-- name: last_success
-- An object's last successful sync, the one definition (LastSuccess in
-- status.go): when the newest finished sweep that completed the object
-- finished (the run's finish: an object's own finish is not recorded). The
-- sweep itself may have failed on another object; hint passes, polls and
-- re-projections do not count. The status page and the
-- knacksync_last_success_timestamp_seconds gauge both read it.
SELECT ro.object, max(r.finished_at)
FROM knacksync.runs r
JOIN knacksync.run_objects ro ON ro.run_id = r.id
WHERE r.kind = 'sweep' AND r.finished_at IS NOT NULL AND ro.status = 'complete'
GROUP BY ro.object
ORDER BY ro.object;

-- name: objects
-- Per object, in the order given: its live records in the mirror, the last
-- run that touched it and what that run changed, its open data issues, and
-- the Knack requests made for it today (the request ledger: each request
-- counted once, where it was made, failed ones included). Each table is
-- read once for all objects, not once per object: the mirror and the runs
-- (one per hint pass and poll) are long. The last success is last_success.
WITH today AS (
    SELECT object, sum(requests) AS requests
    FROM knacksync.knack_requests
    WHERE day = @day_start::date
    GROUP BY object
), live AS (
    SELECT object, count(*) AS records FROM knacksync.records WHERE deleted_at IS NULL GROUP BY object
), issues AS (
    SELECT object, count(*) AS open FROM knacksync.data_issues GROUP BY object
)
SELECT o.object,
       coalesce(live.records, 0)::int AS records,
       last.run_id,
       coalesce(last.records_changed, 0) AS last_changes,
       coalesce(issues.open, 0)::int AS open_issues,
       coalesce(today.requests, 0)::int AS requests_today
FROM unnest(@objects::text[]) WITH ORDINALITY AS o(object, ord)
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
-- Every request of the UTC day counts, objects outside the list and
-- app-level calls too.
SELECT coalesce(sum(requests), 0)::int
FROM knacksync.knack_requests
WHERE day = @day_start::date;

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
-- Pending held deletions, without their record ids (a count is enough
-- here): the status page's and the e-mail report's (PendingHeld). The
-- operator applies them with `server sync --confirm-deletes`.
SELECT id, run_id, object, cardinality(record_ids)::int, object_records, reason, created_at
FROM knacksync.held_deletions
WHERE applied_at IS NULL
ORDER BY id;

-- name: rules
-- Open data issues by rule (the status page's filter, the e-mail report:
-- IssuesByRule), and how many of them were first seen at or after @since
-- (none when it is NULL). Only counts: an issue's value may be a
-- student's e-mail.
SELECT rule,
       count(*)::int,
       (count(*) FILTER (WHERE first_seen_at >= @since::timestamptz))::int
FROM knacksync.data_issues
GROUP BY rule
ORDER BY rule;

-- name: issues
-- The open data issues first seen last, of one rule when @rule is not empty
-- (all of them when @limit is NULL). Values are verbatim (they may hold a
-- student's e-mail): the caller masks them. A duplicate (rule 5) comes
-- with the record that wins its key: the claimant ranked first (claims.sql),
-- else the one its detail names.
SELECT d.object, d.record_id, d.rule, d.field, d.value, d.detail, d.run_id, d.first_seen_at, d.last_seen_at,
       CASE WHEN d.rule = 'duplicate' THEN coalesce(
           (SELECT c.record_id FROM knacksync.claims c
            WHERE c.object = d.object AND c.claim = d.field AND c.record_id <> d.record_id
            ORDER BY c.rank_date DESC NULLS LAST, c.record_id DESC LIMIT 1),
           substring(d.detail FROM 'record ([0-9a-f]{24}) wins'), '') ELSE '' END AS other_record_id
FROM knacksync.data_issues d
WHERE @rule = '' OR d.rule = @rule
ORDER BY d.first_seen_at DESC, d.object, d.record_id, d.rule, d.field
LIMIT @limit;
