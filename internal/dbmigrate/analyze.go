package dbmigrate

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// staleTables are the tables of the public and knacksync schemas written
// since their last ANALYZE more than 50 rows plus $1 of the table
// (autovacuum's default is 0.1). The mirror (knacksync.records) only once:
// every sweep touches all its rows, it is only ever read by key, and an
// ANALYZE of it reads 30,000 wide rows.
const staleTables = `
SELECT format('%I.%I', schemaname, relname)
FROM pg_stat_user_tables
WHERE schemaname IN ('public', 'knacksync')
  AND n_mod_since_analyze > 50 + $1::float8 * greatest(n_live_tup, 0)
  AND NOT (schemaname = 'knacksync' AND relname = 'records'
           AND coalesce(last_analyze, last_autoanalyze) IS NOT NULL)
ORDER BY schemaname, relname`

// Thresholds for AnalyzeStale: Changed is autovacuum's own; Grown only
// catches a table that grew by half (a first sweep's), for calls between
// pages, where a no-change sweep's touches must not re-analyze the mirror
// every few pages.
const (
	Changed = 0.1
	Grown   = 0.5
)

// DB is what AnalyzeStale needs of a pool or connection.
type DB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// AnalyzeStale analyzes the tables changed by more than share of their rows
// since their statistics were taken, and returns them; one catalog query
// when none are. A first sweep fills empty tables
// page by page, faster than autovacuum analyzes them (and some hosts run
// with it off): until then the planner plans later pages, the next sweep
// and the statistics recompute for empty tables.
func AnalyzeStale(ctx context.Context, db DB, share float64) ([]string, error) {
	rows, err := db.Query(ctx, staleTables, share)
	if err != nil {
		return nil, fmt.Errorf("stale statistics: %w", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("stale statistics: %w", err)
	}
	for _, t := range tables {
		// The name comes from the catalog, quoted by format('%I.%I').
		if _, err := db.Exec(ctx, "ANALYZE "+t); err != nil {
			return nil, fmt.Errorf("analyze %s: %w", t, err)
		}
	}
	return tables, nil
}
