-- object_21 → super_users, keyed by knack_id; a deleted record's row goes.
-- E-mails as Knack gives them (rule 1: the dashboard matches them exactly).

-- name: stage
CREATE TEMP TABLE stg_super_users (
    knack_id text NOT NULL,
    email text NOT NULL,
    name text NOT NULL
) ON COMMIT DROP;

-- name: super_users
WITH w AS (
    INSERT INTO public.super_users AS t (knack_id, email, name)
    SELECT knack_id, nullif(email, ''), nullif(name, '') FROM stg_super_users
    ON CONFLICT (knack_id) DO UPDATE SET email = excluded.email, name = excluded.name, updated_at = now()
    WHERE (t.email, t.name) IS DISTINCT FROM (excluded.email, excluded.name)
    RETURNING (xmax = 0) AS inserted, t.knack_id
), gone AS (
    DELETE FROM public.super_users t USING stg_batch b WHERE b.deleted AND t.knack_id = b.record_id RETURNING 1
)
SELECT 'super_users' AS tbl, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
       (SELECT count(*) FROM gone), (SELECT count(*) FROM stg_super_users) - count(*), 0,
       count(*) FILTER (WHERE knack_id IN (SELECT record_id FROM stg_batch WHERE repair)), 0, 0
FROM w;
