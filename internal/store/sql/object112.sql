-- object_112 (academic profiles) → academic_profiles, student_subjects.
-- Claims are "year|email"; with no dates, ties go to the larger record id.

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
SELECT record_id, academic_year || '|' || email, NULL FROM stg_profiles;

-- name: orphans
WITH gone AS (
    DELETE FROM public.academic_profiles p
    USING orphans o
    WHERE p.academic_year = split_part(o.claim, '|', 1)
      AND p.student_email = split_part(o.claim, '|', 2)
      AND p.knack_record_id = o.record_id
    RETURNING 1
)
SELECT 'academic_profiles' AS tbl, 0, 0, (SELECT count(*) FROM gone), 0, 0;

-- name: profiles
WITH src AS (
    SELECT p.*, e.id AS establishment_id
    FROM stg_profiles p
    JOIN winners w ON w.record_id = p.record_id AND w.claim = p.academic_year || '|' || p.email AND w.in_batch
    LEFT JOIN public.establishments e ON e.knack_id = nullif(p.establishment_knack_id, '')
), w AS (
    INSERT INTO public.academic_profiles AS t (student_email, student_name, year_group, tutor_group, attendance,
        prior_attainment, upn, uci, centre_number, establishment_name, establishment_id, academic_year, knack_record_id)
    SELECT email, nullif(student_name, ''), nullif(year_group, ''), nullif(tutor_group, ''), attendance,
           prior_attainment, nullif(upn, ''), nullif(uci, ''), nullif(centre_number, ''),
           nullif(establishment_name, ''), establishment_id, academic_year, record_id
    FROM src
    ON CONFLICT (student_email, academic_year) DO UPDATE SET
        student_name = excluded.student_name, year_group = excluded.year_group, tutor_group = excluded.tutor_group,
        attendance = excluded.attendance, prior_attainment = excluded.prior_attainment, upn = excluded.upn,
        uci = excluded.uci, centre_number = excluded.centre_number, establishment_name = excluded.establishment_name,
        establishment_id = excluded.establishment_id, knack_record_id = excluded.knack_record_id, updated_at = now()
    WHERE (t.student_name, t.year_group, t.tutor_group, t.attendance, t.prior_attainment, t.upn, t.uci,
           t.centre_number, t.establishment_name, t.establishment_id, t.knack_record_id)
          IS DISTINCT FROM
          (excluded.student_name, excluded.year_group, excluded.tutor_group, excluded.attendance,
           excluded.prior_attainment, excluded.upn, excluded.uci, excluded.centre_number,
           excluded.establishment_name, excluded.establishment_id, excluded.knack_record_id)
    RETURNING (xmax = 0) AS inserted
)
SELECT 'academic_profiles' AS tbl, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted), 0,
       (SELECT count(*) FROM src) - count(*), 0
FROM w;

-- name: held_profiles
CREATE TEMP TABLE batch_profiles ON COMMIT DROP AS
SELECT p.record_id, t.id AS profile_id, t.student_email
FROM stg_profiles p
JOIN winners w ON w.record_id = p.record_id AND w.claim = p.academic_year || '|' || p.email AND w.in_batch
JOIN public.academic_profiles t ON t.student_email = p.email AND t.academic_year = p.academic_year;

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
    RETURNING (xmax = 0) AS inserted
), gone AS (
    -- A position that became empty is deleted (rule 13).
    DELETE FROM public.student_subjects t
    USING batch_profiles b
    WHERE t.profile_id = b.profile_id
      AND NOT EXISTS (SELECT 1 FROM stg_subjects s WHERE s.record_id = b.record_id AND s.position = t.subject_position)
    RETURNING 1
)
SELECT 'student_subjects' AS tbl, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
       (SELECT count(*) FROM gone), (SELECT count(*) FROM src) - count(*), 0
FROM w;
