package worker_test

import (
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"knacksync/internal/knack"
	"knacksync/internal/pglock"
	"knacksync/internal/store"
	"knacksync/internal/syncer"
	"knacksync/internal/worker"
)

func (b *testBundle) sweepWorker(obs worker.Observer) *worker.SweepWorker {
	return &worker.SweepWorker{Syncer: b.syncer, Observer: obs, Logger: b.logger, Now: b.clock.Now}
}

func TestSweepWorker(t *testing.T) {
	t.Parallel()

	t.Run("completes a full sweep", func(t *testing.T) {
		t.Parallel()
		b := setup(t, options{})
		obs := &recordingObserver{}
		res, err := work(t, b, b.sweepWorker(obs), worker.SweepArgs{Reason: "nightly"})
		if err != nil {
			t.Fatalf("work: %v", err)
		}
		requireEvent(t, res, river.EventKindJobCompleted, rivertype.JobStateCompleted)
		last, err := b.store.LastFullSweep(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if !last.After(epoch) {
			t.Errorf("last full sweep %s, want one after the clock's start %s", last, epoch)
		}
		if n := b.count(t, `SELECT count(*) FROM knacksync.runs WHERE kind = 'sweep' AND full_sweep AND status = 'succeeded'`); n != 1 {
			t.Errorf("%d succeeded full sweeps, want 1", n)
		}
		if len(obs.started) != 1 || obs.started[0] != "nightly" || len(obs.finished) != 1 {
			t.Fatalf("observer heard started %v, finished %d", obs.started, len(obs.finished))
		}
		f := obs.finished[0]
		if f.err != nil || f.run == nil || f.run.Status != store.StatusSucceeded || f.token != 1 {
			t.Errorf("observer finished with run %+v, err %v, token %v; want the succeeded run and the started token", f.run, f.err, f.token)
		}
	})

	// Another process sweeps: the job waits, and starts no run. The cron
	// check-in it opened is closed (notify closes it "ok" on
	// syncer.ErrSweepRunning): an open in-progress check-in that nobody
	// closes makes Sentry report the monitor as failed (timeout).
	t.Run("sweep running elsewhere snoozes", func(t *testing.T) {
		t.Parallel()
		b := setup(t, options{})
		holdAdvisoryLock(t, b.pool, pglock.Sweep) // another process sweeping
		obs := &recordingObserver{}
		res, _ := work(t, b, b.sweepWorker(obs), worker.SweepArgs{Reason: "nightly"})
		requireEvent(t, res, river.EventKindJobSnoozed, snoozed...)
		if d := time.Until(res.Job.ScheduledAt); d <= 0 {
			t.Errorf("snoozed job due %s from now, want later", d)
		}
		if n := b.count(t, `SELECT count(*) FROM knacksync.runs`); n != 0 {
			t.Errorf("%d runs started while another sweep ran", n)
		}
		if len(obs.started) != len(obs.finished) {
			t.Errorf("observer: %d sweeps started, %d finished: a check-in is left open", len(obs.started), len(obs.finished))
		}
		for _, f := range obs.finished {
			if !errors.Is(f.err, syncer.ErrSweepRunning) {
				t.Errorf("observer finished with %v, want syncer.ErrSweepRunning", f.err)
			}
		}
	})

	t.Run("quota spent snoozes", func(t *testing.T) {
		t.Parallel()
		b := setup(t, options{})
		if _, err := b.client.Get(t.Context(), "object_10", b.sim.Records("object_10")[0].ID); err != nil {
			t.Fatal(err)
		}
		b.sim.SetQuota(b.sim.QuotaUsed())
		obs := &recordingObserver{}
		res, _ := work(t, b, b.sweepWorker(obs), worker.SweepArgs{Reason: "nightly"})
		requireEvent(t, res, river.EventKindJobSnoozed, snoozed...)
		if d := time.Until(res.Job.ScheduledAt); d < 11*time.Hour {
			t.Errorf("snoozed for %s, want until the quota resets (about 12h)", d)
		}
		if len(obs.finished) != 1 || !errors.Is(obs.finished[0].err, knack.ErrQuotaExhausted) {
			t.Errorf("observer finished %+v, want one with the quota error", obs.finished)
		}
	})

	// A full sweep takes far longer than River's default job timeout.
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		if got := (&worker.SweepWorker{}).Timeout(nil); got != worker.SweepTimeout || got < time.Hour {
			t.Errorf("Timeout = %s, want SweepTimeout (%s)", got, worker.SweepTimeout)
		}
	})
}
