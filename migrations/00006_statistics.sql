-- The dashboard's derived statistics (docs/statistics.md): the four tables
-- internal/stats computes, the views and the materialized view the dashboard
-- reads, the trusts table, and the service's own bookkeeping for them.
--
-- Like 00001 it applies to an empty database and to one that already holds
-- the dashboard's tables: it creates what is missing and adds missing columns
-- and keys. Existing derived rows are adopted as docs/statistics.md
-- ("Adopting an existing database") says: rows whose academic_year is not
-- YYYY/YYYY (and, in the national tables, an Australian A/A label, school
-- 'ERI' rows) are deleted; every other row is listed in
-- knacksync.stats_history and kept until a recompute finds base data for its
-- key (then it is recomputed) or an operator purges it.

-- +goose Up

CREATE TABLE IF NOT EXISTS public.trusts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    knack_id varchar(50) UNIQUE,
    name varchar(255) NOT NULL,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now()
);
ALTER TABLE public.establishments
    ADD COLUMN IF NOT EXISTS trust_id uuid REFERENCES public.trusts(id) ON DELETE SET NULL;

CREATE TABLE IF NOT EXISTS public.school_statistics (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    establishment_id uuid REFERENCES public.establishments(id) ON DELETE CASCADE,
    cycle integer NOT NULL CHECK (cycle IN (1, 2, 3)),
    academic_year varchar(10),
    element varchar(20) NOT NULL,
    mean numeric(4,2),
    std_dev numeric(4,2),
    count integer,
    percentile_25 numeric(4,2),
    percentile_50 numeric(4,2),
    percentile_75 numeric(4,2),
    distribution jsonb,
    calculated_at timestamptz DEFAULT now(),
    average numeric,
    CONSTRAINT school_statistics_element_check
        CHECK (element IN ('vision', 'effort', 'systems', 'practice', 'attitude', 'overall', 'ERI'))
);
ALTER TABLE public.school_statistics
    ADD COLUMN IF NOT EXISTS percentile_25 numeric(4,2),
    ADD COLUMN IF NOT EXISTS percentile_50 numeric(4,2),
    ADD COLUMN IF NOT EXISTS percentile_75 numeric(4,2),
    ADD COLUMN IF NOT EXISTS distribution jsonb,
    ADD COLUMN IF NOT EXISTS calculated_at timestamptz DEFAULT now(),
    ADD COLUMN IF NOT EXISTS average numeric;

CREATE TABLE IF NOT EXISTS public.national_statistics (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cycle integer NOT NULL CHECK (cycle IN (1, 2, 3)),
    academic_year varchar(10),
    element varchar(20) NOT NULL,
    mean numeric(4,2),
    std_dev numeric(4,2),
    count integer,
    percentile_25 numeric(4,2),
    percentile_50 numeric(4,2),
    percentile_75 numeric(4,2),
    distribution jsonb,
    calculated_at timestamptz DEFAULT now()
);
ALTER TABLE public.national_statistics
    ADD COLUMN IF NOT EXISTS percentile_25 numeric(4,2),
    ADD COLUMN IF NOT EXISTS percentile_50 numeric(4,2),
    ADD COLUMN IF NOT EXISTS percentile_75 numeric(4,2),
    ADD COLUMN IF NOT EXISTS distribution jsonb,
    ADD COLUMN IF NOT EXISTS calculated_at timestamptz DEFAULT now(),
    ADD COLUMN IF NOT EXISTS eri_score numeric,
    ADD COLUMN IF NOT EXISTS min_value numeric(6,2),
    ADD COLUMN IF NOT EXISTS max_value numeric(6,2),
    ADD COLUMN IF NOT EXISTS confidence_interval_lower numeric(6,2),
    ADD COLUMN IF NOT EXISTS confidence_interval_upper numeric(6,2),
    ADD COLUMN IF NOT EXISTS skewness numeric(6,3),
    ADD COLUMN IF NOT EXISTS additional_stats jsonb;
-- 'ERI' rows live in national_statistics: the element check must allow them.
ALTER TABLE public.national_statistics DROP CONSTRAINT IF EXISTS national_statistics_element_check;
ALTER TABLE public.national_statistics ADD CONSTRAINT national_statistics_element_check
    CHECK (element IN ('vision', 'effort', 'systems', 'practice', 'attitude', 'overall', 'ERI'));

CREATE TABLE IF NOT EXISTS public.question_statistics (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    establishment_id uuid REFERENCES public.establishments(id) ON DELETE CASCADE,
    cycle integer NOT NULL CHECK (cycle IN (1, 2, 3)),
    academic_year varchar(10),
    question_id varchar(50) NOT NULL,
    mean numeric(4,2),
    std_dev numeric(4,2),
    count integer,
    distribution jsonb,
    calculated_at timestamptz DEFAULT now(),
    mode integer,
    percentile_25 numeric(4,2),
    percentile_75 numeric(4,2)
);
ALTER TABLE public.question_statistics
    ADD COLUMN IF NOT EXISTS mean numeric(4,2),
    ADD COLUMN IF NOT EXISTS count integer,
    ADD COLUMN IF NOT EXISTS distribution jsonb,
    ADD COLUMN IF NOT EXISTS calculated_at timestamptz DEFAULT now(),
    ADD COLUMN IF NOT EXISTS mode integer,
    ADD COLUMN IF NOT EXISTS percentile_25 numeric(4,2),
    ADD COLUMN IF NOT EXISTS percentile_75 numeric(4,2);

CREATE TABLE IF NOT EXISTS public.national_question_statistics (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    question_id varchar(50) NOT NULL,
    cycle integer NOT NULL CHECK (cycle IN (1, 2, 3)),
    academic_year varchar(10),
    mean numeric(4,2),
    std_dev numeric(4,2),
    count integer,
    mode integer,
    percentile_25 numeric(4,2),
    percentile_75 numeric(4,2),
    distribution jsonb,
    calculated_at timestamptz DEFAULT now()
);
ALTER TABLE public.national_question_statistics
    ADD COLUMN IF NOT EXISTS mode integer,
    ADD COLUMN IF NOT EXISTS percentile_25 numeric(4,2),
    ADD COLUMN IF NOT EXISTS percentile_75 numeric(4,2),
    ADD COLUMN IF NOT EXISTS distribution jsonb,
    ADD COLUMN IF NOT EXISTS calculated_at timestamptz DEFAULT now();

-- Adoption (docs/statistics.md): rows the dashboard can never look up, or
-- that break its keys, go first.
DELETE FROM public.school_statistics
WHERE academic_year IS NULL OR academic_year !~ '^\d{4}/\d{4}$' OR element = 'ERI';
DELETE FROM public.question_statistics
WHERE academic_year IS NULL OR academic_year !~ '^\d{4}/\d{4}$';
DELETE FROM public.national_statistics
WHERE academic_year IS NULL OR academic_year !~ '^\d{4}/\d{4}$'
   OR split_part(academic_year, '/', 1) = split_part(academic_year, '/', 2);
DELETE FROM public.national_question_statistics
WHERE academic_year IS NULL OR academic_year !~ '^\d{4}/\d{4}$'
   OR split_part(academic_year, '/', 1) = split_part(academic_year, '/', 2);

-- +goose StatementBegin
-- The unique keys the upserts rely on, unless an equivalent unique index is
-- already there. Existing rows sharing a key stop the migration, naming the
-- table, with nothing changed.
DO $do$
DECLARE
    k record;
    dups bigint;
BEGIN
    FOR k IN SELECT * FROM (VALUES
        ('school_statistics', ARRAY['establishment_id', 'cycle', 'academic_year', 'element'], 'school_statistics_establishment_id_cycle_academic_year_elem_key'),
        ('national_statistics', ARRAY['cycle', 'academic_year', 'element'], 'national_statistics_cycle_academic_year_element_key'),
        ('question_statistics', ARRAY['establishment_id', 'cycle', 'academic_year', 'question_id'], 'question_statistics_establishment_id_cycle_academic_year_qu_key'),
        ('national_question_statistics', ARRAY['question_id', 'cycle', 'academic_year'], 'national_question_statistics_question_id_cycle_academic_yea_key')
    ) AS v(tbl, cols, name) LOOP
        CONTINUE WHEN EXISTS (
            SELECT 1 FROM pg_index i
            WHERE i.indrelid = format('public.%I', k.tbl)::regclass AND i.indisunique
              AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a
                   WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey))
                  = (SELECT array_agg(c ORDER BY c) FROM unnest(k.cols) AS c));
        EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM public.%I GROUP BY %s HAVING count(*) > 1) g',
            k.tbl, array_to_string(k.cols, ', ')) INTO dups;
        IF dups > 0 THEN
            RAISE EXCEPTION 'cannot add unique key on %(%): % groups of existing rows share a key; resolve them and run migrate again (nothing was changed)',
                k.tbl, array_to_string(k.cols, ', '), dups;
        END IF;
        EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I UNIQUE (%s)', k.tbl, k.name, array_to_string(k.cols, ', '));
    END LOOP;
END
$do$;
-- +goose StatementEnd

CREATE INDEX IF NOT EXISTS idx_school_stats_lookup ON public.school_statistics (establishment_id, cycle, academic_year);
CREATE INDEX IF NOT EXISTS idx_question_stats_lookup ON public.question_statistics (establishment_id, cycle, question_id);

-- The reference table /api/questions reads (loaded by hand, never synced);
-- the view vespa_questions needs it.
CREATE TABLE IF NOT EXISTS public.questions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    question_id varchar(50) UNIQUE NOT NULL,
    question_text text NOT NULL,
    vespa_category varchar(20) NOT NULL,
    question_order integer,
    current_cycle_field_id varchar(20),
    historical_cycle_field_base varchar(20),
    field_id_cycle_1 varchar(20),
    field_id_cycle_2 varchar(20),
    field_id_cycle_3 varchar(20),
    is_active boolean DEFAULT true,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now()
);

-- +goose StatementBegin
-- The dashboard's views, each created only when missing: an existing
-- database keeps its own definitions.
DO $do$
BEGIN
    IF to_regclass('public.current_school_averages') IS NULL THEN
        CREATE VIEW public.current_school_averages AS
        SELECT e.id AS establishment_id, e.name AS establishment_name, ss.cycle, ss.element,
               ss.mean, ss.std_dev, ss.count, ss.academic_year
        FROM public.school_statistics ss
        JOIN public.establishments e ON e.id = ss.establishment_id
        WHERE ss.academic_year = (SELECT max(l.academic_year) FROM public.school_statistics l
                                  WHERE l.establishment_id = ss.establishment_id);
    END IF;
    IF to_regclass('public.qla_question_performance') IS NULL THEN
        CREATE VIEW public.qla_question_performance AS
        WITH ranked AS (
            SELECT qs.*,
                   rank() OVER (PARTITION BY qs.establishment_id, qs.cycle, qs.academic_year ORDER BY qs.mean DESC) AS rank_high_to_low,
                   rank() OVER (PARTITION BY qs.establishment_id, qs.cycle, qs.academic_year ORDER BY qs.mean ASC) AS rank_low_to_high,
                   n.mean AS national_mean, n.std_dev AS national_std_dev, n.count AS national_count,
                   qs.mean - n.mean AS diff_from_national
            FROM public.question_statistics qs
            LEFT JOIN public.national_question_statistics n
              ON n.question_id = qs.question_id AND n.cycle = qs.cycle AND n.academic_year = qs.academic_year
            WHERE qs.mean IS NOT NULL
        )
        SELECT ranked.*,
               CASE WHEN rank_high_to_low <= 5 THEN 'TOP_5'
                    WHEN rank_low_to_high <= 5 THEN 'BOTTOM_5'
                    ELSE 'MIDDLE' END AS performance_category,
               CASE WHEN diff_from_national > 0.5 THEN 'WELL_ABOVE_NATIONAL'
                    WHEN diff_from_national > 0.2 THEN 'ABOVE_NATIONAL'
                    WHEN diff_from_national < -0.5 THEN 'WELL_BELOW_NATIONAL'
                    WHEN diff_from_national < -0.2 THEN 'BELOW_NATIONAL'
                    ELSE 'AT_NATIONAL' END AS national_comparison
        FROM ranked;
    END IF;
    IF to_regclass('public.question_rankings') IS NULL THEN
        CREATE VIEW public.question_rankings AS
        WITH ranked AS (
            SELECT qs.*,
                   row_number() OVER (PARTITION BY qs.establishment_id, qs.cycle, qs.academic_year ORDER BY qs.mean DESC) AS rank_desc,
                   row_number() OVER (PARTITION BY qs.establishment_id, qs.cycle, qs.academic_year ORDER BY qs.mean ASC) AS rank_asc,
                   count(*) OVER (PARTITION BY qs.establishment_id, qs.cycle, qs.academic_year) AS total_questions
            FROM public.question_statistics qs
            WHERE qs.mean IS NOT NULL
        )
        SELECT ranked.*,
               CASE WHEN rank_desc <= 5 THEN 'TOP_5' WHEN rank_asc <= 5 THEN 'BOTTOM_5' ELSE 'MIDDLE' END AS performance_category
        FROM ranked;
    END IF;
    IF to_regclass('public.national_eri_by_cycle') IS NULL THEN
        CREATE VIEW public.national_eri_by_cycle AS
        SELECT cycle, academic_year, eri_score AS national_eri, count AS student_count, calculated_at
        FROM public.national_statistics
        WHERE element = 'ERI'
        ORDER BY cycle, academic_year DESC;
    END IF;
    IF to_regclass('public.student_vespa_progress') IS NULL THEN
        CREATE VIEW public.student_vespa_progress AS
        SELECT s.id AS student_id, s.name AS student_name, s.email, s.establishment_id,
               e.name AS establishment_name, s.year_group, s.course, s.faculty,
               c1.vision AS cycle1_vision, c1.effort AS cycle1_effort, c1.systems AS cycle1_systems,
               c1.practice AS cycle1_practice, c1.attitude AS cycle1_attitude, c1.overall AS cycle1_overall,
               c1.completion_date AS cycle1_date,
               c2.vision AS cycle2_vision, c2.effort AS cycle2_effort, c2.systems AS cycle2_systems,
               c2.practice AS cycle2_practice, c2.attitude AS cycle2_attitude, c2.overall AS cycle2_overall,
               c2.completion_date AS cycle2_date,
               c3.vision AS cycle3_vision, c3.effort AS cycle3_effort, c3.systems AS cycle3_systems,
               c3.practice AS cycle3_practice, c3.attitude AS cycle3_attitude, c3.overall AS cycle3_overall,
               c3.completion_date AS cycle3_date
        FROM public.students s
        LEFT JOIN public.establishments e ON e.id = s.establishment_id
        LEFT JOIN public.vespa_scores c1 ON c1.student_id = s.id AND c1.cycle = 1
        LEFT JOIN public.vespa_scores c2 ON c2.student_id = s.id AND c2.cycle = 2
        LEFT JOIN public.vespa_scores c3 ON c3.student_id = s.id AND c3.cycle = 3;
    END IF;
    IF to_regclass('public.student_comments_aggregated') IS NULL THEN
        CREATE VIEW public.student_comments_aggregated AS
        SELECT s.establishment_id, s.year_group, s.course, s.faculty, s."group",
               c.cycle, c.comment_type, c.comment_text, v.academic_year
        FROM public.student_comments c
        JOIN public.students s ON s.id = c.student_id
        LEFT JOIN public.vespa_scores v ON v.student_id = c.student_id AND v.cycle = c.cycle
        WHERE c.comment_text IS NOT NULL AND length(btrim(c.comment_text)) > 0;
    END IF;
    IF to_regclass('public.student_counts_by_year') IS NULL THEN
        CREATE VIEW public.student_counts_by_year AS
        SELECT e.name AS establishment_name, s.establishment_id, s.academic_year,
               count(DISTINCT s.id) AS total_students,
               count(DISTINCT s.id) FILTER (WHERE EXISTS (
                   SELECT 1 FROM public.vespa_scores v
                   WHERE v.student_id = s.id AND v.academic_year = s.academic_year)) AS students_with_vespa
        FROM public.students s
        JOIN public.establishments e ON e.id = s.establishment_id
        GROUP BY e.name, s.establishment_id, s.academic_year
        ORDER BY e.name, s.academic_year DESC;
    END IF;
    IF to_regclass('public.vespa_questions') IS NULL THEN
        CREATE VIEW public.vespa_questions AS
        SELECT * FROM public.questions
        WHERE vespa_category <> 'NA_OUTCOME' AND is_active
        ORDER BY question_order;
    END IF;
    IF to_regclass('public.comparative_metrics') IS NULL THEN
        CREATE MATERIALIZED VIEW public.comparative_metrics AS
        SELECT e.id AS establishment_id, e.name AS establishment_name,
               s.id AS student_id, s.year_group, s.faculty, s."group",
               v.cycle, v.academic_year, v.vision, v.effort, v.systems, v.practice, v.attitude, v.overall,
               v.completion_date,
               CASE WHEN v.overall >= 75 THEN 'High' WHEN v.overall >= 50 THEN 'Medium' ELSE 'Low' END AS performance_band,
               lag(v.overall) OVER w AS previous_overall,
               lag(v.vision) OVER w AS previous_vision,
               lag(v.effort) OVER w AS previous_effort,
               lag(v.systems) OVER w AS previous_systems,
               lag(v.practice) OVER w AS previous_practice,
               lag(v.attitude) OVER w AS previous_attitude
        FROM public.vespa_scores v
        JOIN public.students s ON s.id = v.student_id
        JOIN public.establishments e ON e.id = s.establishment_id
        WINDOW w AS (PARTITION BY s.id ORDER BY v.cycle);
        CREATE INDEX idx_comparative_establishment ON public.comparative_metrics (establishment_id);
        CREATE INDEX idx_comparative_year_group ON public.comparative_metrics (year_group);
        CREATE INDEX idx_comparative_faculty ON public.comparative_metrics (faculty);
        CREATE INDEX idx_comparative_group ON public.comparative_metrics ("group");
        CREATE INDEX idx_comparative_cycle ON public.comparative_metrics (cycle);
        CREATE INDEX idx_comparative_academic_year ON public.comparative_metrics (academic_year);
    END IF;
END
$do$;
-- +goose StatementEnd

-- The benchmark year of docs/statistics.md: an Australian calendar year
-- A/A is compared with A/A+1; any other label is itself.
CREATE FUNCTION knacksync.nat_year(y text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN
    CASE WHEN split_part(y, '/', 1) = split_part(y, '/', 2) AND y ~ '^\d{4}/\d{4}$'
         THEN split_part(y, '/', 1) || '/' || (split_part(y, '/', 1)::int + 1)::text
         ELSE y END;

-- Derived rows kept as history on adoption (see above), by table and id.
CREATE TABLE knacksync.stats_history (
    tbl text NOT NULL,
    id uuid NOT NULL,
    PRIMARY KEY (tbl, id)
);
INSERT INTO knacksync.stats_history SELECT 'school_statistics', id FROM public.school_statistics;
INSERT INTO knacksync.stats_history SELECT 'national_statistics', id FROM public.national_statistics;
INSERT INTO knacksync.stats_history SELECT 'question_statistics', id FROM public.question_statistics;
INSERT INTO knacksync.stats_history SELECT 'national_question_statistics', id FROM public.national_question_statistics;

-- Dirty keys: the school-level keys whose base rows the sync wrote or
-- deleted (kind 'vespa' or 'question'; question_id '' for vespa), whether the
-- school rows and/or the national rows they feed need recomputing, and
-- kind 'matview' when only comparative_metrics is stale. Written by the
-- triggers below, append-only (no unique key, so parallel merges never wait
-- on each other); a recompute takes the rows it sees with DELETE ... RETURNING.
CREATE TABLE knacksync.stats_dirty (
    kind text NOT NULL,
    establishment_id uuid,
    academic_year text,
    cycle int,
    question_id text NOT NULL DEFAULT '',
    school boolean NOT NULL DEFAULT true,
    national boolean NOT NULL DEFAULT true
);

-- Histograms of the base values per school key (internal/stats,
-- sql/histograms.sql): the national rows sum them over schools.
CREATE TABLE knacksync.stats_vespa_hist (
    establishment_id uuid NOT NULL,
    academic_year text NOT NULL,
    cycle int NOT NULL,
    key text NOT NULL,
    v int NOT NULL,
    national boolean NOT NULL,
    c bigint NOT NULL
);
CREATE INDEX stats_vespa_hist_school_idx ON knacksync.stats_vespa_hist (establishment_id, academic_year, cycle);
CREATE INDEX stats_vespa_hist_year_idx ON knacksync.stats_vespa_hist (cycle, academic_year);
CREATE TABLE knacksync.stats_answer_hist (LIKE knacksync.stats_vespa_hist);
CREATE INDEX stats_answer_hist_school_idx ON knacksync.stats_answer_hist (establishment_id, academic_year, cycle, key);
CREATE INDEX stats_answer_hist_year_idx ON knacksync.stats_answer_hist (key, cycle, academic_year);

-- What each run's recomputes did: rows written per derived table, time
-- spent, students the national exclusions left out.
CREATE TABLE knacksync.run_statistics (
    run_id bigint PRIMARY KEY,
    recomputes int NOT NULL DEFAULT 0,
    full_recompute boolean NOT NULL DEFAULT false,
    dirty_keys bigint NOT NULL DEFAULT 0,
    school_rows bigint NOT NULL DEFAULT 0,
    national_rows bigint NOT NULL DEFAULT 0,
    question_rows bigint NOT NULL DEFAULT 0,
    national_question_rows bigint NOT NULL DEFAULT 0,
    duration_ms bigint NOT NULL DEFAULT 0,
    refresh_ms bigint,
    excluded_cancelled int,
    excluded_domain int,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
-- The marking triggers act only in transactions that set
-- knacksync.mark_dirty = 'on' (the sync's merges): the dashboard's own writes
-- never touch this schema; the full recompute after every sweep catches them.
CREATE FUNCTION knacksync.stats_mark_vespa() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF current_setting('knacksync.mark_dirty', true) IS DISTINCT FROM 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO knacksync.stats_dirty (kind, establishment_id, academic_year, cycle)
        SELECT DISTINCT 'vespa', s.establishment_id, n.academic_year, n.cycle
        FROM new_rows n JOIN public.students s ON s.id = n.student_id
        WHERE s.establishment_id IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO knacksync.stats_dirty (kind, establishment_id, academic_year, cycle)
        SELECT DISTINCT 'vespa', s.establishment_id, o.academic_year, o.cycle
        FROM old_rows o JOIN public.students s ON s.id = o.student_id
        WHERE s.establishment_id IS NOT NULL;
    ELSE
        INSERT INTO knacksync.stats_dirty (kind, establishment_id, academic_year, cycle)
        SELECT DISTINCT 'vespa', s.establishment_id, k.academic_year, k.cycle
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES (o.student_id, o.academic_year, o.cycle), (n.student_id, n.academic_year, n.cycle))
            AS k(student_id, academic_year, cycle)
        JOIN public.students s ON s.id = k.student_id
        WHERE s.establishment_id IS NOT NULL
          AND (o.student_id, o.cycle, o.academic_year, o.vision, o.effort, o.systems, o.practice, o.attitude, o.overall)
              IS DISTINCT FROM (n.student_id, n.cycle, n.academic_year, n.vision, n.effort, n.systems, n.practice, n.attitude, n.overall);
        IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
                   WHERE o.completion_date IS DISTINCT FROM n.completion_date) THEN
            INSERT INTO knacksync.stats_dirty (kind, school, national) VALUES ('matview', false, false);
        END IF;
    END IF;
    RETURN NULL;
END
$fn$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION knacksync.stats_mark_questions() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF current_setting('knacksync.mark_dirty', true) IS DISTINCT FROM 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO knacksync.stats_dirty (kind, establishment_id, academic_year, cycle, question_id)
        SELECT DISTINCT 'question', s.establishment_id, n.academic_year, n.cycle, n.question_id
        FROM new_rows n JOIN public.students s ON s.id = n.student_id
        WHERE s.establishment_id IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO knacksync.stats_dirty (kind, establishment_id, academic_year, cycle, question_id)
        SELECT DISTINCT 'question', s.establishment_id, o.academic_year, o.cycle, o.question_id
        FROM old_rows o JOIN public.students s ON s.id = o.student_id
        WHERE s.establishment_id IS NOT NULL;
    ELSE
        INSERT INTO knacksync.stats_dirty (kind, establishment_id, academic_year, cycle, question_id)
        SELECT DISTINCT 'question', s.establishment_id, k.academic_year, k.cycle, k.question_id
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES (o.student_id, o.academic_year, o.cycle, o.question_id),
                                   (n.student_id, n.academic_year, n.cycle, n.question_id))
            AS k(student_id, academic_year, cycle, question_id)
        JOIN public.students s ON s.id = k.student_id
        WHERE s.establishment_id IS NOT NULL
          AND (o.student_id, o.cycle, o.academic_year, o.question_id, o.response_value)
              IS DISTINCT FROM (n.student_id, n.cycle, n.academic_year, n.question_id, n.response_value);
    END IF;
    RETURN NULL;
END
$fn$;
-- +goose StatementEnd

-- +goose StatementBegin
-- A student's base rows all feed keys of its establishment; a move or a
-- change of e-mail domain (national exclusion) marks them for the old and
-- the new side. national is set when the student may enter or leave the
-- national population: an establishment appears or disappears, or the
-- e-mail domain or the establishment's cancelled status differs.
CREATE FUNCTION knacksync.stats_mark_students() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF current_setting('knacksync.mark_dirty', true) IS DISTINCT FROM 'on' THEN
        RETURN NULL;
    END IF;
    WITH moved AS (
        SELECT o.id, o.establishment_id AS old_est, n.establishment_id AS new_est,
               (o.establishment_id IS NULL) <> (n.establishment_id IS NULL)
               OR lower(split_part(o.email, '@', -1)) IS DISTINCT FROM lower(split_part(n.email, '@', -1))
               OR coalesce(lower(eo.status) = 'cancelled', false) <> coalesce(lower(en.status) = 'cancelled', false)
                   AS national
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        LEFT JOIN public.establishments eo ON eo.id = o.establishment_id
        LEFT JOIN public.establishments en ON en.id = n.establishment_id
        WHERE o.establishment_id IS DISTINCT FROM n.establishment_id
           OR lower(o.email) IS DISTINCT FROM lower(n.email)
    ), sides AS (
        SELECT id, old_est AS est, national FROM moved WHERE old_est IS NOT NULL
        UNION
        SELECT id, new_est, national FROM moved WHERE new_est IS NOT NULL
    )
    INSERT INTO knacksync.stats_dirty (kind, establishment_id, academic_year, cycle, question_id, national)
    SELECT DISTINCT 'vespa', sd.est, v.academic_year, v.cycle, '', sd.national
    FROM sides sd JOIN public.vespa_scores v ON v.student_id = sd.id
    UNION
    SELECT DISTINCT 'question', sd.est, q.academic_year, q.cycle, q.question_id, sd.national
    FROM sides sd JOIN public.question_responses q ON q.student_id = sd.id;

    IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
               WHERE (o.year_group, o.faculty, o."group", o.establishment_id)
                     IS DISTINCT FROM (n.year_group, n.faculty, n."group", n.establishment_id)
                 AND EXISTS (SELECT 1 FROM public.vespa_scores v WHERE v.student_id = n.id)) THEN
        INSERT INTO knacksync.stats_dirty (kind, school, national) VALUES ('matview', false, false);
    END IF;
    RETURN NULL;
END
$fn$;
-- +goose StatementEnd

-- +goose StatementBegin
-- Before a student row goes (and its base rows with it, by cascade), the
-- keys it fed are marked: afterwards nothing links them to a school.
CREATE FUNCTION knacksync.stats_mark_student_delete() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF current_setting('knacksync.mark_dirty', true) IS DISTINCT FROM 'on' OR OLD.establishment_id IS NULL THEN
        RETURN OLD;
    END IF;
    INSERT INTO knacksync.stats_dirty (kind, establishment_id, academic_year, cycle, question_id)
    SELECT DISTINCT 'vespa', OLD.establishment_id, v.academic_year, v.cycle, ''
    FROM public.vespa_scores v WHERE v.student_id = OLD.id
    UNION
    SELECT DISTINCT 'question', OLD.establishment_id, q.academic_year, q.cycle, q.question_id
    FROM public.question_responses q WHERE q.student_id = OLD.id;
    RETURN OLD;
END
$fn$;
-- +goose StatementEnd

-- +goose StatementBegin
-- An establishment that becomes cancelled (or stops being) leaves (or
-- enters) the national population: the national keys its students feed.
-- A renamed one only changes comparative_metrics.
CREATE FUNCTION knacksync.stats_mark_establishments() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF current_setting('knacksync.mark_dirty', true) IS DISTINCT FROM 'on' THEN
        RETURN NULL;
    END IF;
    WITH flipped AS (
        SELECT n.id FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE coalesce(lower(o.status) = 'cancelled', false) <> coalesce(lower(n.status) = 'cancelled', false)
    )
    INSERT INTO knacksync.stats_dirty (kind, establishment_id, academic_year, cycle, question_id, school)
    SELECT DISTINCT 'vespa', f.id, v.academic_year, v.cycle, '', false
    FROM flipped f JOIN public.students s ON s.establishment_id = f.id JOIN public.vespa_scores v ON v.student_id = s.id
    UNION
    SELECT DISTINCT 'question', f.id, q.academic_year, q.cycle, q.question_id, false
    FROM flipped f JOIN public.students s ON s.establishment_id = f.id JOIN public.question_responses q ON q.student_id = s.id;
    IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.name IS DISTINCT FROM n.name) THEN
        INSERT INTO knacksync.stats_dirty (kind, school, national) VALUES ('matview', false, false);
    END IF;
    RETURN NULL;
END
$fn$;
-- +goose StatementEnd

-- Transition tables allow one event per trigger.
CREATE TRIGGER knacksync_stats_insert AFTER INSERT ON public.vespa_scores
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION knacksync.stats_mark_vespa();
CREATE TRIGGER knacksync_stats_update AFTER UPDATE ON public.vespa_scores
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION knacksync.stats_mark_vespa();
CREATE TRIGGER knacksync_stats_delete AFTER DELETE ON public.vespa_scores
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION knacksync.stats_mark_vespa();

CREATE TRIGGER knacksync_stats_insert AFTER INSERT ON public.question_responses
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION knacksync.stats_mark_questions();
CREATE TRIGGER knacksync_stats_update AFTER UPDATE ON public.question_responses
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION knacksync.stats_mark_questions();
CREATE TRIGGER knacksync_stats_delete AFTER DELETE ON public.question_responses
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION knacksync.stats_mark_questions();

CREATE TRIGGER knacksync_stats_update AFTER UPDATE ON public.students
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION knacksync.stats_mark_students();
CREATE TRIGGER knacksync_stats_delete BEFORE DELETE ON public.students
    FOR EACH ROW EXECUTE FUNCTION knacksync.stats_mark_student_delete();

CREATE TRIGGER knacksync_stats_update AFTER UPDATE ON public.establishments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION knacksync.stats_mark_establishments();

-- +goose Down
DROP TRIGGER knacksync_stats_insert ON public.vespa_scores;
DROP TRIGGER knacksync_stats_update ON public.vespa_scores;
DROP TRIGGER knacksync_stats_delete ON public.vespa_scores;
DROP TRIGGER knacksync_stats_insert ON public.question_responses;
DROP TRIGGER knacksync_stats_update ON public.question_responses;
DROP TRIGGER knacksync_stats_delete ON public.question_responses;
DROP TRIGGER knacksync_stats_update ON public.students;
DROP TRIGGER knacksync_stats_delete ON public.students;
DROP TRIGGER knacksync_stats_update ON public.establishments;
DROP FUNCTION knacksync.stats_mark_vespa();
DROP FUNCTION knacksync.stats_mark_questions();
DROP FUNCTION knacksync.stats_mark_students();
DROP FUNCTION knacksync.stats_mark_student_delete();
DROP FUNCTION knacksync.stats_mark_establishments();
DROP TABLE knacksync.run_statistics;
DROP TABLE knacksync.stats_vespa_hist;
DROP TABLE knacksync.stats_answer_hist;
DROP TABLE knacksync.stats_dirty;
DROP TABLE knacksync.stats_history;
DROP FUNCTION knacksync.nat_year(text);
-- The public tables and views belong to the dashboard: never dropped.
