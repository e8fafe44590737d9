package metrics

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/dbtest"
)

// insertRun writes a finished run over objects straight into the run
// tables, as store.StartRun and FinishRun would leave it, each object with
// objectStatus ("complete", "failed").
func insertRun(t *testing.T, pool *pgxpool.Pool, kind, status, objectStatus string, finished time.Time, objects ...string) {
	t.Helper()
	ctx := t.Context()
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO knacksync.runs (kind, objects, status, started_at, finished_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, kind, objects, status, finished.Add(-time.Hour), finished).Scan(&id)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO knacksync.run_objects (run_id, object, position, status)
			SELECT $1, o, ord, $3 FROM unnest($2::text[]) WITH ORDINALITY AS t(o, ord)`, id, objects, objectStatus)
		return err
	})
	if err != nil {
		t.Fatalf("insert run: %v", err)
	}
}

func TestLastSuccess(t *testing.T) {
	t.Parallel()

	t.Run("FromRuns", func(t *testing.T) {
		t.Parallel()
		pool := dbtest.Pool(t)
		m := New(Options{DB: pool, Objects: []string{"object_10", "object_29", "object_2"}})

		day := time.Date(2026, 3, 1, 2, 30, 0, 0, time.UTC)
		insertRun(t, pool, "sweep", "succeeded", "complete", day, "object_10", "object_29")
		insertRun(t, pool, "sweep", "succeeded", "complete", day.Add(24*time.Hour), "object_10")
		// Neither a sweep that failed on the object nor an incremental run
		// is a successful sync of it.
		insertRun(t, pool, "sweep", "failed", "failed", day.Add(48*time.Hour), "object_10", "object_29", "object_2")
		insertRun(t, pool, "incremental", "succeeded", "complete", day.Add(49*time.Hour), "object_29")
		// A sweep that completed the object is one, even when it failed on
		// another object (as the status page says: store.LastSuccess).
		insertRun(t, pool, "sweep", "failed", "complete", day.Add(50*time.Hour), "object_6")
		insertRun(t, pool, "sweep", "running", "complete", day.Add(51*time.Hour), "object_29")
		if _, err := pool.Exec(t.Context(), "UPDATE knacksync.runs SET finished_at = NULL WHERE status = 'running'"); err != nil {
			t.Fatal(err)
		}

		want := map[string]float64{
			`knacksync_last_success_timestamp_seconds{object="object_10"}`: float64(day.Add(24 * time.Hour).Unix()),
			`knacksync_last_success_timestamp_seconds{object="object_29"}`: float64(day.Unix()),
			`knacksync_last_success_timestamp_seconds{object="object_6"}`:  float64(day.Add(50 * time.Hour).Unix()),
			// Never swept successfully: 0, so that an age alert fires.
			`knacksync_last_success_timestamp_seconds{object="object_2"}`: 0,
		}
		got := gather(t, m.Registry())
		if diff := cmp.Diff(want, only(got, "knacksync_last_success_timestamp_seconds")); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
		if n := got[`knacksync_metrics_scrape_errors_total{collector="last_success"}`]; n != 0 {
			t.Errorf("scrape errors = %v, want 0", n)
		}

		// Read at every scrape: a new sweep shows at once.
		insertRun(t, pool, "sweep", "succeeded", "complete", day.Add(72*time.Hour), "object_2")
		if got := gather(t, m.Registry())[`knacksync_last_success_timestamp_seconds{object="object_2"}`]; got != float64(day.Add(72*time.Hour).Unix()) {
			t.Errorf("object_2 after its sweep = %v", got)
		}
	})

	t.Run("DatabaseDown", func(t *testing.T) {
		t.Parallel()
		pool := dbtest.Pool(t)
		m := New(Options{DB: pool, Objects: []string{"object_10"}})
		pool.Close()

		// The scrape still succeeds, without the series, and counts the error.
		families, _ := scrape(t, m.Handler())
		got := samples(families)
		if s := only(got, "knacksync_last_success_timestamp_seconds"); len(s) != 0 {
			t.Errorf("series with the database down: %v", s)
		}
		if _, ok := got[`knacksync_knack_requests_total{status="200"}`]; !ok {
			t.Error("the other series are missing from the scrape")
		}
		// The counter is collected concurrently with the failing query:
		// the next scrape shows it.
		if n := gather(t, m.Registry())[`knacksync_metrics_scrape_errors_total{collector="last_success"}`]; n < 1 {
			t.Errorf("scrape errors = %v, want at least 1", n)
		}
	})

	t.Run("Timeout", func(t *testing.T) {
		t.Parallel()
		pool := dbtest.Pool(t)
		// A lock on runs holds the query past its timeout.
		tx, err := pool.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
		if _, err := tx.Exec(t.Context(), "LOCK TABLE knacksync.runs IN ACCESS EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
		m := New(Options{DB: pool, Objects: []string{"object_10"}, QueryTimeout: 200 * time.Millisecond})

		start := time.Now()
		got := gather(t, m.Registry())
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("scrape took %v with a 200ms query timeout", d)
		}
		if s := only(got, "knacksync_last_success_timestamp_seconds"); len(s) != 0 {
			t.Errorf("series despite the timeout: %v", s)
		}
		if n := gather(t, m.Registry())[`knacksync_metrics_scrape_errors_total{collector="last_success"}`]; n < 1 {
			t.Errorf("scrape errors = %v, want at least 1", n)
		}
	})
}
