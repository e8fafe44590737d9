package dbmigrate_test

import (
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/dbmigrate"
	"knacksync/internal/dbtest"
)

// AnalyzeStale refreshes a table written beyond autovacuum's threshold,
// leaves it alone once analyzed, tells growth from writes (Grown), and
// judges the mirror, whose rows every sweep touches, by growth only.
func TestAnalyzeStale(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	ctx := t.Context()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	exec := func(sql string) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		// Table counters reach pg_stat_user_tables when the backend
		// flushes them, at most once a second unless asked.
		if _, err := conn.Exec(ctx, "SELECT pg_stat_force_next_flush()"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "SELECT 1"); err != nil {
			t.Fatal(err)
		}
	}
	stale := func(share float64) []string {
		t.Helper()
		tables, err := dbmigrate.AnalyzeStale(ctx, conn, share)
		if err != nil {
			t.Fatal(err)
		}
		return tables
	}

	exec(`CREATE TABLE public.probe (id int)`)
	exec(`INSERT INTO public.probe SELECT generate_series(1, 1000)`)
	exec(`INSERT INTO knacksync.records (object, record_id, data, hash, first_seen, last_seen, last_fetched)
	      SELECT 'object_9', 'r' || i, '{}', '\x00', now(), now(), now() FROM generate_series(1, 1000) i`)
	if got := stale(dbmigrate.Changed); !slices.Contains(got, "public.probe") || !slices.Contains(got, "knacksync.records") {
		t.Fatalf("after 1,000 inserts: analyzed %v, want public.probe and knacksync.records", got)
	}
	if got := stale(dbmigrate.Changed); slices.Contains(got, "public.probe") || slices.Contains(got, "knacksync.records") {
		t.Errorf("just analyzed, analyzed again: %v", got)
	}

	// 300 more rows: a change by autovacuum's measure, not growth by half.
	exec(`INSERT INTO public.probe SELECT generate_series(1001, 1300)`)
	if got := stale(dbmigrate.Grown); slices.Contains(got, "public.probe") {
		t.Errorf("grown by 30%%, analyzed between pages: %v", got)
	}
	if got := stale(dbmigrate.Changed); !slices.Contains(got, "public.probe") {
		t.Errorf("changed by 30%%, not analyzed: %v", got)
	}

	// A sweep touches every mirrored row: not a reason to analyze it again.
	exec(`UPDATE knacksync.records SET last_seen = now()`)
	if got := stale(dbmigrate.Changed); slices.Contains(got, "knacksync.records") {
		t.Errorf("every mirror row touched, mirror analyzed again: %v", got)
	}
	exec(`INSERT INTO knacksync.records (object, record_id, data, hash, first_seen, last_seen, last_fetched)
	      SELECT 'object_9', 's' || i, '{}', '\x00', now(), now(), now() FROM generate_series(1, 600) i`)
	if got := stale(dbmigrate.Grown); !slices.Contains(got, "knacksync.records") {
		t.Errorf("mirror grew by 60%%, not analyzed: %v", got)
	}
}

var _ dbmigrate.DB = (*pgxpool.Conn)(nil)
