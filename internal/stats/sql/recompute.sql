-- The bookkeeping around a recompute (internal/stats/stats.go).

-- name: lock
-- One recompute at a time across processes ("stats" in ASCII).
SELECT pg_advisory_xact_lock(495873782899);

-- name: try_lock
SELECT pg_try_advisory_xact_lock(495873782899);

-- name: scope
-- The keys this recompute takes: every dirty row this transaction sees.
-- Rows committed later stay for the next recompute.
CREATE TEMP TABLE stats_scope (LIKE knacksync.stats_dirty) ON COMMIT DROP;

-- name: claim
WITH taken AS (DELETE FROM knacksync.stats_dirty RETURNING *)
INSERT INTO stats_scope SELECT DISTINCT * FROM taken;

-- name: analyze
ANALYZE stats_scope;

-- name: claimed
SELECT count(*) FILTER (WHERE kind <> 'matview'),
       coalesce(bool_or(kind IN ('vespa', 'matview')), false),
       count(*) FILTER (WHERE kind = 'vespa'),
       count(*) FILTER (WHERE kind = 'question'),
       coalesce(bool_or(kind = 'question' AND national
                        AND question_id IN ('outcome_q_confident', 'outcome_q_equipped', 'outcome_q_support')), false)
FROM stats_scope;

-- name: work_mem
-- The histograms' aggregation stays in memory.
SET LOCAL work_mem = '64MB';

-- name: custom_plans
-- Each statement is planned for its parameters: a generic plan (after a few
-- runs of a cached statement) could not drop the scans that @full and @eri
-- turn off.
SET LOCAL plan_cache_mode = force_custom_plan;

-- name: too_many
-- Whether more than @max keys are dirty (a recompute that does not wait
-- leaves a bulk change to the end of the pass).
SELECT count(*) > @max FROM (SELECT 1 FROM knacksync.stats_dirty LIMIT @max + 1) d;

-- name: hash_only
-- Grouping a million base rows hashes several times faster than it sorts
-- (the sort keys include text); the planner cannot tell.
SET LOCAL enable_sort = off;

-- name: sort_again
SET LOCAL enable_sort = on;

-- name: matview_pending
-- comparative_metrics stays due until a refresh runs.
INSERT INTO knacksync.stats_dirty (kind, school, national) VALUES ('matview', false, false);

-- name: excluded
-- Students with an establishment that the national population leaves out:
-- those of cancelled schools, then the others whose e-mail domain is
-- excluded.
SELECT count(*) FILTER (WHERE coalesce(lower(e.status) = 'cancelled', false)),
       count(*) FILTER (WHERE NOT coalesce(lower(e.status) = 'cancelled', false)
                          AND lower(split_part(s.email, '@', -1)) = ANY (@exclude::text[]))
FROM public.students s
JOIN public.establishments e ON e.id = s.establishment_id;

-- name: refresh
REFRESH MATERIALIZED VIEW public.comparative_metrics;

-- name: record
INSERT INTO knacksync.run_statistics AS r
    (run_id, recomputes, full_recompute, dirty_keys, school_rows, national_rows, question_rows,
     national_question_rows, duration_ms, refresh_ms, excluded_cancelled, excluded_domain, updated_at)
VALUES (@run_id, 1, @full, @dirty_keys, @school_rows, @national_rows, @question_rows,
        @national_question_rows, @duration_ms, @refresh_ms, @excluded_cancelled, @excluded_domain, now())
ON CONFLICT (run_id) DO UPDATE SET
    recomputes = r.recomputes + 1,
    full_recompute = r.full_recompute OR excluded.full_recompute,
    dirty_keys = r.dirty_keys + excluded.dirty_keys,
    school_rows = r.school_rows + excluded.school_rows,
    national_rows = r.national_rows + excluded.national_rows,
    question_rows = r.question_rows + excluded.question_rows,
    national_question_rows = r.national_question_rows + excluded.national_question_rows,
    duration_ms = r.duration_ms + excluded.duration_ms,
    refresh_ms = CASE WHEN excluded.refresh_ms IS NULL THEN r.refresh_ms
                      ELSE coalesce(r.refresh_ms, 0) + excluded.refresh_ms END,
    excluded_cancelled = coalesce(excluded.excluded_cancelled, r.excluded_cancelled),
    excluded_domain = coalesce(excluded.excluded_domain, r.excluded_domain),
    updated_at = now();

-- name: run_statistics
SELECT run_id, recomputes, full_recompute, dirty_keys, school_rows, national_rows, question_rows,
       national_question_rows, duration_ms, refresh_ms, excluded_cancelled, excluded_domain
FROM knacksync.run_statistics
WHERE run_id = ANY (@run_ids::bigint[]);

-- name: history
-- Derived rows kept as history from before this service, per table and year.
SELECT h.tbl, coalesce(ss.academic_year, ns.academic_year, qs.academic_year, nq.academic_year) AS academic_year, count(*)
FROM knacksync.stats_history h
LEFT JOIN public.school_statistics ss ON h.tbl = 'school_statistics' AND ss.id = h.id
LEFT JOIN public.national_statistics ns ON h.tbl = 'national_statistics' AND ns.id = h.id
LEFT JOIN public.question_statistics qs ON h.tbl = 'question_statistics' AND qs.id = h.id
LEFT JOIN public.national_question_statistics nq ON h.tbl = 'national_question_statistics' AND nq.id = h.id
WHERE coalesce(ss.id, ns.id, qs.id, nq.id) IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 2;

