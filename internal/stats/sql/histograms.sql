-- Histograms of the base values, kept in knacksync.stats_vespa_hist and
-- knacksync.stats_answer_hist: per (establishment, academic_year, cycle,
-- key, national, value) the number of values, where key is the element or
-- the question_id and national says whether the student is in the national
-- population (school not cancelled, e-mail domain not in @exclude). Every
-- statistic of docs/statistics.md follows exactly from these counts (the
-- values are small integers). A national key then sums the histogram rows of
-- every school, instead of reading every base row of its cohort again.
--
-- A full recompute rebuilds them from every base row; an incremental one
-- rebuilds the rows of the dirty school keys only (whatever their flags: a
-- student's move or a school's cancellation changes the national flag),
-- reading those schools' students through the indexes. Labels that are not
-- YYYY/YYYY are left out (tested with string functions: a regular
-- expression per base row costs seconds at a million rows).

-- name: full_vespa
TRUNCATE knacksync.stats_vespa_hist;

-- name: full_answers
TRUNCATE knacksync.stats_answer_hist;

-- name: dirty_vespa
DELETE FROM knacksync.stats_vespa_hist h
USING (SELECT DISTINCT establishment_id, academic_year, cycle FROM stats_scope WHERE kind = 'vespa') k
WHERE h.establishment_id = k.establishment_id AND h.academic_year = k.academic_year AND h.cycle = k.cycle;

-- name: dirty_answers
DELETE FROM knacksync.stats_answer_hist h
USING (SELECT DISTINCT establishment_id, academic_year, cycle, question_id FROM stats_scope WHERE kind = 'question') k
WHERE h.establishment_id = k.establishment_id AND h.academic_year = k.academic_year AND h.cycle = k.cycle
  AND h.key = k.question_id;

-- name: vespa
-- Every base row (full recompute).
INSERT INTO knacksync.stats_vespa_hist (establishment_id, academic_year, cycle, key, v, national, c)
WITH pop AS MATERIALIZED (
    SELECT s.id, s.establishment_id,
           NOT coalesce(lower(e.status) = 'cancelled', false)
               AND NOT lower(split_part(s.email, '@', -1)) = ANY (@exclude::text[]) AS national
    FROM public.students s
    JOIN public.establishments e ON e.id = s.establishment_id
)
SELECT p.establishment_id, v.academic_year, v.cycle, x.element, x.score, p.national, count(*)
FROM pop p
JOIN public.vespa_scores v ON v.student_id = p.id
CROSS JOIN LATERAL (VALUES ('vision', v.vision), ('effort', v.effort), ('systems', v.systems),
                           ('practice', v.practice), ('attitude', v.attitude), ('overall', v.overall))
    AS x(element, score)
WHERE x.score IS NOT NULL
  AND v.academic_year LIKE '____/____' AND translate(v.academic_year, '0123456789', '') = '/'
GROUP BY 1, 2, 3, 4, 5, 6;

-- name: vespa_dirty
-- The rows of the dirty school keys: from each school to its students to
-- their rows, through the indexes.
INSERT INTO knacksync.stats_vespa_hist (establishment_id, academic_year, cycle, key, v, national, c)
SELECT s.establishment_id, v.academic_year, v.cycle, x.element, x.score,
       NOT coalesce(lower(e.status) = 'cancelled', false)
           AND NOT lower(split_part(s.email, '@', -1)) = ANY (@exclude::text[]),
       count(*)
FROM (SELECT DISTINCT establishment_id FROM stats_scope WHERE kind = 'vespa') k
JOIN public.establishments e ON e.id = k.establishment_id
JOIN public.students s ON s.establishment_id = k.establishment_id
JOIN public.vespa_scores v ON v.student_id = s.id
CROSS JOIN LATERAL (VALUES ('vision', v.vision), ('effort', v.effort), ('systems', v.systems),
                           ('practice', v.practice), ('attitude', v.attitude), ('overall', v.overall))
    AS x(element, score)
WHERE x.score IS NOT NULL
  AND v.academic_year LIKE '____/____' AND translate(v.academic_year, '0123456789', '') = '/'
  AND (s.establishment_id, v.academic_year, v.cycle) IN
      (SELECT establishment_id, academic_year, cycle FROM stats_scope WHERE kind = 'vespa')
GROUP BY 1, 2, 3, 4, 5, 6;

-- name: answers
INSERT INTO knacksync.stats_answer_hist (establishment_id, academic_year, cycle, key, v, national, c)
WITH pop AS MATERIALIZED (
    SELECT s.id, s.establishment_id,
           NOT coalesce(lower(e.status) = 'cancelled', false)
               AND NOT lower(split_part(s.email, '@', -1)) = ANY (@exclude::text[]) AS national
    FROM public.students s
    JOIN public.establishments e ON e.id = s.establishment_id
)
SELECT p.establishment_id, q.academic_year, q.cycle, q.question_id, q.response_value, p.national, count(*)
FROM pop p
JOIN public.question_responses q ON q.student_id = p.id
WHERE q.response_value BETWEEN 1 AND 5
  AND q.academic_year LIKE '____/____' AND translate(q.academic_year, '0123456789', '') = '/'
GROUP BY 1, 2, 3, 4, 5, 6;

-- name: answers_dirty
INSERT INTO knacksync.stats_answer_hist (establishment_id, academic_year, cycle, key, v, national, c)
SELECT s.establishment_id, q.academic_year, q.cycle, q.question_id, q.response_value,
       NOT coalesce(lower(e.status) = 'cancelled', false)
           AND NOT lower(split_part(s.email, '@', -1)) = ANY (@exclude::text[]),
       count(*)
FROM (SELECT DISTINCT establishment_id FROM stats_scope WHERE kind = 'question') k
JOIN public.establishments e ON e.id = k.establishment_id
JOIN public.students s ON s.establishment_id = k.establishment_id
JOIN public.question_responses q ON q.student_id = s.id
WHERE q.response_value BETWEEN 1 AND 5
  AND q.academic_year LIKE '____/____' AND translate(q.academic_year, '0123456789', '') = '/'
  AND (s.establishment_id, q.academic_year, q.cycle, q.question_id) IN
      (SELECT establishment_id, academic_year, cycle, question_id FROM stats_scope WHERE kind = 'question')
GROUP BY 1, 2, 3, 4, 5, 6;

-- name: analyze_vespa
ANALYZE knacksync.stats_vespa_hist;

-- name: analyze_answers
ANALYZE knacksync.stats_answer_hist;
