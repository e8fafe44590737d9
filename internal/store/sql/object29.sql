-- object_29 (questionnaire) → question_responses. A record links to a
-- student by email and the academic year that the student's establishment
-- gives the completion date, else through field_792 (rule 9). Claims are
-- "year|student_id|cycle": duplicates per student, cycle and year are
-- resolved as in rule 5.

-- name: stage
CREATE TEMP TABLE stg_questionnaires (
    record_id text NOT NULL,
    email text NOT NULL,
    result_knack_id text NOT NULL,
    year_uk text NOT NULL,
    year_au text NOT NULL,
    completion_date date
) ON COMMIT DROP;
CREATE TEMP TABLE stg_answers (
    record_id text NOT NULL,
    cycle int NOT NULL,
    question_id text NOT NULL,
    value int NOT NULL
) ON COMMIT DROP;

-- name: claims
CREATE TEMP TABLE links ON COMMIT DROP AS
SELECT q.record_id, q.email, q.result_knack_id, q.completion_date,
       coalesce(em.id, rs.id) AS student_id,
       coalesce(em.academic_year, rs.academic_year) AS academic_year
FROM stg_questionnaires q
LEFT JOIN LATERAL (
    SELECT s.id, s.academic_year
    FROM public.students s LEFT JOIN public.establishments e ON e.id = s.establishment_id
    WHERE q.email <> '' AND s.email = q.email
      AND s.academic_year = CASE WHEN e.is_australian AND e.use_standard_year = false THEN q.year_au ELSE q.year_uk END
    ORDER BY s.id LIMIT 1
) em ON true
LEFT JOIN LATERAL (
    SELECT s.id, s.academic_year
    FROM public.students s LEFT JOIN public.establishments e ON e.id = s.establishment_id
    WHERE em.id IS NULL AND q.result_knack_id <> '' AND s.knack_id = q.result_knack_id
      AND s.academic_year = CASE WHEN e.is_australian AND e.use_standard_year = false THEN q.year_au ELSE q.year_uk END
    ORDER BY s.id LIMIT 1
) rs ON true;

UPDATE stg_batch b SET current_year = l.academic_year
FROM links l WHERE l.record_id = b.record_id AND l.student_id IS NOT NULL;

-- An answer record that links to no student is reported, never dropped
-- silently (rule 9).
INSERT INTO stg_issues (record_id, rule, field, value, detail)
SELECT l.record_id, 'unlinked_answer', '', l.email,
       'no student with this email in ' || q.year_uk ||
       CASE WHEN q.year_au <> q.year_uk THEN ' (or ' || q.year_au || ')' ELSE '' END ||
       CASE WHEN l.result_knack_id <> '' THEN ', nor through object_10 record ' || l.result_knack_id ELSE '' END
FROM links l JOIN stg_questionnaires q ON q.record_id = l.record_id
WHERE l.student_id IS NULL AND EXISTS (SELECT 1 FROM stg_answers a WHERE a.record_id = l.record_id);

-- Cycles above the student's current cycle (field_146 of its object_10
-- record) hold last year's answers after a keep-and-refresh: not taken.
INSERT INTO stg_claims (record_id, claim, rank_date)
SELECT DISTINCT l.record_id, l.academic_year || '|' || l.student_id || '|' || a.cycle, l.completion_date
FROM links l
JOIN stg_answers a ON a.record_id = l.record_id
JOIN public.students s ON s.id = l.student_id
LEFT JOIN knacksync.claims c10
       ON c10.object = 'object_10' AND c10.held AND c10.claim = s.academic_year || '|' || s.email
WHERE a.cycle <= coalesce(c10.last_cycle, 3);

-- name: orphans
WITH gone AS (
    DELETE FROM public.question_responses t
    USING orphans o
    WHERE t.academic_year = split_part(o.claim, '|', 1)
      AND t.student_id = split_part(o.claim, '|', 2)::uuid
      AND t.cycle = split_part(o.claim, '|', 3)::int
    RETURNING 1
)
SELECT 'question_responses' AS tbl, 0, 0, (SELECT count(*) FROM gone), 0, 0;

-- name: answers
WITH keys AS (
    SELECT DISTINCT w.record_id, split_part(w.claim, '|', 1) AS academic_year,
           split_part(w.claim, '|', 2)::uuid AS student_id, split_part(w.claim, '|', 3)::int AS cycle
    FROM winners w WHERE w.in_batch
), src AS (
    SELECT k.student_id, k.academic_year, a.cycle, a.question_id, a.value
    FROM stg_answers a JOIN keys k ON k.record_id = a.record_id AND k.cycle = a.cycle
), w AS (
    INSERT INTO public.question_responses AS t (student_id, cycle, question_id, response_value, academic_year)
    SELECT student_id, cycle, question_id, value, academic_year FROM src
    ON CONFLICT (student_id, cycle, academic_year, question_id) DO UPDATE SET response_value = excluded.response_value
    WHERE t.response_value IS DISTINCT FROM excluded.response_value
    RETURNING (xmax = 0) AS inserted
), gone AS (
    -- Answers the winning record no longer has for its cycle (rule 11).
    DELETE FROM public.question_responses t
    USING keys k
    WHERE t.student_id = k.student_id AND t.cycle = k.cycle AND t.academic_year = k.academic_year
      AND NOT EXISTS (SELECT 1 FROM stg_answers a
                      WHERE a.record_id = k.record_id AND a.cycle = t.cycle AND a.question_id = t.question_id)
    RETURNING 1
)
SELECT 'question_responses' AS tbl, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
       (SELECT count(*) FROM gone), (SELECT count(*) FROM src) - count(*), 0
FROM w;
