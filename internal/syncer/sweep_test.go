package syncer_test

// End-to-end tests of the full sweep (issue "The full sweep"): the Knack
// simulator over HTTP, the real client, the syncer, and a fresh migrated
// Postgres database per test.

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/dbmigrate"
	"knacksync/internal/dbtest"
	"knacksync/internal/knacksim"
	"knacksync/internal/knacksim/vespagen"
	"knacksync/internal/store"
	"knacksync/internal/syncer"
	"knacksync/internal/vespa"
)

// TestSweepTinyLandsExactly: one sweep of the tiny dataset writes exactly
// what an independent reading of the records says (oracle_test.go), every
// dirty case of the manifest lands as docs/mapping.md says, and every data issue
// is one the manifest planted.
func TestSweepTinyLandsExactly(t *testing.T) {
	t.Parallel()
	for _, seed := range []int64{1, 2} {
		t.Run("seed="+strconv.FormatInt(seed, 10), func(t *testing.T) {
			t.Parallel()
			ds, dirty, err := vespagen.GenerateWithManifest(vespagen.Tiny, seed, epoch)
			if err != nil {
				t.Fatal(err)
			}
			b := setup(t, options{dataset: ds})
			run := b.sweep(t)

			got := counts(t, b.pool)
			if diff := cmp.Diff(oracleCounts(ds, epoch), got); diff != "" {
				t.Errorf("row counts mismatch (-oracle +got):\n%s", diff)
			}
			want := oracleRows(ds, epoch)
			for table, q := range oracleQueries {
				if diff := cmp.Diff(want[table], strings1(t, b.pool, q)); diff != "" {
					t.Errorf("%s rows mismatch (-oracle +got):\n%s", table, diff)
				}
			}
			// The run's own counts say the same: every row was inserted.
			for _, table := range targetTables {
				if c := run.Tables[table]; c.Inserted != int64(got[table]) || c.Updated != 0 || c.Deleted != 0 {
					t.Errorf("run counts for %s = %+v, want %d inserted", table, c, got[table])
				}
			}
			checkSyncLog(t, b.pool, run, ds)
			checkManifest(t, b.pool, ds, dirty)
		})
	}
}

// checkSyncLog: the run wrote the dashboard's sync_logs row (docs/mapping.md,
// "After each run").
func checkSyncLog(t *testing.T, pool *pgxpool.Pool, run *store.Run, ds *knacksim.Dataset) {
	t.Helper()
	records := 0
	for _, recs := range ds.Records {
		records += len(recs)
	}
	var syncType, status string
	var processed int
	var completed bool
	err := pool.QueryRow(t.Context(), `
		SELECT sync_type, status, coalesce(records_processed, -1), completed_at IS NOT NULL
		FROM public.sync_logs WHERE (metadata ->> 'run_id')::bigint = $1`, run.ID).Scan(&syncType, &status, &processed, &completed)
	if err != nil {
		t.Fatalf("sync_logs row of run %d: %v", run.ID, err)
	}
	if syncType != "knacksync_sweep" || status != "completed" || processed != records || !completed {
		t.Errorf("sync_logs = %s %s %d completed=%v, want knacksync_sweep completed %d true", syncType, status, processed, completed, records)
	}
}

// TestSweepTwiceWritesNothing: the same sweep a second time writes no row
// of the target tables (docs/architecture.md, "Idempotent": 0 rows updated,
// 0 dead tuples), by the
// run's own counts, by every row's xmin, and by Postgres's statistics.
func TestSweepTwiceWritesNothing(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t)
	reader, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reader.Close(context.Background()) })

	pool1 := dbtest.Connect(t, url)
	b := setup(t, options{pool: pool1})
	first := b.sweep(t)
	if written(first)["students"] == 0 {
		t.Fatal("the first sweep wrote no students")
	}
	xmin1, dump1 := xmins(t, pool1), dump(t, pool1)
	// Statistics are flushed when a backend exits: close the sweep's
	// connections, then read them from another.
	pool1.Close()
	stats1 := tupleStats(t, reader)
	// Guard against comparing unflushed (empty) statistics.
	var students int64
	if err := reader.QueryRow(t.Context(), `SELECT count(*) FROM public.students`).Scan(&students); err != nil {
		t.Fatal(err)
	}
	if stats1["students"].ins < students {
		t.Fatalf("statistics not flushed: students n_tup_ins = %d, %d rows", stats1["students"].ins, students)
	}

	pool2 := dbtest.Connect(t, url)
	b2 := b.withPool(pool2)
	second := b2.sweep(t)
	if w := written(second); len(w) != 0 {
		t.Errorf("second sweep wrote rows: %v", w)
	}
	for _, p := range second.Progress {
		if p.RecordsChanged != 0 || p.RecordsDeleted != 0 || p.DeletionsHeld != 0 {
			t.Errorf("second sweep, %s: %d records projected, %d deleted, %d held; want none", p.Object, p.RecordsChanged, p.RecordsDeleted, p.DeletionsHeld)
		}
	}
	if diff := cmp.Diff(xmin1, xmins(t, pool2)); diff != "" {
		t.Errorf("rows rewritten by the second sweep (xmin, -first +second):\n%s", diff)
	}
	if diff := cmp.Diff(dump1, dump(t, pool2)); diff != "" {
		t.Errorf("data changed by the second sweep (-first +second):\n%s", diff)
	}
	pool2.Close()
	stats2 := tupleStats(t, reader)
	for _, table := range targetTables {
		s1, s2 := stats1[table], stats2[table]
		if s1.ins != s2.ins || s1.upd != s2.upd || s1.del != s2.del || s1.hotUpd != s2.hotUpd {
			t.Errorf("%s: pg_stat_user_tables moved from %+v to %+v", table, s1, s2)
		}
		if s2.dead > s1.dead {
			t.Errorf("%s: n_dead_tup grew from %d to %d", table, s1.dead, s2.dead)
		}
	}
}

// withPool is the bundle with a new pool (same simulator, client and clock).
func (b *testBundle) withPool(pool *pgxpool.Pool) *testBundle {
	nb := *b
	nb.pool = pool
	nb.store = store.New(pool)
	nb.syncer = syncer.New(nb.store, b.knack, slog.New(slog.DiscardHandler), b.clock.Now, b.cfg)
	return &nb
}

type tupStats struct{ ins, upd, del, hotUpd, dead int64 }

// tupleStats reads pg_stat_user_tables for the public tables once every
// other client backend of the database has exited (and so flushed its
// statistics).
func tupleStats(t *testing.T, conn *pgx.Conn) map[string]tupStats {
	t.Helper()
	ctx := t.Context()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var others int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`).Scan(&others)
		if err != nil {
			t.Fatal(err)
		}
		if others == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d other backends still connected", others)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_stat_clear_snapshot()`); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(ctx, `SELECT relname, n_tup_ins, n_tup_upd, n_tup_del, n_tup_hot_upd, n_dead_tup
		FROM pg_stat_user_tables WHERE schemaname = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]tupStats{}
	var name string
	var s tupStats
	if _, err := pgx.ForEachRow(rows, []any{&name, &s.ins, &s.upd, &s.del, &s.hotUpd, &s.dead}, func() error {
		out[name] = s
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSweepUpdateChangesOnlyThatRow: a change made through the Knack API
// changes exactly the row it concerns; every other row of every target
// table is left as it was, timestamps included.
func TestSweepUpdateChangesOnlyThatRow(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	b.sweep(t)
	manifest := manifestIDs(b.dirty)

	t.Run("score", func(t *testing.T) {
		var recordID, rowID string
		var effort int
		err := b.pool.QueryRow(t.Context(), `
			SELECT s.knack_id, v.id::text, v.effort FROM public.vespa_scores v JOIN public.students s ON s.id = v.student_id
			WHERE v.cycle = 1 AND s.academic_year = '2025/2026' AND v.effort IS NOT NULL AND NOT s.knack_id = ANY($1)
			ORDER BY s.knack_id LIMIT 1`, manifest).Scan(&recordID, &rowID, &effort)
		if err != nil {
			t.Fatal(err)
		}
		newEffort := (effort + 3) % 11
		before := snapshot(t, b.pool)
		if _, err := b.client.Update(t.Context(), "object_10", recordID, map[string]any{vespa.Object10.Scores[0][1].Key: newEffort}); err != nil {
			t.Fatal(err)
		}
		run := b.sweep(t)
		changes := snapshotDiff(before, snapshot(t, b.pool))
		if len(changes) != 1 || changes[0].Table != "vespa_scores" || changes[0].ID != rowID {
			t.Fatalf("changed rows %+v, want only vespa_scores %s", changes, rowID)
		}
		checkOnlyColumn(t, changes[0], "effort", strconv.Itoa(newEffort))
		if diff := cmp.Diff(map[string]int64{"vespa_scores": 1}, written(run)); diff != "" {
			t.Errorf("run counts (-want +got):\n%s", diff)
		}
	})

	t.Run("answer", func(t *testing.T) {
		q10 := vespa.Object29.Questions[9]
		var email, rowID string
		var value int
		err := b.pool.QueryRow(t.Context(), `
			SELECT s.email, q.id::text, q.response_value FROM public.question_responses q JOIN public.students s ON s.id = q.student_id
			WHERE q.cycle = 1 AND q.question_id = $2 AND s.academic_year = '2025/2026' AND NOT s.knack_id = ANY($1)
			ORDER BY s.email LIMIT 1`, manifest, q10.ID).Scan(&email, &rowID, &value)
		if err != nil {
			t.Fatal(err)
		}
		// The student's questionnaire record, by its email (not by what
		// the sync stored about it).
		var recordID string
		for _, r := range b.sim.Records("object_29") {
			if oEmail(r, vespa.Object29.Email.Key) == email {
				recordID = r.ID
			}
		}
		if recordID == "" {
			t.Fatalf("no object_29 record for %s", email)
		}
		newValue := value%5 + 1
		before := snapshot(t, b.pool)
		if _, err := b.client.Update(t.Context(), "object_29", recordID, map[string]any{q10.Cycles[0].Key: newValue}); err != nil {
			t.Fatal(err)
		}
		run := b.sweep(t)
		changes := snapshotDiff(before, snapshot(t, b.pool))
		if len(changes) != 1 || changes[0].Table != "question_responses" || changes[0].ID != rowID {
			t.Fatalf("changed rows %+v, want only question_responses %s", changes, rowID)
		}
		checkOnlyColumn(t, changes[0], "response_value", strconv.Itoa(newValue))
		if diff := cmp.Diff(map[string]int64{"question_responses": 1}, written(run)); diff != "" {
			t.Errorf("run counts (-want +got):\n%s", diff)
		}
	})
}

// checkOnlyColumn checks that a changed row differs in col only, now val.
func checkOnlyColumn(t *testing.T, c rowChange, col, val string) {
	t.Helper()
	var before, after map[string]any
	if err := jsonUnmarshal(c.Before, &before); err != nil {
		t.Fatal(err)
	}
	if err := jsonUnmarshal(c.After, &after); err != nil {
		t.Fatal(err)
	}
	if got := jsonText(after[col]); got != val {
		t.Errorf("%s.%s = %s, want %s", c.Table, col, got, val)
	}
	delete(before, col)
	delete(after, col)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("%s %s: other columns changed (-before +after):\n%s", c.Table, c.ID, diff)
	}
}

// TestReprojectAllWritesNothing: re-projecting the whole mirror after a
// sweep (what a fixed mapping bug asks for) writes no row that is already
// right.
func TestReprojectAllWritesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	b.sweep(t)
	xmin, data := xmins(t, b.pool), dump(t, b.pool)
	run, err := b.syncer.ReprojectAll(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != store.StatusSucceeded {
		t.Fatalf("reproject: %s %s", run.Status, run.Error)
	}
	if w := written(run); len(w) != 0 {
		t.Errorf("ReprojectAll wrote %v", w)
	}
	if diff := cmp.Diff(xmin, xmins(t, b.pool)); diff != "" {
		t.Errorf("rows rewritten by ReprojectAll (xmin, -before +after):\n%s", diff)
	}
	if diff := cmp.Diff(data, dump(t, b.pool)); diff != "" {
		t.Errorf("data changed by ReprojectAll (-before +after):\n%s", diff)
	}
}

// TestSweepLegacyDatabase: a sweep into the dashboard's existing database,
// once migrated, keeps the rows that were there.
func TestSweepLegacyDatabase(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := dbtest.Connect(t, dbtest.EmptyURL(t))
	legacy, err := os.ReadFile("../dbmigrate/testdata/legacy-schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, string(legacy)); err != nil {
		t.Fatalf("load legacy schema: %v", err)
	}
	if _, err := dbmigrate.Migrate(ctx, pool, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, pool)
	legacyRows := 0
	for _, rows := range before {
		legacyRows += len(rows)
	}
	if legacyRows != 3 {
		t.Fatalf("legacy database holds %d rows, want 3 (establishment, student, scores)", legacyRows)
	}

	b := setup(t, options{pool: pool})
	b.sweep(t)
	after := snapshot(t, pool)
	for table, rows := range before {
		for id, row := range rows {
			if after[table][id] != row {
				t.Errorf("legacy %s row %s changed:\n before %s\n after  %s", table, id, row, after[table][id])
			}
		}
	}
	ds, _ := tinyDataset(t)
	want := oracleCounts(ds, epoch)
	for table, rows := range before {
		want[table] += len(rows)
	}
	if diff := cmp.Diff(want, counts(t, pool)); diff != "" {
		t.Errorf("row counts mismatch (-want +got):\n%s", diff)
	}
	// And a second sweep still leaves them, and writes nothing.
	if w := written(b.sweep(t)); len(w) != 0 {
		t.Errorf("second sweep wrote %v", w)
	}
	if diff := cmp.Diff(after, snapshot(t, pool)); diff != "" {
		t.Errorf("second sweep changed rows (-first +second):\n%s", diff)
	}
}
