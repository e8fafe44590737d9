-- object_21 → super_users, keyed by knack_id; a deleted record's row goes.

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
    RETURNING (xmax = 0) AS inserted
), gone AS (
    DELETE FROM public.super_users t USING stg_batch b WHERE b.deleted AND t.knack_id = b.record_id RETURNING 1
)
SELECT 'super_users' AS tbl, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
       (SELECT count(*) FROM gone), (SELECT count(*) FROM stg_super_users) - count(*), 0
FROM w;
