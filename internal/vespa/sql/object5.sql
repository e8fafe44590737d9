-- object_5 → staff_admins, keyed by knack_id; a deleted record's row goes.
-- E-mails arrive lower-cased (rule 1: the dashboard reads them so).

-- name: stage
CREATE TEMP TABLE stg_staff (
    knack_id text NOT NULL,
    email text NOT NULL,
    name text NOT NULL,
    establishment_knack_id text NOT NULL
) ON COMMIT DROP;

-- name: staff
WITH src AS (
    SELECT s.*, e.id AS establishment_id
    FROM stg_staff s LEFT JOIN public.establishments e ON e.knack_id = nullif(s.establishment_knack_id, '')
), w AS (
    INSERT INTO public.staff_admins AS t (knack_id, email, name, establishment_id)
    SELECT knack_id, nullif(email, ''), nullif(name, ''), establishment_id FROM src
    ON CONFLICT (knack_id) DO UPDATE SET
        email = excluded.email, name = excluded.name, establishment_id = excluded.establishment_id, updated_at = now()
    WHERE (t.email, t.name, t.establishment_id) IS DISTINCT FROM (excluded.email, excluded.name, excluded.establishment_id)
    RETURNING (xmax = 0) AS inserted, t.knack_id
), gone AS (
    DELETE FROM public.staff_admins t USING stg_batch b WHERE b.deleted AND t.knack_id = b.record_id RETURNING 1
)
SELECT 'staff_admins' AS tbl, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
       (SELECT count(*) FROM gone), (SELECT count(*) FROM src) - count(*), 0,
       count(*) FILTER (WHERE knack_id IN (SELECT record_id FROM stg_batch WHERE repair)), 0, 0
FROM w;
