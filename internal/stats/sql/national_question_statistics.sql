-- national_question_statistics: per (question_id, cycle, N = nat(year)),
-- the answers of the national population pooled (the histogram rows marked
-- national, summed over schools; N gathers the raw labels N and, for
-- N = A/A+1, A/A), with the formulas of
-- question_statistics.sql applied to the pooled counts.
WITH scope AS (
    SELECT DISTINCT question_id, cycle, knacksync.nat_year(academic_year) AS nat
    FROM stats_scope WHERE kind = 'question' AND national
),
raw AS (
    SELECT question_id, cycle, nat AS academic_year FROM scope
    UNION
    SELECT question_id, cycle, split_part(nat, '/', 1) || '/' || split_part(nat, '/', 1) FROM scope
),
hist AS (
    SELECT key AS question_id, cycle, knacksync.nat_year(academic_year) AS academic_year, v, sum(c)::bigint AS c
    FROM knacksync.stats_answer_hist
    WHERE national AND (@full OR (key, cycle, academic_year) IN (SELECT * FROM raw))
    GROUP BY 1, 2, 3, 4
),
cum AS (
    SELECT h.*,
           sum(c) OVER (PARTITION BY question_id, cycle, academic_year ORDER BY v) AS upto,
           sum(c) OVER (PARTITION BY question_id, cycle, academic_year) AS n
    FROM hist h
),
agg AS (
    SELECT question_id, cycle, academic_year, max(n) AS n,
           sum(v * c)::numeric AS s1, sum(v::numeric * v * c) AS s2,
           (array_agg(v ORDER BY c DESC, v))[1] AS mode,
           min(v) FILTER (WHERE upto > floor(0.25 * (n - 1))) AS a25, min(v) FILTER (WHERE upto > ceil(0.25 * (n - 1))) AS b25,
           min(v) FILTER (WHERE upto > floor(0.75 * (n - 1))) AS a75, min(v) FILTER (WHERE upto > ceil(0.75 * (n - 1))) AS b75,
           jsonb_build_array(
               coalesce(sum(c) FILTER (WHERE v = 1), 0)::bigint, coalesce(sum(c) FILTER (WHERE v = 2), 0)::bigint,
               coalesce(sum(c) FILTER (WHERE v = 3), 0)::bigint, coalesce(sum(c) FILTER (WHERE v = 4), 0)::bigint,
               coalesce(sum(c) FILTER (WHERE v = 5), 0)::bigint) AS distribution
    FROM cum
    GROUP BY 1, 2, 3
),
computed AS (
    SELECT question_id, cycle, academic_year,
           round(s1 / n, 2) AS mean,
           round(CASE WHEN n > 1 THEN sqrt(greatest((s2 - s1 * s1 / n) / (n - 1), 0)) ELSE 0 END, 2) AS std_dev,
           n::int AS count, mode,
           round(a25 + (0.25 * (n - 1) - floor(0.25 * (n - 1))) * (b25 - a25), 2) AS p25,
           round(a75 + (0.75 * (n - 1) - floor(0.75 * (n - 1))) * (b75 - a75), 2) AS p75,
           distribution
    FROM agg
),
written AS (
    INSERT INTO public.national_question_statistics AS t
        (question_id, cycle, academic_year, mean, std_dev, count, mode, percentile_25, percentile_75,
         distribution, calculated_at)
    SELECT question_id, cycle, academic_year, mean, std_dev, count, mode, p25, p75, distribution, now()
    FROM computed
    ON CONFLICT (question_id, cycle, academic_year) DO UPDATE SET
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
    DELETE FROM public.national_question_statistics t
    WHERE (@full OR (t.question_id, t.cycle, t.academic_year) IN (SELECT * FROM scope))
      AND NOT EXISTS (SELECT 1 FROM computed c
                      WHERE c.question_id = t.question_id AND c.cycle = t.cycle AND c.academic_year = t.academic_year)
      AND NOT EXISTS (SELECT 1 FROM knacksync.stats_history h WHERE h.tbl = 'national_question_statistics' AND h.id = t.id)
    RETURNING 1
),
adopted AS (
    DELETE FROM knacksync.stats_history h
    USING public.national_question_statistics t, computed c
    WHERE h.tbl = 'national_question_statistics' AND h.id = t.id
      AND c.question_id = t.question_id AND c.cycle = t.cycle AND c.academic_year = t.academic_year
    RETURNING 1
)
SELECT 'national_question_statistics',
       (SELECT count(*) FROM written WHERE inserted),
       (SELECT count(*) FROM written WHERE NOT inserted),
       (SELECT count(*) FROM deleted),
       (SELECT count(*) FROM adopted);
