-- Dependencies between records (docs/architecture.md, "Dependent records"):
-- the projection of a record can read another object's record (a profile
-- its object_3 account and its establishment, a result or a staff admin its
-- establishment). When such a record changes, the records that read it are
-- projected again in the same pass. This table lists who reads whom, so
-- that finding them is an indexed join proportional to the records that
-- changed, not a scan of every dependent's JSON.
--
-- Rows are written as records are projected; the first full sweep after an
-- upgrade projects every record (or run `server sync --reproject`).

-- +goose Up
CREATE TABLE knacksync.record_refs (
    ref_object text NOT NULL,
    ref_id text NOT NULL,
    object text NOT NULL,
    record_id text NOT NULL,
    PRIMARY KEY (ref_object, ref_id, object, record_id)
);
CREATE INDEX record_refs_record_idx ON knacksync.record_refs (object, record_id);

-- +goose Down
DROP TABLE knacksync.record_refs;
