-- Rows that stay right (docs/mapping.md): case-insensitive identity,
-- duplicates ranked by time of day, history by the calendar, and the run
-- counts of the nightly repair.

-- +goose Up

-- Rule 1: e-mails are stored as Knack gives them and compared
-- case-insensitively; a person is found by (lower(email), academic_year).
-- The plain unique keys stay (the dashboard upserts on them).
CREATE INDEX IF NOT EXISTS students_lower_email_year_idx ON public.students (lower(email), academic_year);
CREATE INDEX IF NOT EXISTS academic_profiles_lower_email_year_idx ON public.academic_profiles (lower(student_email), academic_year);

-- Rule 5: duplicates are ranked by the completion timestamp (date and time
-- of day; a date alone is 00:00). The column keeps its name.
ALTER TABLE knacksync.claims ALTER COLUMN rank_date TYPE timestamp USING rank_date::timestamp;

-- +goose StatementBegin
-- Rule 11: rows of an academic year that ended before today are history.
-- A UK label Y/Y+1 ends on 31 July Y+1, a calendar label Y/Y on 31 December
-- Y. The Go twin is vespa.IsHistory.
CREATE FUNCTION knacksync.is_history(academic_year text, today date) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT CASE
        WHEN academic_year !~ '^\d{4}/\d{4}$' THEN false
        WHEN split_part(academic_year, '/', 1) = split_part(academic_year, '/', 2)
            THEN make_date(split_part(academic_year, '/', 1)::int, 12, 31) < today
        ELSE make_date(split_part(academic_year, '/', 2)::int, 7, 31) < today
    END
$fn$;
-- +goose StatementEnd

-- Rule 16 and rule 11 in the run report: rows a full sweep repaired,
-- current-year rows no Knack record produces, deleted records whose rows
-- were all history and stayed.
ALTER TABLE knacksync.run_tables
    ADD COLUMN repaired int NOT NULL DEFAULT 0,
    ADD COLUMN unowned int NOT NULL DEFAULT 0;
ALTER TABLE knacksync.run_objects
    ADD COLUMN history_kept int NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE knacksync.run_objects DROP COLUMN history_kept;
ALTER TABLE knacksync.run_tables DROP COLUMN unowned, DROP COLUMN repaired;
DROP FUNCTION knacksync.is_history(text, date);
ALTER TABLE knacksync.claims ALTER COLUMN rank_date TYPE date USING rank_date::date;
DROP INDEX IF EXISTS public.academic_profiles_lower_email_year_idx;
DROP INDEX IF EXISTS public.students_lower_email_year_idx;
