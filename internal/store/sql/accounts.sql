-- object_3 → knacksync.accounts (id → email for academic profiles, rule 13).

-- name: stage
CREATE TEMP TABLE stg_accounts (
    record_id text NOT NULL,
    email text NOT NULL
) ON COMMIT DROP;

-- name: accounts
WITH w AS (
    INSERT INTO knacksync.accounts AS t (record_id, email)
    SELECT record_id, email FROM stg_accounts
    ON CONFLICT (record_id) DO UPDATE SET email = excluded.email
    WHERE t.email IS DISTINCT FROM excluded.email
    RETURNING t.record_id
), gone AS (
    DELETE FROM knacksync.accounts t USING stg_batch b WHERE b.deleted AND t.record_id = b.record_id
    RETURNING t.record_id
), profiles AS (
    -- Profiles that point at a changed account are projected again.
    UPDATE knacksync.records r SET projected_hash = NULL
    FROM (SELECT record_id FROM w UNION ALL SELECT record_id FROM gone) c
    WHERE r.object = @profiles_object AND r.projected_hash IS NOT NULL
      AND r.data -> (@profiles_account_field || '_raw') @> jsonb_build_array(jsonb_build_object('id', c.record_id))
)
SELECT 'accounts' AS tbl, (SELECT count(*) FROM w), 0, (SELECT count(*) FROM gone), 0, 0;
