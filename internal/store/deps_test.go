package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"knacksync/internal/dbtest"
	"knacksync/internal/store"
	"knacksync/internal/vespa"
)

// tuplesRead is what the current transaction read of knacksync.records so
// far: sequential and index fetches (pg_stat_xact_user_tables counts the
// running transaction at once, no stats flush to wait for).
func tuplesRead(t *testing.T, tx pgx.Tx) int64 {
	t.Helper()
	var n int64
	if err := tx.QueryRow(context.Background(), `SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)
		FROM pg_stat_xact_user_tables WHERE schemaname = 'knacksync' AND relname = 'records'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// accountsBatchReads applies a batch of changed accounts to a mirror that
// holds profiles profiles (each reading its own account) and returns the
// mirror rows the batch read.
func accountsBatchReads(t *testing.T, profiles, changed int) int64 {
	ctx := context.Background()
	pool := dbtest.Pool(t)
	st := store.New(pool).WithScripts(vespa.SQL)
	now := time.Date(2025, 11, 20, 12, 0, 0, 0, time.UTC)
	if _, err := pool.Exec(ctx, `
		INSERT INTO knacksync.records (object, record_id, data, hash, projected_hash, first_seen, last_seen, last_fetched)
		SELECT 'object_112', 'p' || i, jsonb_build_object('field_3064_raw', jsonb_build_array(jsonb_build_object('id', 'a' || i))),
		       '\x01', '\x01', $1, $1, $1
		FROM generate_series(1, $2) i`, now, profiles); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO knacksync.record_refs (ref_object, ref_id, object, record_id)
		SELECT 'object_3', 'a' || i, 'object_112', 'p' || i FROM generate_series(1, $1) i`, profiles); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO knacksync.accounts (record_id, email)
		SELECT 'a' || i, 'old' || i || '@refs.example' FROM generate_series(1, $1) i`, profiles); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE knacksync.records, knacksync.record_refs, knacksync.accounts`); err != nil {
		t.Fatal(err)
	}
	runID, err := st.StartRun(ctx, "incremental", []string{"object_3"}, false, now)
	if err != nil {
		t.Fatal(err)
	}
	b := store.Batch{Object: "object_3", Script: "object3", RunID: runID,
		Tables: []store.Table{{Name: "stg_accounts", Columns: []string{"record_id", "email"}}},
		Params: map[string]any{"profiles_object": "object_112", "profiles_account_field": "field_3064"}}
	for i := 1; i <= changed; i++ {
		id := fmt.Sprintf("a%d", i)
		b.Records = append(b.Records, store.BatchRecord{ID: id, Replace: true, CurrentYear: "2025/2026"})
		b.Tables[0].Rows = append(b.Tables[0].Rows, []any{id, fmt.Sprintf("new%d@refs.example", i)})
	}
	var read int64
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		before := tuplesRead(t, tx)
		if _, err := st.ApplyBatch(ctx, tx, b); err != nil {
			return err
		}
		read = tuplesRead(t, tx) - before
		// The changed accounts' profiles, and only they, are marked.
		var marked int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM knacksync.records WHERE object = 'object_112' AND projected_hash IS NULL`).Scan(&marked); err != nil {
			return err
		}
		if marked != changed {
			t.Errorf("%d profiles marked for projection, want %d", marked, changed)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return read
}

// The red-team measured the accounts merge at 79.7 s for 1,000 changed
// accounts against 13,080 profiles: every profile's JSON was tested against
// every changed account. Finding the readers through record_refs reads rows
// in proportion to the accounts that changed, whatever the profiles.
func TestAccountsMergeProportionalToChanged(t *testing.T) {
	t.Parallel()
	small, large := accountsBatchReads(t, 1000, 10), accountsBatchReads(t, 8000, 10)
	t.Logf("mirror rows read for 10 changed accounts: %d with 1,000 profiles, %d with 8,000", small, large)
	if large > 200 {
		t.Errorf("10 changed accounts read %d mirror rows among 8,000 profiles: not proportional to the change", large)
	}
}
