-- object_10 (VESPA results) → students, vespa_scores, student_comments.
-- Claims are "year|lower(email)" (rules 1 and 5); rows keep the e-mail as
-- the winning record gives it. See docs/mapping.md.

-- name: stage
CREATE TEMP TABLE stg_students (
    record_id text NOT NULL,
    email text NOT NULL,
    academic_year text NOT NULL,
    name text NOT NULL,
    establishment_knack_id text NOT NULL,
    year_group text NOT NULL,
    course text NOT NULL,
    faculty text NOT NULL,
    grp text NOT NULL,
    gender text NOT NULL,
    completion_date date,
    completed_at timestamp,
    last_cycle int NOT NULL
) ON COMMIT DROP;
CREATE TEMP TABLE stg_scores (
    record_id text NOT NULL,
    cycle int NOT NULL,
    vision int, effort int, systems int, practice int, attitude int, overall int,
    completion_date date
) ON COMMIT DROP;
CREATE TEMP TABLE stg_comments (
    record_id text NOT NULL,
    cycle int NOT NULL,
    comment_type text NOT NULL,
    comment_text text NOT NULL,
    knack_field_id text NOT NULL
) ON COMMIT DROP;

-- name: claims
INSERT INTO stg_claims (record_id, claim, rank_date, last_cycle)
SELECT record_id, academic_year || '|' || lower(email), completed_at, last_cycle FROM stg_students;

-- name: orphans
-- A student identity its record left in the same year (an email change) or
-- a deleted record's identity. Deleting the student removes its scores,
-- comments and answers (ON DELETE CASCADE); the questionnaire records that
-- had linked to it are projected again so that they are reported unlinked.
WITH gone AS (
    DELETE FROM public.students s
    USING orphans o
    WHERE s.academic_year = split_part(o.claim, '|', 1)
      AND lower(s.email) = split_part(o.claim, '|', 2)
      AND s.knack_id = o.record_id
    RETURNING s.id
), relink AS (
    UPDATE knacksync.records r SET projected_hash = NULL
    FROM knacksync.claims c
    WHERE c.object = @questionnaires_object AND split_part(c.claim, '|', 2) IN (SELECT id::text FROM gone)
      AND r.object = @questionnaires_object AND r.record_id = c.record_id AND r.projected_hash IS NOT NULL
)
SELECT 'students' AS tbl, 0, 0, (SELECT count(*) FROM gone), 0, 0, 0, 0, 0;

-- name: locked
-- Rule 11: a winning identity of a history year whose student row exists is
-- history: nothing of it is written. A changed record that says otherwise
-- than those rows is reported (history_locked). An identity without a row
-- yet is inserted (history starts at first sight).
CREATE TEMP TABLE locked ON COMMIT DROP AS
SELECT w.claim, w.record_id, w.repair, s.id AS student_id
FROM winners w
JOIN public.students s ON lower(s.email) = split_part(w.claim, '|', 2) AND s.academic_year = split_part(w.claim, '|', 1)
WHERE w.in_batch AND w.history;
-- Later statements probe it per row (NOT EXISTS): an index keeps that a
-- lookup whatever size the planner guesses.
CREATE INDEX ON locked (claim);
ANALYZE locked;
INSERT INTO stg_issues (record_id, rule, field, value, detail)
SELECT DISTINCT l.record_id, 'history_locked', st.academic_year, '',
       'Knack differs from the rows of ' || st.academic_year ||
       ', an earlier academic year than the current one (history): not applied'
FROM locked l
JOIN stg_students st ON st.record_id = l.record_id AND st.academic_year || '|' || lower(st.email) = l.claim
JOIN public.students s ON s.id = l.student_id
LEFT JOIN public.establishments e ON e.knack_id = nullif(st.establishment_knack_id, '')
WHERE NOT l.repair AND (
    (s.knack_id, s.email, s.name, s.establishment_id, s.year_group, s.course, s.faculty, s."group", s.gender)
        IS DISTINCT FROM
    (st.record_id::varchar, st.email::varchar, nullif(st.name, '')::varchar, e.id, nullif(st.year_group, '')::varchar,
     nullif(st.course, '')::varchar, nullif(st.faculty, '')::varchar, nullif(st.grp, '')::varchar, nullif(st.gender, '')::varchar)
    OR EXISTS (
        (SELECT cycle, vision, effort, systems, practice, attitude, overall, completion_date
         FROM stg_scores WHERE record_id = l.record_id
         EXCEPT
         SELECT cycle, vision, effort, systems, practice, attitude, overall, completion_date
         FROM public.vespa_scores WHERE student_id = l.student_id AND academic_year = st.academic_year)
        UNION ALL
        (SELECT cycle, vision, effort, systems, practice, attitude, overall, completion_date
         FROM public.vespa_scores WHERE student_id = l.student_id AND academic_year = st.academic_year
         EXCEPT
         SELECT cycle, vision, effort, systems, practice, attitude, overall, completion_date
         FROM stg_scores WHERE record_id = l.record_id))
    OR EXISTS (
        (SELECT cycle, comment_type::text, comment_text FROM stg_comments WHERE record_id = l.record_id
         EXCEPT
         SELECT cycle, comment_type::text, comment_text FROM public.student_comments WHERE student_id = l.student_id)
        UNION ALL
        (SELECT cycle, comment_type::text, comment_text FROM public.student_comments WHERE student_id = l.student_id
         EXCEPT
         SELECT cycle, comment_type::text, comment_text FROM stg_comments WHERE record_id = l.record_id))
);

-- name: students
-- Winners' student rows, found by (lower(email), academic_year) (rule 1):
-- the row with the same casing first, else the oldest casing variant, which
-- takes the winner's casing. knack_id is replaced: a re-upload with a new id
-- updates the same row (rule 5). Locked history identities are left alone.
WITH src AS (
    SELECT st.*, e.id AS establishment_id, b.repair
    FROM stg_students st
    JOIN winners w ON w.record_id = st.record_id AND w.claim = st.academic_year || '|' || lower(st.email) AND w.in_batch
    JOIN stg_batch b ON b.record_id = st.record_id
    LEFT JOIN public.establishments e ON e.knack_id = nullif(st.establishment_knack_id, '')
    WHERE NOT EXISTS (SELECT 1 FROM locked l WHERE l.claim = w.claim)
), target AS (
    -- Every src row with its target row's id (NULL: none yet). Later
    -- steps read this one CTE: joining two CTEs back together is planned
    -- blind (no statistics) as a nested loop, n² for a page.
    SELECT DISTINCT ON (src.record_id) src.*, s.id
    FROM src
    LEFT JOIN public.students s ON lower(s.email) = lower(src.email) AND s.academic_year = src.academic_year
    ORDER BY src.record_id, (s.email = src.email) DESC, s.created_at, s.id
), upd AS (
    UPDATE public.students s SET
        knack_id = src.record_id, email = src.email, name = nullif(src.name, ''), establishment_id = src.establishment_id,
        year_group = nullif(src.year_group, ''), course = nullif(src.course, ''), faculty = nullif(src.faculty, ''),
        "group" = nullif(src.grp, ''), gender = nullif(src.gender, ''), updated_at = now()
    FROM target src
    WHERE s.id = src.id
      AND (s.knack_id, s.email, s.name, s.establishment_id, s.year_group, s.course, s.faculty, s."group", s.gender)
          IS DISTINCT FROM
          (src.record_id::varchar, src.email::varchar, nullif(src.name, '')::varchar, src.establishment_id,
           nullif(src.year_group, '')::varchar, nullif(src.course, '')::varchar, nullif(src.faculty, '')::varchar,
           nullif(src.grp, '')::varchar, nullif(src.gender, '')::varchar)
    RETURNING src.repair
), ins AS (
    INSERT INTO public.students AS s (knack_id, email, name, establishment_id, year_group, course, faculty, "group", gender, academic_year)
    SELECT record_id, email, nullif(name, ''), establishment_id, nullif(year_group, ''), nullif(course, ''),
           nullif(faculty, ''), nullif(grp, ''), nullif(gender, ''), academic_year
    FROM target
    WHERE id IS NULL
    -- Another writer inserting the same e-mail meanwhile: that row is this
    -- person's row.
    ON CONFLICT (email, academic_year) DO UPDATE SET
        knack_id = excluded.knack_id, name = excluded.name, establishment_id = excluded.establishment_id,
        year_group = excluded.year_group, course = excluded.course, faculty = excluded.faculty,
        "group" = excluded."group", gender = excluded.gender, updated_at = now()
    RETURNING (xmax = 0) AS inserted, s.knack_id
), w AS (
    SELECT true AS inserted, b.repair FROM ins JOIN stg_batch b ON b.record_id = ins.knack_id WHERE ins.inserted
    UNION ALL
    SELECT false, b.repair FROM ins JOIN stg_batch b ON b.record_id = ins.knack_id WHERE NOT ins.inserted
    UNION ALL
    SELECT false, repair FROM upd
)
SELECT 'students' AS tbl, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted), 0,
       (SELECT count(*) FROM src) - count(*), 0, count(*) FILTER (WHERE repair), 0, 0
FROM w;

-- name: held_students
-- The students the batch writes now, resolved to ids once.
CREATE TEMP TABLE batch_students ON COMMIT DROP AS
SELECT st.record_id, s.id AS student_id, s.email, s.academic_year, b.repair
FROM stg_students st
JOIN winners w ON w.record_id = st.record_id AND w.claim = st.academic_year || '|' || lower(st.email) AND w.in_batch
JOIN stg_batch b ON b.record_id = st.record_id
JOIN public.students s ON s.email = st.email AND s.academic_year = st.academic_year
WHERE NOT EXISTS (SELECT 1 FROM locked l WHERE l.claim = w.claim);
ANALYZE batch_students;

-- name: scores
-- A repaired record's rows that it does not produce are another writer's:
-- left alone and counted as unowned (rule 16).
WITH src AS (
    SELECT b.student_id, b.email, b.academic_year, sc.*
    FROM stg_scores sc JOIN batch_students b ON b.record_id = sc.record_id
), w AS (
    INSERT INTO public.vespa_scores AS v (student_id, cycle, vision, effort, systems, practice, attitude, overall,
                                           completion_date, academic_year, student_email)
    SELECT student_id, cycle, vision, effort, systems, practice, attitude, overall, completion_date, academic_year, email
    FROM src
    ON CONFLICT (student_id, cycle, academic_year) DO UPDATE SET
        vision = excluded.vision, effort = excluded.effort, systems = excluded.systems,
        practice = excluded.practice, attitude = excluded.attitude, overall = excluded.overall,
        completion_date = excluded.completion_date, student_email = excluded.student_email
    WHERE (v.vision, v.effort, v.systems, v.practice, v.attitude, v.overall, v.completion_date, v.student_email)
          IS DISTINCT FROM
          (excluded.vision, excluded.effort, excluded.systems, excluded.practice, excluded.attitude,
           excluded.overall, excluded.completion_date, excluded.student_email)
    RETURNING (xmax = 0) AS inserted, v.student_id
), gone AS (
    -- Cycles the record no longer has (rule 11; locked history students are
    -- not in batch_students).
    DELETE FROM public.vespa_scores v
    USING batch_students b
    WHERE v.student_id = b.student_id AND v.academic_year = b.academic_year AND NOT b.repair
      AND NOT EXISTS (SELECT 1 FROM stg_scores sc WHERE sc.record_id = b.record_id AND sc.cycle = v.cycle)
    RETURNING 1
), repairs AS (
    SELECT student_id FROM batch_students WHERE repair
)
SELECT 'vespa_scores' AS tbl, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
       (SELECT count(*) FROM gone), (SELECT count(*) FROM src) - count(*), 0,
       count(*) FILTER (WHERE student_id IN (SELECT student_id FROM repairs)),
       (SELECT count(*) FROM public.vespa_scores v JOIN batch_students b
            ON v.student_id = b.student_id AND v.academic_year = b.academic_year AND b.repair
        WHERE NOT EXISTS (SELECT 1 FROM stg_scores sc WHERE sc.record_id = b.record_id AND sc.cycle = v.cycle)), 0
FROM w;

-- name: comments
WITH src AS (
    SELECT b.student_id, b.academic_year, c.*
    FROM stg_comments c JOIN batch_students b ON b.record_id = c.record_id
), w AS (
    INSERT INTO public.student_comments AS t (student_id, cycle, comment_type, comment_text, knack_field_id, academic_year)
    SELECT student_id, cycle, comment_type, comment_text, knack_field_id, academic_year FROM src
    ON CONFLICT (student_id, cycle, comment_type) DO UPDATE SET
        comment_text = excluded.comment_text, knack_field_id = excluded.knack_field_id,
        academic_year = excluded.academic_year, updated_at = now()
    WHERE (t.comment_text, t.knack_field_id, t.academic_year)
          IS DISTINCT FROM (excluded.comment_text, excluded.knack_field_id, excluded.academic_year)
    RETURNING (xmax = 0) AS inserted, t.student_id
), gone AS (
    DELETE FROM public.student_comments t
    USING batch_students b
    WHERE t.student_id = b.student_id AND NOT b.repair
      AND NOT EXISTS (SELECT 1 FROM stg_comments c
                      WHERE c.record_id = b.record_id AND c.cycle = t.cycle AND c.comment_type = t.comment_type)
    RETURNING 1
), repairs AS (
    SELECT student_id FROM batch_students WHERE repair
)
SELECT 'student_comments' AS tbl, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
       (SELECT count(*) FROM gone), (SELECT count(*) FROM src) - count(*), 0,
       count(*) FILTER (WHERE student_id IN (SELECT student_id FROM repairs)),
       (SELECT count(*) FROM public.student_comments t JOIN batch_students b ON t.student_id = b.student_id AND b.repair
        WHERE NOT EXISTS (SELECT 1 FROM stg_comments c
                          WHERE c.record_id = b.record_id AND c.cycle = t.cycle AND c.comment_type = t.comment_type)), 0
FROM w;

-- name: relink_answers
-- The questionnaire records of changed students are projected again (their
-- year, email or current cycle may have moved), and so are the unlinked
-- ones, which new students may be what they were waiting for. A repair
-- changes none of that (a full sweep projects every questionnaire anyway).
UPDATE knacksync.records r SET projected_hash = NULL
FROM knacksync.claims c
WHERE c.object = @questionnaires_object
  AND split_part(c.claim, '|', 2) IN (SELECT student_id::text FROM batch_students WHERE NOT repair)
  AND r.object = @questionnaires_object AND r.record_id = c.record_id AND r.projected_hash IS NOT NULL;
UPDATE knacksync.records r SET projected_hash = NULL
FROM knacksync.data_issues d
WHERE d.object = @questionnaires_object AND d.rule = 'unlinked_answer'
  AND r.object = @questionnaires_object AND r.record_id = d.record_id AND r.projected_hash IS NOT NULL
  AND EXISTS (SELECT 1 FROM batch_students WHERE NOT repair);

-- name: unowned
-- After a full sweep (rule 16): current-year rows no object_10 record
-- produces (no held claim on their identity), left alone. Not part of a
-- batch.
WITH s AS (
    SELECT s.id FROM public.students s
    WHERE NOT knacksync.is_history(s.academic_year, @today)
      AND NOT EXISTS (SELECT 1 FROM knacksync.claims c
                      WHERE c.object = @object AND c.held AND c.claim = s.academic_year || '|' || lower(s.email))
)
SELECT 'students' AS tbl, 0, 0, 0, 0, 0, 0, (SELECT count(*) FROM s), 0
UNION ALL
SELECT 'vespa_scores', 0, 0, 0, 0, 0, 0, (SELECT count(*) FROM public.vespa_scores v WHERE v.student_id IN (SELECT id FROM s)), 0
UNION ALL
SELECT 'student_comments', 0, 0, 0, 0, 0, 0, (SELECT count(*) FROM public.student_comments t WHERE t.student_id IN (SELECT id FROM s)), 0;
