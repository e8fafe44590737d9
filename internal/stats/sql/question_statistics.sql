-- question_statistics: one row per (establishment, academic_year, cycle,
-- question_id) with at least one answer 1..5, over every student of the
-- school, from the histograms of histograms.sql: mean, sample SD (0 for one
-- answer), count, mode (the smallest most frequent answer), percentile_cont
-- at 0.25 and 0.75 (as in school_statistics.sql), 5 bins in answer order.
-- Scope and writes as in school_statistics.sql (kind 'question').
WITH scope AS (
    SELECT DISTINCT establishment_id, academic_year, cycle, question_id
    FROM stats_scope WHERE kind = 'question' AND school
),
hist AS (
    SELECT establishment_id, academic_year, cycle, key AS question_id, v, sum(c)::bigint AS c
    FROM knacksync.stats_answer_hist
    WHERE @full OR (establishment_id, academic_year, cycle, key) IN (SELECT * FROM scope)
    GROUP BY 1, 2, 3, 4, 5
),
cum AS (
    SELECT h.*,
           sum(c) OVER (PARTITION BY establishment_id, academic_year, cycle, question_id ORDER BY v) AS upto,
           sum(c) OVER (PARTITION BY establishment_id, academic_year, cycle, question_id) AS n
    FROM hist h
),
agg AS (
    SELECT establishment_id, academic_year, cycle, question_id, max(n) AS n,
           sum(v * c)::numeric AS s1, sum(v::numeric * v * c) AS s2,
           (array_agg(v ORDER BY c DESC, v))[1] AS mode,
           min(v) FILTER (WHERE upto > floor(0.25 * (n - 1))) AS a25, min(v) FILTER (WHERE upto > ceil(0.25 * (n - 1))) AS b25,
           min(v) FILTER (WHERE upto > floor(0.75 * (n - 1))) AS a75, min(v) FILTER (WHERE upto > ceil(0.75 * (n - 1))) AS b75,
           jsonb_build_array(
               coalesce(sum(c) FILTER (WHERE v = 1), 0)::bigint, coalesce(sum(c) FILTER (WHERE v = 2), 0)::bigint,
               coalesce(sum(c) FILTER (WHERE v = 3), 0)::bigint, coalesce(sum(c) FILTER (WHERE v = 4), 0)::bigint,
               coalesce(sum(c) FILTER (WHERE v = 5), 0)::bigint) AS distribution
    FROM cum
    GROUP BY 1, 2, 3, 4
),
computed AS (
    SELECT establishment_id, academic_year, cycle, question_id,
           round(s1 / n, 2) AS mean,
           round(CASE WHEN n > 1 THEN sqrt(greatest((s2 - s1 * s1 / n) / (n - 1), 0)) ELSE 0 END, 2) AS std_dev,
           n::int AS count, mode,
           round(a25 + (0.25 * (n - 1) - floor(0.25 * (n - 1))) * (b25 - a25), 2) AS p25,
           round(a75 + (0.75 * (n - 1) - floor(0.75 * (n - 1))) * (b75 - a75), 2) AS p75,
           distribution
    FROM agg
),
written AS (
    INSERT INTO public.question_statistics AS t
        (establishment_id, cycle, academic_year, question_id, mean, std_dev, count, mode,
         percentile_25, percentile_75, distribution, calculated_at)
    SELECT establishment_id, cycle, academic_year, question_id, mean, std_dev, count, mode,
           p25, p75, distribution, now()
    FROM computed
    ON CONFLICT (establishment_id, cycle, academic_year, question_id) DO UPDATE SET
        mean = excluded.mean, std_dev = excluded.std_dev, count = excluded.count, mode = excluded.mode,
        percentile_25 = excluded.percentile_25, percentile_75 = excluded.percentile_75,
        distribution = excluded.distribution, calculated_at = excluded.calculated_at
    WHERE (t.mean, t.std_dev, t.count, t.mode, t.percentile_25, t.percentile_75, t.distribution)
          IS DISTINCT FROM
          (excluded.mean, excluded.std_dev, excluded.count, excluded.mode, excluded.percentile_25,
           excluded.percentile_75, excluded.distribution)
    RETURNING xmax = 0 AS inserted
),
deleted AS (
    DELETE FROM public.question_statistics t
    WHERE (@full OR (t.establishment_id, t.academic_year, t.cycle, t.question_id) IN (SELECT * FROM scope))
      AND NOT EXISTS (SELECT 1 FROM computed c
                      WHERE c.establishment_id = t.establishment_id AND c.academic_year = t.academic_year
                        AND c.cycle = t.cycle AND c.question_id = t.question_id)
      AND NOT EXISTS (SELECT 1 FROM knacksync.stats_history h WHERE h.tbl = 'question_statistics' AND h.id = t.id)
    RETURNING 1
),
adopted AS (
    DELETE FROM knacksync.stats_history h
    USING public.question_statistics t, computed c
    WHERE h.tbl = 'question_statistics' AND h.id = t.id
      AND c.establishment_id = t.establishment_id AND c.academic_year = t.academic_year
      AND c.cycle = t.cycle AND c.question_id = t.question_id
    RETURNING 1
)
SELECT 'question_statistics',
       (SELECT count(*) FROM written WHERE inserted),
       (SELECT count(*) FROM written WHERE NOT inserted),
       (SELECT count(*) FROM deleted),
       (SELECT count(*) FROM adopted);
