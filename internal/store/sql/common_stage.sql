-- Staging tables every batch has. They live for one transaction.

-- name: stage_batch
-- Every record of the batch. replace: its claims are replaced by the ones in
-- stg_claims (false when the projection could not give it an identity, so
-- it keeps what it had). current_year: the academic year the record is in
-- now; rows it leaves behind in that year are deleted (rule 11).
CREATE TEMP TABLE stg_batch (
    record_id text PRIMARY KEY,
    replace boolean NOT NULL,
    deleted boolean NOT NULL,
    current_year text NOT NULL
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
CREATE TEMP TABLE stg_claims (
    record_id text NOT NULL,
    claim text NOT NULL,
    rank_date date,
    last_cycle int
) ON COMMIT DROP;
