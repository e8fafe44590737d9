package main

import (
	"context"
	"log/slog"
	"testing"

	"knacksync/internal/config"
	"knacksync/internal/dbtest"
	"knacksync/internal/dbtimeout"
)

// The service's pool gives HTTP requests DATABASE_STATEMENT_TIMEOUT and
// DATABASE_LOCK_TIMEOUT, and everything else (sweeps, jobs) the longer
// SYNC_ ones.
func TestServePoolTimeouts(t *testing.T) {
	t.Parallel()
	show := func(t *testing.T, env map[string]string, ctx context.Context) (statement, lock string) {
		t.Helper()
		cfg, err := config.Load(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		pool, err := openDatabase(context.Background(), cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		if err := pool.QueryRow(ctx, "SELECT current_setting('statement_timeout'), current_setting('lock_timeout')").Scan(&statement, &lock); err != nil {
			t.Fatal(err)
		}
		return statement, lock
	}
	url := dbtest.URL(t)
	request := dbtimeout.ForRequest(context.Background())
	for _, tt := range []struct {
		name            string
		env             map[string]string
		ctx             context.Context
		statement, lock string
	}{
		{"request, defaults", map[string]string{"DATABASE_URL": url}, request, "30s", "10s"},
		{"sweep, defaults", map[string]string{"DATABASE_URL": url}, context.Background(), "30min", "10min"},
		{"request, set", map[string]string{"DATABASE_URL": url, "DATABASE_STATEMENT_TIMEOUT": "5s", "DATABASE_LOCK_TIMEOUT": "2s"}, request, "5s", "2s"},
		{"sweep, no limit", map[string]string{"DATABASE_URL": url, "SYNC_STATEMENT_TIMEOUT": "0", "SYNC_LOCK_TIMEOUT": "0"}, context.Background(), "0", "0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if statement, lock := show(t, tt.env, tt.ctx); statement != tt.statement || lock != tt.lock {
				t.Errorf("statement_timeout %s, lock_timeout %s; want %s, %s", statement, lock, tt.statement, tt.lock)
			}
		})
	}
}
