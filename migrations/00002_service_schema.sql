-- The service's own state lives in schema knacksync, away from the dashboard's
-- public tables: its migration history (knacksync.schema_migrations), River's
-- queue tables (created by rivermigrate with Config.Schema = knacksync), and
-- the raw mirror, runs, data issues and hints that later migrations add.
-- The schema itself is created by the migrator before goose runs, because
-- goose keeps its version table in it.

-- +goose Up
COMMENT ON SCHEMA knacksync IS 'knacksync: raw Knack mirror, sync runs, data issues, webhook hints and the River job queue';

-- +goose Down
COMMENT ON SCHEMA knacksync IS NULL;
