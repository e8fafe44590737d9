package worker_test

// End-to-end tests of the hints job: River's test worker, the real syncer,
// store and Knack client, the simulator over HTTP and a fresh migrated
// database per test.

import (
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"knacksync/internal/knack"
	"knacksync/internal/pglock"
	"knacksync/internal/worker"
)

func (b *testBundle) hintsWorker() *worker.HintsWorker {
	return &worker.HintsWorker{Syncer: b.syncer, Locker: b.store, Store: b.store, Logger: b.logger, Now: b.clock.Now}
}

func TestHintsWorker(t *testing.T) {
	t.Parallel()
	const obj = "object_10"

	t.Run("update applied", func(t *testing.T) {
		t.Parallel()
		b := setup(t, options{})
		b.sweep(t)
		id, effort := b.plainStudent(t)
		newEffort := effort%10 + 1 // 1 to 10, never the old value
		b.set(t, obj, id, map[string]any{effortKey: newEffort})
		// A burst of hints for the record: one fetch.
		b.hint(t, obj, "update", id)
		b.hint(t, obj, "update", id)
		b.hint(t, obj, "update", id)
		b.sim.ResetLog()

		res, err := work(t, b, b.hintsWorker(), worker.HintsArgs{Object: obj})
		if err != nil {
			t.Fatalf("work: %v", err)
		}
		requireEvent(t, res, river.EventKindJobCompleted, rivertype.JobStateCompleted)
		if n := b.hints(t, obj); n != 0 {
			t.Errorf("%d hints left, want 0", n)
		}
		if got := b.effort(t, id); got != newEffort {
			t.Errorf("effort of %s = %d, want %d (the change was not applied)", id, got, newEffort)
		}
		c := b.sim.Counts()
		if c.Total != 1 || c.ByRoute[getRecordRoute] != 1 {
			t.Errorf("Knack requests %v, want exactly one GET of the record", c.ByRoute)
		}
	})

	t.Run("daily quota spent snoozes until it resets", func(t *testing.T) {
		t.Parallel()
		b := setup(t, options{})
		id := b.sim.Records(obj)[0].ID
		// Spend the day's quota: one request, and a quota of one.
		if _, err := b.client.Get(t.Context(), obj, id); err != nil {
			t.Fatal(err)
		}
		b.sim.SetQuota(b.sim.QuotaUsed())
		b.hint(t, obj, "update", id)

		before := time.Now()
		res, _ := work(t, b, b.hintsWorker(), worker.HintsArgs{Object: obj})
		requireEvent(t, res, river.EventKindJobSnoozed, snoozed...)
		// The quota resets at 00:00 UTC: 12 hours after the clock's noon,
		// plus the minute of slack.
		wait := res.Job.ScheduledAt.Sub(before)
		if wait < 12*time.Hour-time.Minute || wait > 12*time.Hour+3*time.Minute {
			t.Errorf("snoozed for %s, want about 12h01m (until the quota resets)", wait)
		}
		if res.Job.Attempt != 0 {
			t.Errorf("attempt %d after a snooze, want 0 (a snooze spends no attempt)", res.Job.Attempt)
		}
		if n := b.hints(t, obj); n != 1 {
			t.Errorf("%d hints left, want the 1 kept", n)
		}
	})

	t.Run("server errors retry", func(t *testing.T) {
		t.Parallel()
		b := setup(t, options{maxRetries: -1})
		id := b.sim.Records(obj)[0].ID
		b.sim.SetFailRate(1)
		b.hint(t, obj, "update", id)

		res, err := work(t, b, b.hintsWorker(), worker.HintsArgs{Object: obj})
		requireEvent(t, res, river.EventKindJobFailed, retried...)
		if !errors.Is(err, knack.ErrServer) {
			t.Errorf("job error %v, want knack.ErrServer", err)
		}
		if n := b.hints(t, obj); n != 1 {
			t.Errorf("%d hints left, want the 1 kept", n)
		}
	})

	t.Run("unauthorized cancels", func(t *testing.T) {
		t.Parallel()
		b := setup(t, options{apiKey: "00000000-0000-4000-8000-000000000000"})
		b.hint(t, obj, "update", b.sim.Records(obj)[0].ID)

		res, _ := work(t, b, b.hintsWorker(), worker.HintsArgs{Object: obj})
		requireEvent(t, res, river.EventKindJobCancelled, rivertype.JobStateCancelled)
		if n := b.hints(t, obj); n != 1 {
			t.Errorf("%d hints left, want the 1 kept", n)
		}
	})

	// Rule 11: a record gone from Knack loses its rows.
	t.Run("delete of a deleted record", func(t *testing.T) {
		t.Parallel()
		b := setup(t, options{})
		b.sweep(t)
		id, _ := b.plainStudent(t)
		if !b.sim.Delete(obj, id) {
			t.Fatal("simulator delete failed")
		}
		b.hint(t, obj, "delete", id)

		res, err := work(t, b, b.hintsWorker(), worker.HintsArgs{Object: obj})
		if err != nil {
			t.Fatalf("work: %v", err)
		}
		requireEvent(t, res, river.EventKindJobCompleted, rivertype.JobStateCompleted)
		if n := b.count(t, `SELECT count(*) FROM public.students WHERE knack_id = $1`, id); n != 0 {
			t.Errorf("%d students rows of the deleted record remain", n)
		}
		if n := b.count(t, `SELECT count(*) FROM public.vespa_scores v JOIN public.students s ON s.id = v.student_id WHERE s.knack_id = $1`, id); n != 0 {
			t.Errorf("%d vespa_scores rows of the deleted record remain", n)
		}
		if n := b.count(t, `SELECT count(*) FROM knacksync.records WHERE object = $1 AND record_id = $2 AND deleted_at IS NOT NULL`, obj, id); n != 1 {
			t.Errorf("the mirror does not mark %s deleted", id)
		}
		if n := b.hints(t, obj); n != 0 {
			t.Errorf("%d hints left, want 0", n)
		}
	})

	// The hint is only a hint: Knack says the record exists, so nothing is
	// deleted (a forged or out-of-order delete hint costs one fetch).
	t.Run("delete of a record that exists", func(t *testing.T) {
		t.Parallel()
		b := setup(t, options{})
		b.sweep(t)
		id, effort := b.plainStudent(t)
		b.hint(t, obj, "delete", id)

		res, err := work(t, b, b.hintsWorker(), worker.HintsArgs{Object: obj})
		if err != nil {
			t.Fatalf("work: %v", err)
		}
		requireEvent(t, res, river.EventKindJobCompleted, rivertype.JobStateCompleted)
		if n := b.count(t, `SELECT count(*) FROM public.students WHERE knack_id = $1`, id); n != 1 {
			t.Errorf("%d students rows of the live record, want 1", n)
		}
		if got := b.effort(t, id); got != effort {
			t.Errorf("effort %d, want %d unchanged", got, effort)
		}
		if n := b.count(t, `SELECT count(*) FROM knacksync.records WHERE object = $1 AND record_id = $2 AND deleted_at IS NULL`, obj, id); n != 1 {
			t.Errorf("the mirror lost the live record %s", id)
		}
		if n := b.hints(t, obj); n != 0 {
			t.Errorf("%d hints left, want 0", n)
		}
	})

	// Passes for one object never run side by side.
	t.Run("object locked snoozes", func(t *testing.T) {
		t.Parallel()
		b := setup(t, options{})
		release, ok, err := b.store.TryLock(t.Context(), "hints:"+obj)
		if err != nil || !ok {
			t.Fatalf("TryLock: %v %v", ok, err)
		}
		defer release()
		b.hint(t, obj, "update", b.sim.Records(obj)[0].ID)
		b.sim.ResetLog()

		res, _ := work(t, b, b.hintsWorker(), worker.HintsArgs{Object: obj})
		requireEvent(t, res, river.EventKindJobSnoozed, snoozed...)
		if n := b.hints(t, obj); n != 1 {
			t.Errorf("%d hints left, want the 1 kept", n)
		}
		if c := b.sim.Counts(); c.Total != 0 {
			t.Errorf("%d Knack requests while the object was locked, want 0", c.Total)
		}
	})

	// More hints than the object has pages: the object is listed instead,
	// without the sweep lock, so a sweep running elsewhere (of any object)
	// does not hold the hints up.
	t.Run("listing instead while a sweep runs", func(t *testing.T) {
		t.Parallel()
		b := setup(t, options{})
		b.sweep(t)
		recs := b.sim.Records(obj)
		b.hint(t, obj, "update", recs[0].ID, recs[1].ID)
		holdAdvisoryLock(t, b.pool, pglock.Sweep) // another process sweeping

		res, _ := work(t, b, b.hintsWorker(), worker.HintsArgs{Object: obj})
		requireEvent(t, res, river.EventKindJobCompleted, "completed")
		if n := b.hints(t, obj); n != 0 {
			t.Errorf("%d hints left, want none", n)
		}
	})
}
