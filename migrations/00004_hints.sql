-- Change hints from webhooks, coalesced per record. A hint is only a hint:
-- the worker fetches the record from Knack. version grows with every hint
-- for the record; the worker deletes a hint only at the version it fetched
-- for, so a hint that arrives during a fetch causes another fetch.

-- +goose Up
CREATE TABLE knacksync.hints (
    object text NOT NULL,
    record_id text NOT NULL,
    event text NOT NULL CHECK (event IN ('create', 'update', 'delete')),
    version bigint NOT NULL DEFAULT 1,
    hints int NOT NULL DEFAULT 1,
    first_at timestamptz NOT NULL,
    last_at timestamptz NOT NULL,
    PRIMARY KEY (object, record_id)
);
CREATE INDEX hints_first_idx ON knacksync.hints (object, first_at);

-- The modified-date poll's high-water mark per object.
CREATE TABLE knacksync.poll_cursors (
    object text PRIMARY KEY,
    cursor_at timestamptz NOT NULL
);

-- The Knack request budget shared by every process (Knack allows 10
-- requests per second per app, whoever sends them): each request reserves
-- the next free slot, so three instances never make Knack answer 429.
CREATE TABLE knacksync.rate_slots (
    name text PRIMARY KEY,
    next_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE knacksync.rate_slots, knacksync.poll_cursors, knacksync.hints;
