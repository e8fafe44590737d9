-- The service's state for the sweep: the raw mirror, claims (which record
-- owns which rows), runs, data issues and held deletions.

-- +goose Up

-- One row per Knack record as fetched. projected_hash is the hash of the
-- data that was last projected into public.*: a record whose hash equals it
-- is not projected again, and clearing it asks for a re-projection.
CREATE TABLE knacksync.records (
    object text NOT NULL,
    record_id text NOT NULL,
    data jsonb NOT NULL,
    hash bytea NOT NULL,
    projected_hash bytea,
    first_seen timestamptz NOT NULL,
    last_seen timestamptz NOT NULL,
    last_fetched timestamptz NOT NULL,
    deleted_at timestamptz,
    PRIMARY KEY (object, record_id)
);
-- Rows stay small (the record goes to TOAST, compressed) and leave room for
-- HOT updates: a sweep touches last_seen of every record it sees.
ALTER TABLE knacksync.records SET (toast_tuple_target = 128, fillfactor = 80);
CREATE INDEX records_pending_idx ON knacksync.records (object, record_id)
    WHERE deleted_at IS NULL AND projected_hash IS DISTINCT FROM hash;

-- A claim says that a record produces the rows of a natural key ("claim"):
-- a student identity "email|year", a questionnaire cycle "student|cycle", a
-- profile "email|year". Several records may claim one key (duplicates); the
-- winner is the latest rank_date, ties to the larger record id (rule 5), and
-- held marks the record whose data is in public.* now.
CREATE TABLE knacksync.claims (
    object text NOT NULL,
    record_id text NOT NULL,
    claim text NOT NULL,
    rank_date date,
    -- object_10 only: the highest cycle the record is current for; the
    -- student's answers of later cycles are not taken (keep-and-refresh).
    last_cycle int,
    held boolean NOT NULL DEFAULT false,
    PRIMARY KEY (object, record_id, claim)
);
CREATE INDEX claims_claim_idx ON knacksync.claims (object, claim);

-- One row per claimed key: batches lock the rows of the keys they touch
-- (in key order) so that batches processed in parallel never decide the
-- same key at once. Row locks cost no shared lock-table memory.
CREATE TABLE knacksync.claim_keys (
    object text NOT NULL,
    claim text NOT NULL,
    PRIMARY KEY (object, claim)
);

-- object_3 accounts reduced to what academic profiles need (rule 13).
CREATE TABLE knacksync.accounts (
    record_id text PRIMARY KEY,
    email text NOT NULL
);

-- Runs: sweeps, incremental batches and re-projections.
CREATE TABLE knacksync.runs (
    id bigserial PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('sweep', 'incremental', 'reproject', 'deletes')),
    objects text[] NOT NULL,
    full_sweep boolean NOT NULL DEFAULT false,
    status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    heartbeat_at timestamptz,
    error text,
    sync_log_id uuid
);
CREATE INDEX runs_started_idx ON knacksync.runs (started_at DESC);

CREATE TABLE knacksync.run_objects (
    run_id bigint NOT NULL REFERENCES knacksync.runs(id) ON DELETE CASCADE,
    object text NOT NULL,
    position int NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'complete', 'failed')),
    next_page int NOT NULL DEFAULT 1,
    pages int NOT NULL DEFAULT 0,
    knack_requests int NOT NULL DEFAULT 0,
    records_seen int NOT NULL DEFAULT 0,
    records_changed int NOT NULL DEFAULT 0,
    records_deleted int NOT NULL DEFAULT 0,
    deletions_held int NOT NULL DEFAULT 0,
    data_issues int NOT NULL DEFAULT 0,
    duration_ms bigint NOT NULL DEFAULT 0,
    error text,
    notes jsonb,
    PRIMARY KEY (run_id, object)
);

CREATE TABLE knacksync.run_tables (
    run_id bigint NOT NULL REFERENCES knacksync.runs(id) ON DELETE CASCADE,
    table_name text NOT NULL,
    inserted int NOT NULL DEFAULT 0,
    updated int NOT NULL DEFAULT 0,
    deleted int NOT NULL DEFAULT 0,
    unchanged int NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, table_name)
);

-- Data issues (rule 12): one row per record, rule and field, replaced each
-- time the record is projected. The value is kept verbatim here; anything
-- that leaves the database masks student emails.
CREATE TABLE knacksync.data_issues (
    object text NOT NULL,
    record_id text NOT NULL,
    rule text NOT NULL,
    field text NOT NULL DEFAULT '',
    value text NOT NULL DEFAULT '',
    detail text NOT NULL DEFAULT '',
    run_id bigint,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (object, record_id, rule, field)
);
CREATE INDEX data_issues_rule_idx ON knacksync.data_issues (rule);

-- Deletions a sweep held back because they exceeded SYNC_MAX_DELETE_RATIO.
CREATE TABLE knacksync.held_deletions (
    id bigserial PRIMARY KEY,
    run_id bigint NOT NULL REFERENCES knacksync.runs(id) ON DELETE CASCADE,
    object text NOT NULL,
    record_ids text[] NOT NULL,
    object_records int NOT NULL,
    reason text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    confirmed_at timestamptz,
    applied_at timestamptz
);

-- +goose Down
DROP TABLE knacksync.held_deletions, knacksync.data_issues, knacksync.run_tables,
    knacksync.run_objects, knacksync.runs, knacksync.accounts, knacksync.claims, knacksync.records;
