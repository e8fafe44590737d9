-- Claims: which record owns the rows of a natural key (see migration 00003
-- and docs/mapping.md). Run after stg_claims is filled, before the object's
-- writes. Claim keys start with the academic year: "YYYY/YYYY|..."; e-mails
-- in them are lower-cased (rule 1: casing variants are one identity).
-- Unchanged claims are not written, so that a full sweep re-projecting
-- unchanged records (rule 16) writes nothing here.

-- name: claims_lock
-- Serialise batches that touch the same keys: create the key rows, then lock
-- them in key order (the same order in every batch, so no deadlock). Every
-- later statement sees what a batch that held a key committed.
-- Temporary tables get statistics only from an ANALYZE (autovacuum never
-- sees them), and the tables below get indexes on the columns later
-- statements join on: without them the planner guesses sizes and, when a
-- guess is one row, probes a whole temporary table per row of another (n²
-- per page; seen on a first sweep, whose claims grow faster than their
-- statistics).
ANALYZE stg_claims;
CREATE TEMP TABLE batch_keys ON COMMIT DROP AS
SELECT claim FROM stg_claims
UNION
SELECT c.claim FROM knacksync.claims c JOIN stg_batch b ON b.record_id = c.record_id AND b.replace
WHERE c.object = @object;
CREATE UNIQUE INDEX ON batch_keys (claim);
ANALYZE batch_keys;
INSERT INTO knacksync.claim_keys (object, claim)
SELECT @object, claim FROM batch_keys ORDER BY claim
ON CONFLICT DO NOTHING;
SELECT count(*) FROM (
    SELECT 1 FROM batch_keys b
    JOIN knacksync.claim_keys k ON k.object = @object AND k.claim = b.claim
    ORDER BY k.claim
    FOR UPDATE OF k
) locked;

-- name: claims_old
CREATE TEMP TABLE old_claims ON COMMIT DROP AS
SELECT c.record_id, c.claim, c.held, c.rank_date
FROM knacksync.claims c
JOIN stg_batch b ON b.record_id = c.record_id AND b.replace
WHERE c.object = @object;
CREATE INDEX ON old_claims (claim);
CREATE INDEX ON old_claims (record_id);
ANALYZE old_claims;

-- name: claims_release
-- The claims a batch record no longer makes.
DELETE FROM knacksync.claims c
USING stg_batch b
WHERE c.object = @object AND c.record_id = b.record_id AND b.replace
  AND NOT EXISTS (SELECT 1 FROM stg_claims s WHERE s.record_id = c.record_id AND s.claim = c.claim);

-- name: claims_insert
-- New claims, and kept ones whose rank moved (a kept claim keeps held).
INSERT INTO knacksync.claims AS c (object, record_id, claim, rank_date, last_cycle, held)
SELECT DISTINCT ON (s.record_id, s.claim) @object, s.record_id, s.claim, s.rank_date, s.last_cycle, false
FROM stg_claims s
ORDER BY s.record_id, s.claim
ON CONFLICT (object, record_id, claim) DO UPDATE SET rank_date = excluded.rank_date, last_cycle = excluded.last_cycle
WHERE (c.rank_date, c.last_cycle) IS DISTINCT FROM (excluded.rank_date, excluded.last_cycle);

-- name: claims_winners
-- The winner of every key the batch touches (rule 5): latest completion
-- timestamp, ties to the larger record id. in_batch: its rows are in
-- staging now. repair: the winner is re-projected unchanged (rule 16).
-- history: the key's academic year ended before today (rule 11). fresh: a
-- record that changed touches the key.
CREATE TEMP TABLE fresh_keys ON COMMIT DROP AS
SELECT s.claim FROM stg_claims s JOIN stg_batch b ON b.record_id = s.record_id WHERE NOT b.repair
UNION
SELECT o.claim FROM old_claims o JOIN stg_batch b ON b.record_id = o.record_id WHERE NOT b.repair;
CREATE INDEX ON fresh_keys (claim);
ANALYZE fresh_keys;
CREATE TEMP TABLE winners ON COMMIT DROP AS
WITH ranked AS (
    SELECT DISTINCT ON (c.claim) c.claim, c.record_id, c.held
    FROM knacksync.claims c
    WHERE c.object = @object
      AND c.claim IN (SELECT claim FROM stg_claims UNION SELECT claim FROM old_claims)
    ORDER BY c.claim, c.rank_date DESC NULLS LAST, c.record_id DESC
)
SELECT r.claim, r.record_id, r.held,
       s.record_id IS NOT NULL AS in_batch,
       coalesce(b.repair, false) AS repair,
       knacksync.is_history(split_part(r.claim, '|', 1), @today) AS history,
       f.claim IS NOT NULL AS fresh
FROM ranked r
LEFT JOIN (SELECT DISTINCT record_id, claim FROM stg_claims) s ON s.record_id = r.record_id AND s.claim = r.claim
LEFT JOIN stg_batch b ON b.record_id = r.record_id
LEFT JOIN (SELECT DISTINCT claim FROM fresh_keys) f ON f.claim = r.claim;
CREATE INDEX ON winners (claim);
CREATE INDEX ON winners (record_id);
ANALYZE winners;

-- name: claims_orphans
-- Keys a batch record held and nobody claims any more. Their rows are deleted
-- when they are in the record's current academic year, or the record is
-- gone, or its date did not change (the year moved because the rule did: a
-- school became known or Australian); rows a record left in an earlier year
-- when its date moved on (keep-and-refresh) stay. Rows of a history year
-- (rule 11, by the calendar) are never deleted: see claims_history.
CREATE TEMP TABLE orphans_all ON COMMIT DROP AS
SELECT o.record_id, o.claim, b.deleted, knacksync.is_history(split_part(o.claim, '|', 1), @today) AS history
FROM old_claims o
JOIN stg_batch b ON b.record_id = o.record_id
WHERE o.held
  AND NOT EXISTS (SELECT 1 FROM winners w WHERE w.claim = o.claim)
  AND (b.deleted OR split_part(o.claim, '|', 1) = b.current_year
       OR EXISTS (SELECT 1 FROM stg_claims n WHERE n.record_id = o.record_id AND n.rank_date IS NOT DISTINCT FROM o.rank_date));
CREATE TEMP TABLE orphans ON COMMIT DROP AS
SELECT record_id, claim FROM orphans_all WHERE NOT history;

-- name: claims_history
-- History orphans stay. A record deleted in Knack keeps them silently and is
-- counted (history_kept); a live record whose change would remove them is
-- reported (history_locked).
WITH locked AS (
    INSERT INTO stg_issues (record_id, rule, field, value, detail)
    SELECT DISTINCT record_id, 'history_locked', split_part(claim, '|', 1), '',
           'the record no longer produces rows of ' || split_part(claim, '|', 1) ||
           ', an earlier academic year than the current one (history): they stay as they are'
    FROM orphans_all WHERE history AND NOT deleted
    RETURNING 1
)
SELECT 'history' AS tbl, 0, 0, 0, 0, 0, 0, 0,
       (SELECT count(DISTINCT record_id) FROM orphans_all WHERE history AND deleted) AS kept;

-- name: claims_held
UPDATE knacksync.claims c
SET held = (c.record_id = w.record_id AND (w.in_batch OR w.held))
FROM winners w
WHERE c.object = @object AND c.claim = w.claim
  AND c.held IS DISTINCT FROM (c.record_id = w.record_id AND (w.in_batch OR w.held));

-- name: claims_reproject
-- A winner outside the batch whose rows are not in public.* (it just won,
-- because the holder changed or left): project it again from the mirror.
UPDATE knacksync.records r
SET projected_hash = NULL
FROM winners w
WHERE r.object = @object AND r.record_id = w.record_id AND NOT w.in_batch AND NOT w.held
  AND r.projected_hash IS NOT NULL;

-- name: claims_duplicates
-- Every claimant that lost a key is reported (rule 5); winners are cleared.
-- A key only repairs touched keeps its report unwritten when it is the same.
WITH losers AS (
    INSERT INTO knacksync.data_issues AS d (object, record_id, rule, field, value, detail, run_id)
    SELECT @object, c.record_id, 'duplicate', c.claim, split_part(c.claim, '|', 2),
           'record ' || w.record_id || ' wins this key (later completion time, or the same time and larger id)', @run_id
    FROM knacksync.claims c
    JOIN winners w ON w.claim = c.claim AND w.record_id <> c.record_id
    WHERE c.object = @object
      AND (w.fresh OR NOT EXISTS (
          SELECT 1 FROM knacksync.data_issues x
          WHERE x.object = @object AND x.record_id = c.record_id AND x.rule = 'duplicate' AND x.field = c.claim
            AND x.value = split_part(c.claim, '|', 2)
            AND x.detail = 'record ' || w.record_id || ' wins this key (later completion time, or the same time and larger id)'))
    ON CONFLICT (object, record_id, rule, field) DO UPDATE
        SET value = excluded.value, detail = excluded.detail, run_id = excluded.run_id, last_seen_at = now()
    RETURNING 1
), cleared AS (
    DELETE FROM knacksync.data_issues d
    USING winners w
    WHERE d.object = @object AND d.record_id = w.record_id AND d.rule = 'duplicate' AND d.field = w.claim
), stale AS (
    -- A batch record that no longer loses a key it lost before (it moved,
    -- was corrected, or is gone) is not a duplicate any more.
    DELETE FROM knacksync.data_issues d
    USING stg_batch b
    WHERE d.object = @object AND d.record_id = b.record_id AND b.replace AND d.rule = 'duplicate'
      AND NOT EXISTS (SELECT 1 FROM knacksync.claims c JOIN winners w ON w.claim = c.claim AND w.record_id <> c.record_id
                      WHERE c.object = @object AND c.record_id = d.record_id AND c.claim = d.field)
      AND NOT EXISTS (SELECT 1 FROM winners w WHERE w.record_id = d.record_id AND w.claim = d.field)
)
SELECT 'data_issues' AS tbl, 0, 0, 0, 0, (SELECT count(*) FROM losers) AS issues;
