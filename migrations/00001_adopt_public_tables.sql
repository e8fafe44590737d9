-- Adopt the dashboard's tables in schema public (docs/mapping.md, "Tables in
-- schema public").
--
-- This file must apply to an empty database and to one that already holds the
-- legacy tables (a copy: internal/dbmigrate/testdata/legacy-schema.sql): it
-- creates what is missing, adds missing columns and keys, and never drops a
-- row. goose runs it in one transaction, so a key that existing rows violate
-- stops it with a message and nothing is changed.

-- +goose Up

-- +goose StatementBegin
-- ensure_unique adds a unique constraint unless an equivalent unique index
-- already exists. When existing rows share a key it raises, naming the table,
-- the key and the number of offending groups.
CREATE FUNCTION pg_temp.ensure_unique(tbl text, cols text[], key_name text) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
    col_list text := (SELECT string_agg(format('%I', c), ', ') FROM unnest(cols) AS c);
    groups bigint;
BEGIN
    IF EXISTS (
        SELECT 1
        FROM pg_index i
        WHERE i.indrelid = format('public.%I', tbl)::regclass
          AND i.indisunique
          AND (SELECT array_agg(a.attname::text ORDER BY a.attname)
               FROM pg_attribute a
               WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey))
              = (SELECT array_agg(c ORDER BY c) FROM unnest(cols) AS c)
    ) THEN
        RETURN;
    END IF;
    EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM public.%I GROUP BY %s HAVING count(*) > 1) g', tbl, col_list)
        INTO groups;
    IF groups > 0 THEN
        RAISE EXCEPTION 'cannot add unique key % on %(%): % groups of existing rows share a key; resolve them and run migrate again (nothing was changed)',
            key_name, tbl, col_list, groups;
    END IF;
    EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I UNIQUE (%s)', tbl, key_name, col_list);
END
$fn$;
-- +goose StatementEnd

CREATE TABLE IF NOT EXISTS public.establishments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    knack_id varchar(50) NOT NULL,
    name varchar(255) NOT NULL,
    is_australian boolean DEFAULT false,
    use_standard_year boolean,
    status varchar(50),
    portal_type varchar(50),
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now()
);
ALTER TABLE public.establishments
    ADD COLUMN IF NOT EXISTS is_australian boolean DEFAULT false,
    ADD COLUMN IF NOT EXISTS use_standard_year boolean,
    ADD COLUMN IF NOT EXISTS status varchar(50),
    ADD COLUMN IF NOT EXISTS portal_type varchar(50),
    ADD COLUMN IF NOT EXISTS created_at timestamptz DEFAULT now(),
    ADD COLUMN IF NOT EXISTS updated_at timestamptz DEFAULT now();

CREATE TABLE IF NOT EXISTS public.staff_admins (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    knack_id varchar(50) NOT NULL,
    email varchar(255),
    name varchar(255),
    establishment_id uuid REFERENCES public.establishments(id) ON DELETE SET NULL,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now()
);
ALTER TABLE public.staff_admins
    ADD COLUMN IF NOT EXISTS establishment_id uuid REFERENCES public.establishments(id) ON DELETE SET NULL,
    ADD COLUMN IF NOT EXISTS updated_at timestamptz DEFAULT now();

CREATE TABLE IF NOT EXISTS public.super_users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    knack_id varchar(50) NOT NULL,
    email varchar(255),
    name varchar(255),
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now()
);
ALTER TABLE public.super_users
    ADD COLUMN IF NOT EXISTS updated_at timestamptz DEFAULT now();

CREATE TABLE IF NOT EXISTS public.students (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    knack_id varchar(50) NOT NULL,
    email varchar(255) NOT NULL,
    name varchar(255),
    establishment_id uuid REFERENCES public.establishments(id) ON DELETE CASCADE,
    year_group varchar(50),
    course varchar(100),
    faculty varchar(100),
    "group" varchar(100),
    gender varchar(50),
    academic_year text NOT NULL CHECK (academic_year ~ '^\d{4}/\d{4}$'),
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now()
);
ALTER TABLE public.students
    ADD COLUMN IF NOT EXISTS year_group varchar(50),
    ADD COLUMN IF NOT EXISTS course varchar(100),
    ADD COLUMN IF NOT EXISTS faculty varchar(100),
    ADD COLUMN IF NOT EXISTS "group" varchar(100),
    ADD COLUMN IF NOT EXISTS gender varchar(50),
    ADD COLUMN IF NOT EXISTS updated_at timestamptz DEFAULT now();
-- A re-uploaded student keeps one knack_id per (email, year) but the same
-- Knack record may own rows in several years: knack_id is indexed, not unique.
ALTER TABLE public.students DROP CONSTRAINT IF EXISTS students_knack_id_key;
CREATE INDEX IF NOT EXISTS students_knack_id_idx ON public.students (knack_id);
CREATE INDEX IF NOT EXISTS idx_students_establishment ON public.students (establishment_id);

CREATE TABLE IF NOT EXISTS public.vespa_scores (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    student_id uuid REFERENCES public.students(id) ON DELETE CASCADE,
    cycle integer NOT NULL CHECK (cycle IN (1, 2, 3)),
    vision integer CHECK (vision BETWEEN 0 AND 10),
    effort integer CHECK (effort BETWEEN 0 AND 10),
    systems integer CHECK (systems BETWEEN 0 AND 10),
    practice integer CHECK (practice BETWEEN 0 AND 10),
    attitude integer CHECK (attitude BETWEEN 0 AND 10),
    overall integer CHECK (overall BETWEEN 0 AND 10),
    completion_date date,
    academic_year varchar(10),
    student_email varchar(255),
    created_at timestamptz DEFAULT now()
);
ALTER TABLE public.vespa_scores
    ADD COLUMN IF NOT EXISTS completion_date date,
    ADD COLUMN IF NOT EXISTS academic_year varchar(10),
    ADD COLUMN IF NOT EXISTS student_email varchar(255);

CREATE TABLE IF NOT EXISTS public.question_responses (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    student_id uuid REFERENCES public.students(id) ON DELETE CASCADE,
    cycle integer NOT NULL CHECK (cycle IN (1, 2, 3)),
    question_id varchar(50) NOT NULL,
    response_value integer CHECK (response_value BETWEEN 1 AND 5),
    academic_year varchar,
    created_at timestamptz DEFAULT now()
);
ALTER TABLE public.question_responses
    ADD COLUMN IF NOT EXISTS academic_year varchar;

CREATE TABLE IF NOT EXISTS public.student_comments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    student_id uuid NOT NULL REFERENCES public.students(id) ON DELETE CASCADE,
    cycle integer CHECK (cycle IN (1, 2, 3)),
    comment_type varchar(10) CHECK (comment_type IN ('rrc', 'goal')),
    comment_text text,
    knack_field_id varchar(20),
    academic_year text,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now()
);
ALTER TABLE public.student_comments
    ADD COLUMN IF NOT EXISTS knack_field_id varchar(20),
    ADD COLUMN IF NOT EXISTS academic_year text,
    ADD COLUMN IF NOT EXISTS updated_at timestamptz DEFAULT now();

CREATE TABLE IF NOT EXISTS public.academic_profiles (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    student_email varchar(255) NOT NULL,
    student_name varchar(255),
    year_group varchar(50),
    tutor_group varchar(50),
    attendance numeric,
    prior_attainment numeric,
    upn varchar(50),
    uci varchar(50),
    centre_number varchar(50),
    establishment_name varchar(255),
    establishment_id uuid REFERENCES public.establishments(id) ON DELETE SET NULL,
    academic_year text NOT NULL,
    knack_record_id varchar(50),
    university_offers jsonb,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now()
);
ALTER TABLE public.academic_profiles
    ADD COLUMN IF NOT EXISTS establishment_name varchar(255),
    ADD COLUMN IF NOT EXISTS establishment_id uuid REFERENCES public.establishments(id) ON DELETE SET NULL,
    ADD COLUMN IF NOT EXISTS knack_record_id varchar(50),
    ADD COLUMN IF NOT EXISTS updated_at timestamptz DEFAULT now();

CREATE TABLE IF NOT EXISTS public.student_subjects (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    profile_id uuid REFERENCES public.academic_profiles(id) ON DELETE CASCADE,
    student_email varchar(255) NOT NULL,
    subject_name varchar(255),
    exam_type varchar(50),
    exam_board varchar(50),
    current_grade varchar(20),
    target_grade varchar(20),
    minimum_expected_grade varchar(20),
    subject_target_grade varchar(20),
    effort_grade varchar(20),
    behaviour_grade varchar(20),
    subject_attendance numeric,
    original_record_id varchar(50),
    subject_position integer,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now()
);

CREATE TABLE IF NOT EXISTS public.sync_logs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    sync_type varchar(50) NOT NULL,
    status varchar(20) NOT NULL,
    records_processed integer,
    error_message text,
    started_at timestamptz NOT NULL,
    completed_at timestamptz,
    metadata jsonb
);

-- Stored e-mails are never rewritten (rule 1: kept as Knack gave them; the
-- sync compares them case-insensitively, see migration 00007).

-- The natural keys of docs/mapping.md, "Tables in schema public". Legacy
-- constraint names are kept.
SELECT pg_temp.ensure_unique('establishments', ARRAY['knack_id'], 'establishments_knack_id_key');
SELECT pg_temp.ensure_unique('staff_admins', ARRAY['knack_id'], 'staff_admins_knack_id_key');
SELECT pg_temp.ensure_unique('super_users', ARRAY['knack_id'], 'super_users_knack_id_key');
SELECT pg_temp.ensure_unique('students', ARRAY['email', 'academic_year'], 'students_email_academic_year_key');
SELECT pg_temp.ensure_unique('vespa_scores', ARRAY['student_id', 'cycle', 'academic_year'], 'vespa_scores_student_id_cycle_academic_year_key');
SELECT pg_temp.ensure_unique('question_responses', ARRAY['student_id', 'cycle', 'academic_year', 'question_id'], 'question_responses_student_cycle_year_question_key');
SELECT pg_temp.ensure_unique('student_comments', ARRAY['student_id', 'cycle', 'comment_type'], 'unique_student_comment');
SELECT pg_temp.ensure_unique('academic_profiles', ARRAY['student_email', 'academic_year'], 'academic_profiles_student_email_academic_year_key');
SELECT pg_temp.ensure_unique('student_subjects', ARRAY['profile_id', 'subject_position'], 'student_subjects_profile_id_subject_position_key');

-- Lookups the sync and the dashboard make. (vespa_scores and
-- question_responses are looked up by student_id through their unique keys,
-- which start with it: no extra index to maintain on 1.3M rows.)
CREATE INDEX IF NOT EXISTS idx_students_email ON public.students (email);
CREATE INDEX IF NOT EXISTS staff_admins_establishment_id_idx ON public.staff_admins (establishment_id);
CREATE INDEX IF NOT EXISTS academic_profiles_knack_record_id_idx ON public.academic_profiles (knack_record_id);

DROP FUNCTION pg_temp.ensure_unique(text, text[], text);

-- +goose Down
-- The public tables belong to the dashboard: never dropped by a rollback.
SELECT 1;
