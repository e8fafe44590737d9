-- Staging tables every batch has. They live for one transaction.

-- name: stage_batch
-- Every record of the batch. replace: its claims are replaced by the ones in
-- stg_claims (false when the projection could not give it an identity, so
-- it keeps what it had). current_year: the academic year the record is in
-- now; rows it leaves behind in that year are deleted (rule 11). repair:
-- the record is unchanged since its last projection and is projected again
-- by a full sweep to repair drift (rule 16): what it writes is counted as
-- repaired, and rows it would delete are another writer's (left alone,
-- counted as unowned).
CREATE TEMP TABLE stg_batch (
    record_id text PRIMARY KEY,
    replace boolean NOT NULL,
    deleted boolean NOT NULL,
    current_year text NOT NULL,
    repair boolean NOT NULL DEFAULT false
) ON COMMIT DROP;

-- name: stage_issues
CREATE TEMP TABLE stg_issues (
    record_id text NOT NULL,
    rule text NOT NULL,
    field text NOT NULL,
    value text NOT NULL,
    detail text NOT NULL
) ON COMMIT DROP;

-- name: stage_claims
-- rank_date is the completion timestamp that ranks duplicates (rule 5).
CREATE TEMP TABLE stg_claims (
    record_id text NOT NULL,
    claim text NOT NULL,
    rank_date timestamp,
    last_cycle int
) ON COMMIT DROP;

