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
), readers AS (
    -- Records that read a changed, new or deleted account (a profile) are
    -- projected again (rule 15): an indexed join on the refs, proportional
    -- to the accounts that changed.
    UPDATE knacksync.records r SET projected_hash = NULL
    FROM knacksync.record_refs f
    JOIN (SELECT record_id FROM w UNION ALL SELECT record_id FROM gone) c ON f.ref_id = c.record_id
    WHERE f.ref_object = @object AND r.object = f.object AND r.record_id = f.record_id
      AND r.projected_hash IS NOT NULL
)
SELECT 'accounts' AS tbl, (SELECT count(*) FROM w), 0, (SELECT count(*) FROM gone), 0, 0;
