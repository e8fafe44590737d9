package worker_test

import (
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"
	"github.com/riverqueue/river/rivertype"

	"knacksync/internal/dbmigrate"
	"knacksync/internal/store"
	"knacksync/internal/worker"
)

// TestNewRiverClient: the client carries the nightly sweep and the hints
// check, and the modified-date poll only when a field is configured.
// River lists no periodic jobs; RemoveByID reports whether one existed.
func TestNewRiverClient(t *testing.T) {
	t.Parallel()
	b := dbOnly(t)
	deps := worker.Deps{
		Pool: b.pool, Store: b.store, Observer: &recordingObserver{}, Logger: b.logger, Now: b.clock.Now,
		Cron: "0 2 * * *",
	}

	t.Run("without poll", func(t *testing.T) {
		t.Parallel()
		c, err := worker.NewRiverClient(deps)
		if err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]bool{"nightly_sweep": true, "check_hints": true, "modified_poll": false} {
			if got := c.PeriodicJobs().RemoveByID(id); got != want {
				t.Errorf("periodic job %s configured: %v, want %v", id, got, want)
			}
		}
	})

	t.Run("with poll", func(t *testing.T) {
		t.Parallel()
		d := deps
		d.PollFields = map[string]string{"object_10": "field_9999"}
		d.PollEvery, d.PollMargin = 5*time.Minute, 2*time.Hour
		c, err := worker.NewRiverClient(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"nightly_sweep", "check_hints", "modified_poll"} {
			if !c.PeriodicJobs().RemoveByID(id) {
				t.Errorf("periodic job %s missing", id)
			}
		}
	})

	t.Run("bad cron", func(t *testing.T) {
		t.Parallel()
		d := deps
		d.Cron = "at two"
		if _, err := worker.NewRiverClient(d); err == nil {
			t.Error("NewRiverClient accepted a bad cron expression")
		}
	})
}

func TestCheckHintsWorker(t *testing.T) {
	t.Parallel()
	checker := func(b *testBundle) *worker.CheckHintsWorker {
		return &worker.CheckHintsWorker{Store: b.store, Now: b.clock.Now}
	}
	requireHintsJobs := func(t *testing.T, b *testBundle, objects ...string) {
		t.Helper()
		var got []string
		rows, err := b.pool.Query(t.Context(), `SELECT args->>'object' FROM `+dbmigrate.Schema+`.river_job WHERE kind = 'knack_hints' ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var o string
			if err := rows.Scan(&o); err != nil {
				t.Fatal(err)
			}
			got = append(got, o)
		}
		if rows.Err() != nil {
			t.Fatal(rows.Err())
		}
		if len(got) != len(objects) {
			t.Fatalf("hints jobs for %v, want %v", got, objects)
		}
		for i := range got {
			if got[i] != objects[i] {
				t.Fatalf("hints jobs for %v, want %v", got, objects)
			}
		}
	}

	t.Run("stale hint enqueues its object", func(t *testing.T) {
		t.Parallel()
		b := dbOnly(t)
		b.hint(t, "object_10", "update", "64d4f8a8da3540a94b74a0bd")
		b.clock.Advance(31 * time.Second)
		res, err := work(t, b, checker(b), worker.CheckHintsArgs{})
		if err != nil {
			t.Fatal(err)
		}
		requireEvent(t, res, river.EventKindJobCompleted, rivertype.JobStateCompleted)
		job := rivertest.RequireInserted(t.Context(), t, riverpgxv5.New(b.pool), worker.HintsArgs{},
			&rivertest.RequireInsertedOpts{Schema: dbmigrate.Schema})
		if job != nil && job.Args.Object != "object_10" {
			t.Errorf("hints job for %q, want object_10", job.Args.Object)
		}
	})

	t.Run("fresh hint waits for its own job", func(t *testing.T) {
		t.Parallel()
		b := dbOnly(t)
		b.hint(t, "object_10", "update", "64d4f8a8da3540a94b74a0bd")
		b.clock.Advance(10 * time.Second)
		res, err := work(t, b, checker(b), worker.CheckHintsArgs{})
		if err != nil {
			t.Fatal(err)
		}
		requireEvent(t, res, river.EventKindJobCompleted, rivertype.JobStateCompleted)
		rivertest.RequireNotInserted(t.Context(), t, riverpgxv5.New(b.pool), worker.HintsArgs{},
			&rivertest.RequireInsertedOpts{Schema: dbmigrate.Schema})
	})

	// With the service's own client (River's test worker turns uniqueness
	// off): an object whose job still waits gets no second one.
	t.Run("object with a waiting job gets no second", func(t *testing.T) {
		t.Parallel()
		b := dbOnly(t)
		client := insertOnly(t, b)
		if _, err := client.Insert(t.Context(), worker.HintsArgs{Object: "object_10"}, nil); err != nil {
			t.Fatal(err)
		}
		b.hint(t, "object_10", "update", "64d4f8a8da3540a94b74a0bd")
		b.hint(t, "object_29", "update", "64d4f8a8da3540a94b74a0be")
		b.clock.Advance(time.Minute)
		ctx := rivertest.WorkContext(t.Context(), client)
		if err := checker(b).Work(ctx, &river.Job[worker.CheckHintsArgs]{JobRow: &rivertype.JobRow{}}); err != nil {
			t.Fatal(err)
		}
		requireHintsJobs(t, b, "object_10", "object_29")
	})
}

// TestHintsAccept: hints and their jobs commit together, one job per object
// while one waits.
func TestHintsAccept(t *testing.T) {
	t.Parallel()
	b := dbOnly(t)
	h := &worker.Hints{Pool: b.pool, Store: b.store, Client: insertOnly(t, b), Now: b.clock.Now}
	batch := []store.Hint{
		{Object: "object_10", RecordID: "64d4f8a8da3540a94b74a0bd", Event: "update"},
		{Object: "object_10", RecordID: "64d4f8a8da3540a94b74a0be", Event: "create"},
		{Object: "object_29", RecordID: "64d4f8a8da3540a94b74a0bf", Event: "delete"},
	}
	for range 2 {
		if err := h.Accept(t.Context(), batch); err != nil {
			t.Fatal(err)
		}
	}
	if n := b.hints(t, "object_10"); n != 2 {
		t.Errorf("%d object_10 hints, want 2", n)
	}
	if n := b.count(t, `SELECT hints FROM knacksync.hints WHERE record_id = '64d4f8a8da3540a94b74a0bd'`); n != 2 {
		t.Errorf("record hinted twice counts %d hints", n)
	}
	if n := jobCount(t, b, worker.HintsArgs{}.Kind()); n != 2 {
		t.Errorf("%d hints jobs, want 2 (one per object)", n)
	}
}
