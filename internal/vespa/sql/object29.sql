-- object_29 (questionnaire) → question_responses. A record links to a
-- student by email and the academic year that the student's establishment
-- gives the completion date, else through field_792 (rule 9). Claims are
-- "year|student_id|cycle": duplicates per student, cycle and year are
-- resolved as in rule 5. E-mails compare case-insensitively (rule 1); the
-- field_792 fallback finds the student of the same academic year only
-- (rule 9). See docs/mapping.md.

-- name: stage
CREATE TEMP TABLE stg_questionnaires (
    record_id text NOT NULL,
    email text NOT NULL,
    result_knack_id text NOT NULL,
    year_uk text NOT NULL,
    year_au text NOT NULL,
    completion_date date,
    completed_at timestamp
) ON COMMIT DROP;
-- A record's answers of one cycle, as one row: question ids sorted by byte
-- (COLLATE "C") with their values in the same order. A page stages about a
-- thousand of these instead of ~38,000 answer rows, and a cycle whose
-- stored answers are the same arrays is left alone without reading its
-- answers one by one (a full sweep brings every answer again, rule 16).
CREATE TEMP TABLE stg_answer_sets (
    record_id text NOT NULL,
    cycle int NOT NULL,
    question_ids text[] NOT NULL,
    vals int[] NOT NULL,
    PRIMARY KEY (record_id, cycle)
) ON COMMIT DROP;

-- name: claims
CREATE TEMP TABLE links ON COMMIT DROP AS
SELECT q.record_id, q.email, q.result_knack_id, q.completion_date, q.completed_at,
       coalesce(em.id, rs.id) AS student_id,
       coalesce(em.academic_year, rs.academic_year) AS academic_year
FROM stg_questionnaires q
LEFT JOIN LATERAL (
    SELECT s.id, s.academic_year
    FROM public.students s LEFT JOIN public.establishments e ON e.id = s.establishment_id
    WHERE q.email <> '' AND lower(s.email) = lower(q.email)
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
ANALYZE links;

UPDATE stg_batch b SET current_year = l.academic_year
FROM links l WHERE l.record_id = b.record_id AND l.student_id IS NOT NULL;

-- An answer record that links to no student is reported, never dropped
-- silently (rule 9).
INSERT INTO stg_issues (record_id, rule, field, value, detail)
SELECT l.record_id, 'unlinked_answer', '', l.email,
       'no student with this email in ' || q.year_uk ||
       CASE WHEN q.year_au <> q.year_uk THEN ' (or ' || q.year_au || ')' ELSE '' END ||
       CASE WHEN l.result_knack_id <> '' THEN ', nor through ' || @results_object || ' record ' || l.result_knack_id ELSE '' END
FROM links l JOIN stg_questionnaires q ON q.record_id = l.record_id
WHERE l.student_id IS NULL AND EXISTS (SELECT 1 FROM stg_answer_sets a WHERE a.record_id = l.record_id);

-- Cycles above the student's current cycle (field_146 of its object_10
-- record) hold last year's answers after a keep-and-refresh: not taken.
INSERT INTO stg_claims (record_id, claim, rank_date)
SELECT DISTINCT l.record_id, l.academic_year || '|' || l.student_id || '|' || a.cycle, l.completed_at
FROM links l
JOIN stg_answer_sets a ON a.record_id = l.record_id
JOIN public.students s ON s.id = l.student_id
LEFT JOIN knacksync.claims c10
       ON c10.object = @results_object AND c10.held AND c10.claim = s.academic_year || '|' || lower(s.email)
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
SELECT 'question_responses' AS tbl, 0, 0, (SELECT count(*) FROM gone), 0, 0, 0, 0, 0;

-- name: locked
-- Rule 11: a winning key (student, cycle) of a history year that has
-- answers already is history: not written. A changed record that says
-- otherwise is reported (history_locked, in the answers section). A key
-- without answers yet is inserted (history starts at first sight).
CREATE TEMP TABLE locked ON COMMIT DROP AS
SELECT w.claim, w.record_id, w.repair, split_part(w.claim, '|', 1) AS academic_year,
       split_part(w.claim, '|', 2)::uuid AS student_id, split_part(w.claim, '|', 3)::int AS cycle
FROM winners w
WHERE w.in_batch AND w.history
  AND EXISTS (SELECT 1 FROM public.question_responses t
              WHERE t.student_id = split_part(w.claim, '|', 2)::uuid AND t.cycle = split_part(w.claim, '|', 3)::int
                AND t.academic_year = split_part(w.claim, '|', 1));
-- Later statements probe it per row (NOT EXISTS): an index keeps that a
-- lookup whatever size the planner guesses.
CREATE INDEX ON locked (claim);
ANALYZE locked;

-- name: answers
-- The winning cycles whose stored answers differ from the record's. A
-- locked one (history) is reported, never written. A repaired record's
-- answers that it does not produce are another writer's: left alone and
-- counted as unowned (rule 16).
CREATE TEMP TABLE answer_keys ON COMMIT DROP AS
SELECT DISTINCT w.record_id, w.repair, l.claim IS NOT NULL AS locked, split_part(w.claim, '|', 1) AS academic_year,
       split_part(w.claim, '|', 2)::uuid AS student_id, split_part(w.claim, '|', 3)::int AS cycle
FROM winners w LEFT JOIN locked l ON l.claim = w.claim
WHERE w.in_batch;
ANALYZE answer_keys;
CREATE TEMP TABLE answer_diff ON COMMIT DROP AS
SELECT k.*, a.question_ids, a.vals
FROM answer_keys k
JOIN stg_answer_sets a ON a.record_id = k.record_id AND a.cycle = k.cycle
CROSS JOIN LATERAL (
    SELECT array_agg(t.question_id::text ORDER BY t.question_id COLLATE "C") AS question_ids,
           array_agg(t.response_value ORDER BY t.question_id COLLATE "C") AS vals
    FROM public.question_responses t
    WHERE t.student_id = k.student_id AND t.cycle = k.cycle AND t.academic_year = k.academic_year
) cur
WHERE (a.question_ids, a.vals) IS DISTINCT FROM (cur.question_ids, cur.vals);
INSERT INTO stg_issues (record_id, rule, field, value, detail)
SELECT DISTINCT record_id, 'history_locked', academic_year, '',
       'Knack differs from the answers of ' || academic_year ||
       ', an earlier academic year than the current one (history): not applied'
FROM answer_diff WHERE locked AND NOT repair;
DELETE FROM answer_diff WHERE locked;
CREATE INDEX ON answer_diff (student_id, cycle, academic_year);
ANALYZE answer_diff;
WITH src AS (
    SELECT d.student_id, d.academic_year, d.cycle, u.question_id, u.value
    FROM answer_diff d CROSS JOIN LATERAL unnest(d.question_ids, d.vals) AS u(question_id, value)
), w AS (
    INSERT INTO public.question_responses AS t (student_id, cycle, question_id, response_value, academic_year)
    SELECT student_id, cycle, question_id, value, academic_year FROM src
    ON CONFLICT (student_id, cycle, academic_year, question_id) DO UPDATE SET response_value = excluded.response_value
    WHERE t.response_value IS DISTINCT FROM excluded.response_value
    RETURNING (xmax = 0) AS inserted, t.student_id, t.cycle, t.academic_year
), gone AS (
    -- Answers the winning record no longer has for its cycle (rule 11).
    DELETE FROM public.question_responses t
    USING answer_diff d
    WHERE t.student_id = d.student_id AND t.cycle = d.cycle AND t.academic_year = d.academic_year AND NOT d.repair
      AND NOT t.question_id = ANY (d.question_ids)
    RETURNING 1
)
SELECT 'question_responses' AS tbl, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
       (SELECT count(*) FROM gone),
       (SELECT coalesce(sum(cardinality(a.question_ids)), 0)
        FROM answer_keys k JOIN stg_answer_sets a ON a.record_id = k.record_id AND a.cycle = k.cycle
        WHERE NOT k.locked) - count(*), 0,
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM answer_diff d WHERE d.repair AND d.student_id = w.student_id
                                      AND d.cycle = w.cycle AND d.academic_year = w.academic_year)),
       (SELECT count(*) FROM public.question_responses t JOIN answer_diff d
            ON t.student_id = d.student_id AND t.cycle = d.cycle AND t.academic_year = d.academic_year AND d.repair
        WHERE NOT t.question_id = ANY (d.question_ids)), 0
FROM w;

-- name: unowned
-- After a full sweep (rule 16): current-year answers no object_29 record
-- produces (no held claim on their student, cycle and year). Not part of a
-- batch.
SELECT 'question_responses' AS tbl, 0, 0, 0, 0, 0, 0, coalesce(sum(g.n), 0), 0
FROM (
    SELECT t.academic_year, t.student_id, t.cycle, count(*) AS n
    FROM public.question_responses t
    GROUP BY t.academic_year, t.student_id, t.cycle
) g
WHERE NOT knacksync.is_history(g.academic_year, @today)
  AND NOT EXISTS (SELECT 1 FROM knacksync.claims c
                  WHERE c.object = @object AND c.held AND c.claim = g.academic_year || '|' || g.student_id || '|' || g.cycle);
