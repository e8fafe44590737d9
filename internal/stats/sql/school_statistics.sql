-- school_statistics: one row per (establishment, academic_year, cycle,
-- element) with at least one score, over every student of the school
-- (cancelled schools and excluded domains included), from the histograms
-- of histograms.sql. docs/statistics.md defines each value:
--   mean = average, population SD, count, percentile_cont at 0.25/0.5/0.75
--   (linear interpolation between the values at floor and ceil of p(n-1),
--   read off the cumulative counts), 10 bins for scores 1..10 (0 in none).
--
-- @full recomputes every key; otherwise the keys in stats_scope (kind
-- 'vespa', school). Rows are written only when a value differs; rows of the
-- scope whose key has no base rows any more are deleted, except the history
-- rows adopted from an older database.
WITH scope AS (
    SELECT DISTINCT establishment_id, academic_year, cycle
    FROM stats_scope WHERE kind = 'vespa' AND school
),
hist AS (
    SELECT establishment_id, academic_year, cycle, key AS element, v, sum(c)::bigint AS c
    FROM knacksync.stats_vespa_hist
    WHERE @full OR (establishment_id, academic_year, cycle) IN (SELECT * FROM scope)
    GROUP BY 1, 2, 3, 4, 5
),
cum AS (
    SELECT h.*,
           sum(c) OVER (PARTITION BY establishment_id, academic_year, cycle, element ORDER BY v) AS upto,
           sum(c) OVER (PARTITION BY establishment_id, academic_year, cycle, element) AS n
    FROM hist h
),
agg AS (
    SELECT establishment_id, academic_year, cycle, element, max(n) AS n,
           sum(v * c)::numeric AS s1, sum(v::numeric * v * c) AS s2,
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
    GROUP BY 1, 2, 3, 4
),
computed AS (
    SELECT establishment_id, academic_year, cycle, element,
           round(s1 / n, 2) AS mean,
           round(sqrt(greatest(s2 / n - (s1 / n) ^ 2, 0)), 2) AS std_dev,
           n::int AS count,
           round(a25 + (0.25 * (n - 1) - floor(0.25 * (n - 1))) * (b25 - a25), 2) AS p25,
           round(a50 + (0.50 * (n - 1) - floor(0.50 * (n - 1))) * (b50 - a50), 2) AS p50,
           round(a75 + (0.75 * (n - 1) - floor(0.75 * (n - 1))) * (b75 - a75), 2) AS p75,
           distribution
    FROM agg
),
written AS (
    INSERT INTO public.school_statistics AS t
        (establishment_id, cycle, academic_year, element, mean, average, std_dev, count,
         percentile_25, percentile_50, percentile_75, distribution, calculated_at)
    SELECT establishment_id, cycle, academic_year, element, mean, mean, std_dev, count,
           p25, p50, p75, distribution, now()
    FROM computed
    ON CONFLICT (establishment_id, cycle, academic_year, element) DO UPDATE SET
        mean = excluded.mean, average = excluded.average, std_dev = excluded.std_dev, count = excluded.count,
        percentile_25 = excluded.percentile_25, percentile_50 = excluded.percentile_50,
        percentile_75 = excluded.percentile_75, distribution = excluded.distribution,
        calculated_at = excluded.calculated_at
    WHERE (t.mean, t.average, t.std_dev, t.count, t.percentile_25, t.percentile_50, t.percentile_75, t.distribution)
          IS DISTINCT FROM
          (excluded.mean, excluded.average, excluded.std_dev, excluded.count, excluded.percentile_25,
           excluded.percentile_50, excluded.percentile_75, excluded.distribution)
    RETURNING xmax = 0 AS inserted
),
deleted AS (
    DELETE FROM public.school_statistics t
    WHERE (@full OR (t.establishment_id, t.academic_year, t.cycle) IN (SELECT * FROM scope))
      AND NOT EXISTS (SELECT 1 FROM computed c
                      WHERE c.establishment_id = t.establishment_id AND c.academic_year = t.academic_year
                        AND c.cycle = t.cycle AND c.element = t.element)
      AND NOT EXISTS (SELECT 1 FROM knacksync.stats_history h WHERE h.tbl = 'school_statistics' AND h.id = t.id)
    RETURNING 1
),
adopted AS (
    DELETE FROM knacksync.stats_history h
    USING public.school_statistics t, computed c
    WHERE h.tbl = 'school_statistics' AND h.id = t.id
      AND c.establishment_id = t.establishment_id AND c.academic_year = t.academic_year
      AND c.cycle = t.cycle AND c.element = t.element
    RETURNING 1
)
SELECT 'school_statistics',
       (SELECT count(*) FROM written WHERE inserted),
       (SELECT count(*) FROM written WHERE NOT inserted),
       (SELECT count(*) FROM deleted),
       (SELECT count(*) FROM adopted);
