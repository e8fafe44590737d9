-- name: issues_write
-- The batch records' issues from the projection replace what they had,
-- keeping first_seen_at for issues that persist. Duplicate-key issues are
-- managed by claims.sql.
WITH gone AS (
    DELETE FROM knacksync.data_issues d
    USING stg_batch b
    WHERE d.object = @object AND d.record_id = b.record_id AND d.rule <> 'duplicate'
      AND NOT EXISTS (SELECT 1 FROM stg_issues i WHERE i.record_id = d.record_id AND i.rule = d.rule AND i.field = d.field)
), put AS (
    INSERT INTO knacksync.data_issues AS d (object, record_id, rule, field, value, detail, run_id)
    SELECT DISTINCT ON (record_id, rule, field) @object, record_id, rule, field, value, detail, @run_id
    FROM stg_issues
    ORDER BY record_id, rule, field
    ON CONFLICT (object, record_id, rule, field) DO UPDATE
        SET value = excluded.value, detail = excluded.detail, run_id = excluded.run_id, last_seen_at = now()
    RETURNING 1
)
SELECT 'data_issues' AS tbl, 0, 0, 0, 0, (SELECT count(*) FROM put) AS issues;
