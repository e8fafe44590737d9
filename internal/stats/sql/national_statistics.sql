-- national_statistics: per (cycle, benchmark year N = nat(academic_year)),
-- the six elements over the raw scores of the national population (the
-- histogram rows marked national, summed over schools: never an average of
-- rounded school values), and the 'ERI' row over that population's outcome
-- answers when more than 10 distinct students gave one. docs/statistics.md
-- defines each value: elements as in school_statistics.sql plus min, max,
-- the 95% interval mean ∓ 1.96·sd/√n and the population skewness; ERI with
-- eri_score = mean over all answers, sample SD, count = distinct students.
--
-- @full recomputes every key; otherwise the element rows of the (cycle, N)
-- keys fed by national vespa keys in stats_scope, and the ERI rows of those
-- fed by national outcome-question keys. Writes as in school_statistics.sql.
WITH scope AS (
    SELECT DISTINCT cycle, knacksync.nat_year(academic_year) AS nat
    FROM stats_scope WHERE national AND kind = 'vespa'
),
raw AS (
    SELECT cycle, nat AS academic_year FROM scope
    UNION
    SELECT cycle, split_part(nat, '/', 1) || '/' || split_part(nat, '/', 1) FROM scope
),
eri_scope AS (
    SELECT DISTINCT cycle, knacksync.nat_year(academic_year) AS nat
    FROM stats_scope
    WHERE national AND kind = 'question'
      AND question_id IN ('outcome_q_confident', 'outcome_q_equipped', 'outcome_q_support')
),
eri_raw AS (
    SELECT cycle, nat AS academic_year FROM eri_scope
    UNION
    SELECT cycle, split_part(nat, '/', 1) || '/' || split_part(nat, '/', 1) FROM eri_scope
),
hist AS (
    SELECT cycle, knacksync.nat_year(academic_year) AS academic_year, key AS element, v, sum(c)::bigint AS c
    FROM knacksync.stats_vespa_hist
    WHERE national AND (@full OR (cycle, academic_year) IN (SELECT * FROM raw))
    GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT cycle, knacksync.nat_year(academic_year), 'ERI', v, sum(c)::bigint
    FROM knacksync.stats_answer_hist
    WHERE national AND key IN ('outcome_q_confident', 'outcome_q_equipped', 'outcome_q_support')
      AND (@full OR (cycle, academic_year) IN (SELECT * FROM eri_raw))
    GROUP BY 1, 2, 4
),
-- Distinct students cannot be summed from counts of answers: read them.
eri_students AS (
    SELECT q.cycle, knacksync.nat_year(q.academic_year) AS academic_year, count(DISTINCT q.student_id) AS students
    FROM public.question_responses q
    JOIN public.students s ON s.id = q.student_id
    JOIN public.establishments e ON e.id = s.establishment_id
    WHERE q.question_id IN ('outcome_q_confident', 'outcome_q_equipped', 'outcome_q_support')
      AND q.response_value BETWEEN 1 AND 5
      AND NOT coalesce(lower(e.status) = 'cancelled', false)
      AND NOT lower(split_part(s.email, '@', -1)) = ANY (@exclude::text[])
      AND (@full OR (@eri AND (q.cycle, q.academic_year) IN (SELECT * FROM eri_raw)))
    GROUP BY 1, 2
),
cum AS (
    SELECT h.*,
           sum(c) OVER (PARTITION BY cycle, academic_year, element ORDER BY v) AS upto,
           sum(c) OVER (PARTITION BY cycle, academic_year, element) AS n
    FROM hist h
),
agg AS (
    SELECT cycle, academic_year, element, max(n) AS n,
           sum(v * c)::numeric AS s1, sum(v::numeric * v * c) AS s2, sum(v::numeric * v * v * c) AS s3,
           min(v) AS lo, max(v) AS hi,
           min(v) FILTER (WHERE upto > floor(0.25 * (n - 1))) AS a25, min(v) FILTER (WHERE upto > ceil(0.25 * (n - 1))) AS b25,
           min(v) FILTER (WHERE upto > floor(0.50 * (n - 1))) AS a50, min(v) FILTER (WHERE upto > ceil(0.50 * (n - 1))) AS b50,
           min(v) FILTER (WHERE upto > floor(0.75 * (n - 1))) AS a75, min(v) FILTER (WHERE upto > ceil(0.75 * (n - 1))) AS b75,
           jsonb_build_array(
               coalesce(sum(c) FILTER (WHERE v = 1), 0)::bigint, coalesce(sum(c) FILTER (WHERE v = 2), 0)::bigint,
               coalesce(sum(c) FILTER (WHERE v = 3), 0)::bigint, coalesce(sum(c) FILTER (WHERE v = 4), 0)::bigint,
               coalesce(sum(c) FILTER (WHERE v = 5), 0)::bigint, coalesce(sum(c) FILTER (WHERE v = 6), 0)::bigint,
               coalesce(sum(c) FILTER (WHERE v = 7), 0)::bigint, coalesce(sum(c) FILTER (WHERE v = 8), 0)::bigint,
               coalesce(sum(c) FILTER (WHERE v = 9), 0)::bigint, coalesce(sum(c) FILTER (WHERE v = 10), 0)::bigint) AS distribution
    FROM cum
    GROUP BY 1, 2, 3
),
moments AS (
    SELECT agg.*, s1 / n AS m,
           sqrt(greatest(s2 / n - (s1 / n) ^ 2, 0)) AS sd_pop,
           CASE WHEN n > 1 THEN sqrt(greatest((s2 - s1 * s1 / n) / (n - 1), 0)) ELSE 0 END AS sd_samp,
           round(a25 + (0.25 * (n - 1) - floor(0.25 * (n - 1))) * (b25 - a25), 2) AS p25,
           round(a50 + (0.50 * (n - 1) - floor(0.50 * (n - 1))) * (b50 - a50), 2) AS p50,
           round(a75 + (0.75 * (n - 1) - floor(0.75 * (n - 1))) * (b75 - a75), 2) AS p75
    FROM agg
),
computed AS (
    SELECT cycle, academic_year, element,
           round(m, 2) AS mean, round(sd_pop, 2) AS std_dev, n::int AS count, p25, p50, p75,
           distribution, NULL::numeric AS eri_score,
           round(lo::numeric, 2) AS min_value, round(hi::numeric, 2) AS max_value,
           round(m - 1.96 * sd_pop / sqrt(n), 2) AS ci_lower, round(m + 1.96 * sd_pop / sqrt(n), 2) AS ci_upper,
           round(CASE WHEN sd_pop = 0 THEN 0
                      ELSE (s3 / n - 3 * m * s2 / n + 2 * m ^ 3) / sd_pop ^ 3 END, 2) AS skewness
    FROM moments
    WHERE element <> 'ERI'
    UNION ALL
    SELECT mo.cycle, mo.academic_year, 'ERI', round(mo.m, 2), round(mo.sd_samp, 2), st.students::int,
           mo.p25, mo.p50, mo.p75, NULL, round(mo.m, 2), NULL, NULL, NULL, NULL, NULL
    FROM moments mo
    JOIN eri_students st ON st.cycle = mo.cycle AND st.academic_year = mo.academic_year
    WHERE mo.element = 'ERI' AND st.students > 10
),
written AS (
    INSERT INTO public.national_statistics AS t
        (cycle, academic_year, element, mean, std_dev, count, percentile_25, percentile_50, percentile_75,
         distribution, eri_score, min_value, max_value, confidence_interval_lower, confidence_interval_upper,
         skewness, additional_stats, calculated_at)
    SELECT cycle, academic_year, element, mean, std_dev, count, p25, p50, p75,
           distribution, eri_score, min_value, max_value, ci_lower, ci_upper, skewness, NULL, now()
    FROM computed
    ON CONFLICT (cycle, academic_year, element) DO UPDATE SET
        mean = excluded.mean, std_dev = excluded.std_dev, count = excluded.count,
        percentile_25 = excluded.percentile_25, percentile_50 = excluded.percentile_50,
        percentile_75 = excluded.percentile_75, distribution = excluded.distribution,
        eri_score = excluded.eri_score, min_value = excluded.min_value, max_value = excluded.max_value,
        confidence_interval_lower = excluded.confidence_interval_lower,
        confidence_interval_upper = excluded.confidence_interval_upper,
        skewness = excluded.skewness, additional_stats = excluded.additional_stats,
        calculated_at = excluded.calculated_at
    WHERE (t.mean, t.std_dev, t.count, t.percentile_25, t.percentile_50, t.percentile_75, t.distribution,
           t.eri_score, t.min_value, t.max_value, t.confidence_interval_lower, t.confidence_interval_upper,
           t.skewness, t.additional_stats)
          IS DISTINCT FROM
          (excluded.mean, excluded.std_dev, excluded.count, excluded.percentile_25, excluded.percentile_50,
           excluded.percentile_75, excluded.distribution, excluded.eri_score, excluded.min_value,
           excluded.max_value, excluded.confidence_interval_lower, excluded.confidence_interval_upper,
           excluded.skewness, excluded.additional_stats)
    RETURNING xmax = 0 AS inserted
),
deleted AS (
    DELETE FROM public.national_statistics t
    WHERE (@full
           OR (t.element <> 'ERI' AND (t.cycle, t.academic_year) IN (SELECT * FROM scope))
           OR (t.element = 'ERI' AND (t.cycle, t.academic_year) IN (SELECT * FROM eri_scope)))
      AND NOT EXISTS (SELECT 1 FROM computed c
                      WHERE c.cycle = t.cycle AND c.academic_year = t.academic_year AND c.element = t.element)
      AND NOT EXISTS (SELECT 1 FROM knacksync.stats_history h WHERE h.tbl = 'national_statistics' AND h.id = t.id)
    RETURNING 1
),
adopted AS (
    DELETE FROM knacksync.stats_history h
    USING public.national_statistics t, computed c
    WHERE h.tbl = 'national_statistics' AND h.id = t.id
      AND c.cycle = t.cycle AND c.academic_year = t.academic_year AND c.element = t.element
    RETURNING 1
)
SELECT 'national_statistics',
       (SELECT count(*) FROM written WHERE inserted),
       (SELECT count(*) FROM written WHERE NOT inserted),
       (SELECT count(*) FROM deleted),
       (SELECT count(*) FROM adopted);
