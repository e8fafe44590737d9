-- object_10 (VESPA results) → students, vespa_scores, student_comments.
-- Claims are "year|email" (rule 5).

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
SELECT record_id, academic_year || '|' || email, completion_date, last_cycle FROM stg_students;

-- name: orphans
-- A student identity its record left in the same year (an email change) or
-- a deleted record's identity. Deleting the student removes its scores,
-- comments and answers (ON DELETE CASCADE); the questionnaire records that
-- had linked to it are projected again so that they are reported unlinked.
WITH gone AS (
    DELETE FROM public.students s
    USING orphans o
    WHERE s.academic_year = split_part(o.claim, '|', 1)
      AND s.email = split_part(o.claim, '|', 2)
      AND s.knack_id = o.record_id
    RETURNING s.id
), relink AS (
    UPDATE knacksync.records r SET projected_hash = NULL
    FROM knacksync.claims c
    WHERE c.object = 'object_29' AND split_part(c.claim, '|', 2) IN (SELECT id::text FROM gone)
      AND r.object = 'object_29' AND r.record_id = c.record_id AND r.projected_hash IS NOT NULL
)
SELECT 'students' AS tbl, 0, 0, (SELECT count(*) FROM gone), 0, 0;

-- name: students
-- Winners' student rows. knack_id is replaced: a re-upload with a new id
-- updates the same (email, year) row (rule 5).
WITH src AS (
    SELECT st.*, e.id AS establishment_id
    FROM stg_students st
    JOIN winners w ON w.record_id = st.record_id AND w.claim = st.academic_year || '|' || st.email AND w.in_batch
    LEFT JOIN public.establishments e ON e.knack_id = nullif(st.establishment_knack_id, '')
), w AS (
    INSERT INTO public.students AS s (knack_id, email, name, establishment_id, year_group, course, faculty, "group", gender, academic_year)
    SELECT record_id, email, nullif(name, ''), establishment_id, nullif(year_group, ''), nullif(course, ''),
           nullif(faculty, ''), nullif(grp, ''), nullif(gender, ''), academic_year
    FROM src
    ON CONFLICT (email, academic_year) DO UPDATE SET
        knack_id = excluded.knack_id, name = excluded.name, establishment_id = excluded.establishment_id,
        year_group = excluded.year_group, course = excluded.course, faculty = excluded.faculty,
        "group" = excluded."group", gender = excluded.gender, updated_at = now()
    WHERE (s.knack_id, s.name, s.establishment_id, s.year_group, s.course, s.faculty, s."group", s.gender)
          IS DISTINCT FROM
          (excluded.knack_id, excluded.name, excluded.establishment_id, excluded.year_group, excluded.course,
           excluded.faculty, excluded."group", excluded.gender)
    RETURNING (xmax = 0) AS inserted
)
SELECT 'students' AS tbl, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted), 0,
       (SELECT count(*) FROM src) - count(*), 0
FROM w;

-- name: held_students
-- The students the batch writes now, resolved to ids once.
CREATE TEMP TABLE batch_students ON COMMIT DROP AS
SELECT st.record_id, s.id AS student_id, s.email, s.academic_year
FROM stg_students st
JOIN winners w ON w.record_id = st.record_id AND w.claim = st.academic_year || '|' || st.email AND w.in_batch
JOIN public.students s ON s.email = st.email AND s.academic_year = st.academic_year;

-- name: scores
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
    RETURNING (xmax = 0) AS inserted
), gone AS (
    -- Cycles the record no longer has (rule 11; the student is in the
    -- record's current year, so history is not touched).
    DELETE FROM public.vespa_scores v
    USING batch_students b
    WHERE v.student_id = b.student_id AND v.academic_year = b.academic_year
      AND NOT EXISTS (SELECT 1 FROM stg_scores sc WHERE sc.record_id = b.record_id AND sc.cycle = v.cycle)
    RETURNING 1
)
SELECT 'vespa_scores' AS tbl, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
       (SELECT count(*) FROM gone), (SELECT count(*) FROM src) - count(*), 0
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
    RETURNING (xmax = 0) AS inserted
), gone AS (
    DELETE FROM public.student_comments t
    USING batch_students b
    WHERE t.student_id = b.student_id
      AND NOT EXISTS (SELECT 1 FROM stg_comments c
                      WHERE c.record_id = b.record_id AND c.cycle = t.cycle AND c.comment_type = t.comment_type)
    RETURNING 1
)
SELECT 'student_comments' AS tbl, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
       (SELECT count(*) FROM gone), (SELECT count(*) FROM src) - count(*), 0
FROM w;

-- name: relink_answers
-- The questionnaire records of changed students are projected again (their
-- year, email or current cycle may have moved), and so are the unlinked
-- ones, which new students may be what they were waiting for.
UPDATE knacksync.records r SET projected_hash = NULL
FROM knacksync.claims c
WHERE c.object = 'object_29' AND split_part(c.claim, '|', 2) IN (SELECT student_id::text FROM batch_students)
  AND r.object = 'object_29' AND r.record_id = c.record_id AND r.projected_hash IS NOT NULL;
UPDATE knacksync.records r SET projected_hash = NULL
FROM knacksync.data_issues d
WHERE d.object = 'object_29' AND d.rule = 'unlinked_answer'
  AND r.object = 'object_29' AND r.record_id = d.record_id AND r.projected_hash IS NOT NULL
  AND EXISTS (SELECT 1 FROM batch_students);
