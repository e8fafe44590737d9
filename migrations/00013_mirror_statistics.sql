-- The planner never filters or joins on a mirrored record's JSON, but
-- ANALYZE would sample and compare 30,000 of those documents each time the
-- mirror is analyzed (sweeps analyze tables they changed much: see
-- internal/dbmigrate/analyze.go). Statistics for the other columns stay.

-- +goose Up
ALTER TABLE knacksync.records ALTER COLUMN data SET STATISTICS 0;

-- +goose Down
ALTER TABLE knacksync.records ALTER COLUMN data SET STATISTICS -1;
