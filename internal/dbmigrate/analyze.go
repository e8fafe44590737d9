package dbmigrate

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// staleTables are the tables of the public and knacksync schemas whose
// statistics are stale: with $1 below Grown, written since their last
// ANALYZE more than 50 rows plus $1 of the table (autovacuum's own test);
// at Grown, only those that grew by half since (or were never analyzed).
// The mirror (knacksync.records) is always judged by growth: every sweep
// touches all its rows, it is read by key, and an ANALYZE of it reads
// 30,000 wide rows.
const staleTables = `
SELECT format('%I.%I', s.schemaname, s.relname)
FROM pg_stat_user_tables s
JOIN pg_class c ON c.oid = s.relid
WHERE s.schemaname IN ('public', 'knacksync')
  AND CASE WHEN $1::float8 >= 0.5 OR (s.schemaname = 'knacksync' AND s.relname = 'records')
           THEN c.reltuples < 0 OR s.n_live_tup > 50 + 1.5 * c.reltuples
           ELSE s.n_mod_since_analyze > 50 + $1::float8 * greatest(s.n_live_tup, 0) END
ORDER BY s.schemaname, s.relname`

// Thresholds for AnalyzeStale: Changed is autovacuum's own; Grown only
// catches a table that grew by half (a first sweep's), for calls between
// pages, where a no-change sweep's writes must not re-analyze anything.
const (
	Changed = 0.1
	Grown   = 0.5
)

// DB is what AnalyzeStale needs of a pool or connection.
type DB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// AnalyzeStale analyzes the tables whose statistics are stale by share
// (Changed or Grown, see staleTables), and returns them; one catalog query
// when none are. A first sweep fills empty tables page by page, faster
// than autovacuum analyzes them (and some hosts run with it off): until
// then the planner plans later pages, the next sweep and the statistics
// recompute for empty tables.
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
