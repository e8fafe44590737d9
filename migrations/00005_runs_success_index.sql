-- The status page and /metrics read the last successful sweep per object at
-- every request; runs grows with every hint-driven incremental run.

-- +goose Up
CREATE INDEX runs_sweep_succeeded_idx ON knacksync.runs (finished_at) WHERE kind = 'sweep' AND status = 'succeeded';

-- +goose Down
DROP INDEX knacksync.runs_sweep_succeeded_idx;
