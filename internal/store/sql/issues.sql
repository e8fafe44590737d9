-- name: issues_write
-- The batch records' issues from the projection replace what they had,
-- keeping first_seen_at for issues that persist. Duplicate-key issues are
-- managed by claims.sql. A repaired record (unchanged, rule 16) keeps its
-- history_locked issue (raised when it changed) and rewrites no issue that
-- is the same.
WITH gone AS (
    DELETE FROM knacksync.data_issues d
    USING stg_batch b
    WHERE d.object = @object AND d.record_id = b.record_id AND d.rule <> 'duplicate'
      AND NOT (b.repair AND d.rule = 'history_locked')
      AND NOT EXISTS (SELECT 1 FROM stg_issues i WHERE i.record_id = d.record_id AND i.rule = d.rule AND i.field = d.field)
), put AS (
    INSERT INTO knacksync.data_issues AS d (object, record_id, rule, field, value, detail, run_id)
    SELECT DISTINCT ON (i.record_id, i.rule, i.field) @object, i.record_id, i.rule, i.field, i.value, i.detail, @run_id
    FROM stg_issues i
    WHERE NOT EXISTS (SELECT 1 FROM stg_batch b JOIN knacksync.data_issues x ON x.object = @object AND x.record_id = b.record_id
                      WHERE b.record_id = i.record_id AND b.repair AND x.rule = i.rule AND x.field = i.field
                        AND x.value = i.value AND x.detail = i.detail)
    ORDER BY i.record_id, i.rule, i.field
    ON CONFLICT (object, record_id, rule, field) DO UPDATE
        SET value = excluded.value, detail = excluded.detail, run_id = excluded.run_id, last_seen_at = now()
    RETURNING 1
)
SELECT 'data_issues' AS tbl, 0, 0, 0, 0, (SELECT count(*) FROM put) AS issues;
