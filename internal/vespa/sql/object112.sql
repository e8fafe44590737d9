-- object_112 (academic profiles) → academic_profiles, student_subjects.
-- Claims are "year|lower(email)" (rule 1); with no dates, ties go to the
-- larger record id. See docs/mapping.md.

-- name: stage
CREATE TEMP TABLE stg_profiles (
    record_id text NOT NULL,
    email text NOT NULL,
    academic_year text NOT NULL,
    student_name text NOT NULL,
    year_group text NOT NULL,
    tutor_group text NOT NULL,
    attendance numeric,
    prior_attainment numeric,
    upn text NOT NULL,
    uci text NOT NULL,
    centre_number text NOT NULL,
    establishment_knack_id text NOT NULL,
    establishment_name text NOT NULL
) ON COMMIT DROP;
CREATE TEMP TABLE stg_subjects (
    record_id text NOT NULL,
    position int NOT NULL,
    subject_name text NOT NULL,
    exam_type text NOT NULL,
    exam_board text NOT NULL,
    current_grade text NOT NULL,
    target_grade text NOT NULL,
    minimum_expected_grade text NOT NULL,
    subject_target_grade text NOT NULL,
    effort_grade text NOT NULL,
    behaviour_grade text NOT NULL,
    subject_attendance numeric,
    original_record_id text NOT NULL
) ON COMMIT DROP;

-- name: claims
INSERT INTO stg_claims (record_id, claim, rank_date)
SELECT record_id, academic_year || '|' || lower(email), NULL FROM stg_profiles;

-- name: orphans
WITH gone AS (
    DELETE FROM public.academic_profiles p
    USING orphans o
    WHERE p.academic_year = split_part(o.claim, '|', 1)
      AND lower(p.student_email) = split_part(o.claim, '|', 2)
      AND p.knack_record_id = o.record_id
    RETURNING 1
)
SELECT 'academic_profiles' AS tbl, 0, 0, (SELECT count(*) FROM gone), 0, 0, 0, 0, 0;

-- name: locked
-- Rule 11: a winning profile of a history year that exists is history:
-- nothing of it is written; a changed record that says otherwise is
-- reported (history_locked). One without a row yet is inserted.
CREATE TEMP TABLE locked ON COMMIT DROP AS
SELECT w.claim, w.record_id, w.repair, t.id AS profile_id
FROM winners w
JOIN public.academic_profiles t
  ON lower(t.student_email) = split_part(w.claim, '|', 2) AND t.academic_year = split_part(w.claim, '|', 1)
WHERE w.in_batch AND w.history;
-- Later statements probe it per row (NOT EXISTS): an index keeps that a
-- lookup whatever size the planner guesses.
CREATE INDEX ON locked (claim);
ANALYZE locked;
INSERT INTO stg_issues (record_id, rule, field, value, detail)
SELECT DISTINCT l.record_id, 'history_locked', p.academic_year, '',
       'Knack differs from the profile of ' || p.academic_year ||
       ', an earlier academic year than the current one (history): not applied'
FROM locked l
JOIN stg_profiles p ON p.record_id = l.record_id AND p.academic_year || '|' || lower(p.email) = l.claim
JOIN public.academic_profiles t ON t.id = l.profile_id
LEFT JOIN public.establishments e ON e.knack_id = nullif(p.establishment_knack_id, '')
WHERE NOT l.repair AND (
    (t.student_email, t.student_name, t.year_group, t.tutor_group, t.attendance, t.prior_attainment, t.upn, t.uci,
     t.centre_number, t.establishment_name, t.establishment_id, t.knack_record_id)
        IS DISTINCT FROM
    (p.email::varchar, nullif(p.student_name, '')::varchar, nullif(p.year_group, '')::varchar,
     nullif(p.tutor_group, '')::varchar, p.attendance, p.prior_attainment, nullif(p.upn, '')::varchar,
     nullif(p.uci, '')::varchar, nullif(p.centre_number, '')::varchar, nullif(p.establishment_name, '')::varchar,
     e.id, p.record_id::varchar)
    OR EXISTS (
        (SELECT position, subject_name::text, nullif(exam_type, '')::text, nullif(exam_board, '')::text, nullif(current_grade, '')::text, nullif(target_grade, '')::text,
                nullif(minimum_expected_grade, '')::text, nullif(subject_target_grade, '')::text, nullif(effort_grade, '')::text,
                nullif(behaviour_grade, '')::text, subject_attendance, nullif(original_record_id, '')::text
         FROM stg_subjects WHERE record_id = l.record_id
         EXCEPT
         SELECT subject_position, subject_name::text, exam_type::text, exam_board::text, current_grade::text, target_grade::text,
                minimum_expected_grade::text, subject_target_grade::text, effort_grade::text,
                behaviour_grade::text, subject_attendance, original_record_id::text
         FROM public.student_subjects WHERE profile_id = l.profile_id)
        UNION ALL
        (SELECT subject_position, subject_name::text, exam_type::text, exam_board::text, current_grade::text, target_grade::text,
                minimum_expected_grade::text, subject_target_grade::text, effort_grade::text,
                behaviour_grade::text, subject_attendance, original_record_id::text
         FROM public.student_subjects WHERE profile_id = l.profile_id
         EXCEPT
         SELECT position, subject_name::text, nullif(exam_type, '')::text, nullif(exam_board, '')::text, nullif(current_grade, '')::text, nullif(target_grade, '')::text,
                nullif(minimum_expected_grade, '')::text, nullif(subject_target_grade, '')::text, nullif(effort_grade, '')::text,
                nullif(behaviour_grade, '')::text, subject_attendance, nullif(original_record_id, '')::text
         FROM stg_subjects WHERE record_id = l.record_id))
);

-- name: profiles
-- Found by (lower(email), academic_year) (rule 1): the row with the same
-- casing first, else the oldest casing variant, which takes the winner's.
WITH src AS (
    SELECT p.*, e.id AS establishment_id, b.repair
    FROM stg_profiles p
    JOIN winners w ON w.record_id = p.record_id AND w.claim = p.academic_year || '|' || lower(p.email) AND w.in_batch
    JOIN stg_batch b ON b.record_id = p.record_id
    LEFT JOIN public.establishments e ON e.knack_id = nullif(p.establishment_knack_id, '')
    WHERE NOT EXISTS (SELECT 1 FROM locked l WHERE l.claim = w.claim)
), target AS (
    -- Every src row with its target row's id (NULL: none yet). Later
    -- steps read this one CTE: joining two CTEs back together is planned
    -- blind (no statistics) as a nested loop, n² for a page.
    SELECT DISTINCT ON (src.record_id) src.*, t.id
    FROM src
    LEFT JOIN public.academic_profiles t ON lower(t.student_email) = lower(src.email) AND t.academic_year = src.academic_year
    ORDER BY src.record_id, (t.student_email = src.email) DESC, t.created_at, t.id
), upd AS (
    UPDATE public.academic_profiles t SET
        student_email = src.email, student_name = nullif(src.student_name, ''), year_group = nullif(src.year_group, ''),
        tutor_group = nullif(src.tutor_group, ''), attendance = src.attendance, prior_attainment = src.prior_attainment,
        upn = nullif(src.upn, ''), uci = nullif(src.uci, ''), centre_number = nullif(src.centre_number, ''),
        establishment_name = nullif(src.establishment_name, ''), establishment_id = src.establishment_id,
        knack_record_id = src.record_id, updated_at = now()
    FROM target src
    WHERE t.id = src.id
      AND (t.student_email, t.student_name, t.year_group, t.tutor_group, t.attendance, t.prior_attainment, t.upn, t.uci,
           t.centre_number, t.establishment_name, t.establishment_id, t.knack_record_id)
          IS DISTINCT FROM
          (src.email::varchar, nullif(src.student_name, '')::varchar, nullif(src.year_group, '')::varchar,
           nullif(src.tutor_group, '')::varchar, src.attendance, src.prior_attainment, nullif(src.upn, '')::varchar,
           nullif(src.uci, '')::varchar, nullif(src.centre_number, '')::varchar,
           nullif(src.establishment_name, '')::varchar, src.establishment_id, src.record_id::varchar)
    RETURNING src.repair
), ins AS (
    INSERT INTO public.academic_profiles AS t (student_email, student_name, year_group, tutor_group, attendance,
        prior_attainment, upn, uci, centre_number, establishment_name, establishment_id, academic_year, knack_record_id)
    SELECT email, nullif(student_name, ''), nullif(year_group, ''), nullif(tutor_group, ''), attendance,
           prior_attainment, nullif(upn, ''), nullif(uci, ''), nullif(centre_number, ''),
           nullif(establishment_name, ''), establishment_id, academic_year, record_id
    FROM target
    WHERE id IS NULL
    ON CONFLICT (student_email, academic_year) DO UPDATE SET
        student_name = excluded.student_name, year_group = excluded.year_group, tutor_group = excluded.tutor_group,
        attendance = excluded.attendance, prior_attainment = excluded.prior_attainment, upn = excluded.upn,
        uci = excluded.uci, centre_number = excluded.centre_number, establishment_name = excluded.establishment_name,
        establishment_id = excluded.establishment_id, knack_record_id = excluded.knack_record_id, updated_at = now()
    RETURNING (xmax = 0) AS inserted, t.knack_record_id
), w AS (
    SELECT ins.inserted, b.repair FROM ins JOIN stg_batch b ON b.record_id = ins.knack_record_id
    UNION ALL
    SELECT false, repair FROM upd
)
SELECT 'academic_profiles' AS tbl, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted), 0,
       (SELECT count(*) FROM src) - count(*), 0, count(*) FILTER (WHERE repair), 0, 0
FROM w;

-- name: held_profiles
CREATE TEMP TABLE batch_profiles ON COMMIT DROP AS
SELECT p.record_id, t.id AS profile_id, t.student_email, b.repair
FROM stg_profiles p
JOIN winners w ON w.record_id = p.record_id AND w.claim = p.academic_year || '|' || lower(p.email) AND w.in_batch
JOIN stg_batch b ON b.record_id = p.record_id
JOIN public.academic_profiles t ON t.student_email = p.email AND t.academic_year = p.academic_year
WHERE NOT EXISTS (SELECT 1 FROM locked l WHERE l.claim = w.claim);
ANALYZE batch_profiles;

-- name: subjects
WITH src AS (
    SELECT b.profile_id, b.student_email, s.*
    FROM stg_subjects s JOIN batch_profiles b ON b.record_id = s.record_id
), w AS (
    INSERT INTO public.student_subjects AS t (profile_id, student_email, subject_name, exam_type, exam_board,
        current_grade, target_grade, minimum_expected_grade, subject_target_grade, effort_grade, behaviour_grade,
        subject_attendance, original_record_id, subject_position)
    SELECT profile_id, student_email, subject_name, nullif(exam_type, ''), nullif(exam_board, ''),
           nullif(current_grade, ''), nullif(target_grade, ''), nullif(minimum_expected_grade, ''),
           nullif(subject_target_grade, ''), nullif(effort_grade, ''), nullif(behaviour_grade, ''),
           subject_attendance, nullif(original_record_id, ''), position
    FROM src
    ON CONFLICT (profile_id, subject_position) DO UPDATE SET
        student_email = excluded.student_email, subject_name = excluded.subject_name, exam_type = excluded.exam_type,
        exam_board = excluded.exam_board, current_grade = excluded.current_grade, target_grade = excluded.target_grade,
        minimum_expected_grade = excluded.minimum_expected_grade, subject_target_grade = excluded.subject_target_grade,
        effort_grade = excluded.effort_grade, behaviour_grade = excluded.behaviour_grade,
        subject_attendance = excluded.subject_attendance, original_record_id = excluded.original_record_id,
        updated_at = now()
    WHERE (t.student_email, t.subject_name, t.exam_type, t.exam_board, t.current_grade, t.target_grade,
           t.minimum_expected_grade, t.subject_target_grade, t.effort_grade, t.behaviour_grade,
           t.subject_attendance, t.original_record_id)
          IS DISTINCT FROM
          (excluded.student_email, excluded.subject_name, excluded.exam_type, excluded.exam_board,
           excluded.current_grade, excluded.target_grade, excluded.minimum_expected_grade,
           excluded.subject_target_grade, excluded.effort_grade, excluded.behaviour_grade,
           excluded.subject_attendance, excluded.original_record_id)
    RETURNING (xmax = 0) AS inserted, t.profile_id
), gone AS (
    -- A position that became empty is deleted (rule 13); a repair leaves
    -- another writer's subjects alone (rule 16).
    DELETE FROM public.student_subjects t
    USING batch_profiles b
    WHERE t.profile_id = b.profile_id AND NOT b.repair
      AND NOT EXISTS (SELECT 1 FROM stg_subjects s WHERE s.record_id = b.record_id AND s.position = t.subject_position)
    RETURNING 1
)
SELECT 'student_subjects' AS tbl, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
       (SELECT count(*) FROM gone), (SELECT count(*) FROM src) - count(*), 0,
       count(*) FILTER (WHERE profile_id IN (SELECT profile_id FROM batch_profiles WHERE repair)),
       (SELECT count(*) FROM public.student_subjects t JOIN batch_profiles b ON t.profile_id = b.profile_id AND b.repair
        WHERE NOT EXISTS (SELECT 1 FROM stg_subjects s WHERE s.record_id = b.record_id AND s.position = t.subject_position)), 0
FROM w;

-- name: unowned
-- After a full sweep (rule 16): current-year profiles no object_112 record
-- produces, and their subjects. Not part of a batch.
WITH p AS (
    SELECT t.id FROM public.academic_profiles t
    WHERE NOT knacksync.is_history(t.academic_year, @today)
      AND NOT EXISTS (SELECT 1 FROM knacksync.claims c
                      WHERE c.object = @object AND c.held AND c.claim = t.academic_year || '|' || lower(t.student_email))
)
SELECT 'academic_profiles' AS tbl, 0, 0, 0, 0, 0, 0, (SELECT count(*) FROM p), 0
UNION ALL
SELECT 'student_subjects', 0, 0, 0, 0, 0, 0, (SELECT count(*) FROM public.student_subjects s WHERE s.profile_id IN (SELECT id FROM p)), 0;
