package worker_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"knacksync/internal/dbmigrate"
	"knacksync/internal/pglock"
	"knacksync/internal/store"
	"knacksync/internal/worker"
)

// syncBuffer is a log sink safe for River's and the workers' goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// sweepClient is a River client working sweeps only, holding its owner
// lock as serve does.
func (b *testBundle) sweepClient(t *testing.T, logger *slog.Logger) *river.Client[pgx.Tx] {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, &worker.SweepWorker{Syncer: b.syncer, Observer: &recordingObserver{}, Logger: logger, Now: b.clock.Now})
	c, err := worker.NewClient(b.pool, logger, worker.ClientOptions{Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	release, err := worker.HoldOwnerLock(t.Context(), b.store, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	return c
}

func (b *testBundle) jobState(t *testing.T, id int64) (state string, scheduledIn time.Duration) {
	t.Helper()
	var secs float64
	err := b.pool.QueryRow(t.Context(), `SELECT state::text, extract(epoch FROM scheduled_at - now()) FROM `+dbmigrate.Schema+`.river_job WHERE id = $1`, id).Scan(&state, &secs)
	if err != nil {
		t.Fatal(err)
	}
	return state, time.Duration(secs * float64(time.Second))
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", d, what)
		}
	}
}

// SIGTERM mid-sweep: River cancels the job's context when its soft stop
// runs out. The job must not complete with "sweep finished" while its run
// stays open: it comes back (snoozed, no attempt spent), the log says the
// sweep stopped and will resume, and the next client resumes the same run
// to the end.
func TestStoppedSweepResumes(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	b.sim.SetLatency(150*time.Millisecond, 0)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))

	first := b.sweepClient(t, logger)
	if err := first.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	res, err := first.Insert(t.Context(), worker.SweepArgs{Reason: "nightly"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jobID := res.Job.ID
	waitFor(t, "a page of the sweep", 30*time.Second, func() bool {
		return b.count(t, `SELECT count(*) FROM knacksync.run_objects ro JOIN knacksync.runs r ON r.id = ro.run_id
			WHERE r.kind = 'sweep' AND ro.pages > 0`) > 0
	})
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 20*time.Second)
	defer cancel()
	// What serve's shutdown comes to once River's soft stop times out.
	if err := first.StopAndCancel(stopCtx); err != nil {
		t.Fatal(err)
	}

	var runID int64
	var runStatus string
	if err := b.pool.QueryRow(t.Context(), `SELECT id, status FROM knacksync.runs WHERE kind = 'sweep'`).Scan(&runID, &runStatus); err != nil {
		t.Fatal(err)
	}
	if runStatus != store.StatusRunning {
		t.Fatalf("the stopped sweep's run is %s; the test stopped it too late", runStatus)
	}
	state, _ := b.jobState(t, jobID)
	if state != string(rivertype.JobStateScheduled) && state != string(rivertype.JobStateAvailable) {
		t.Errorf("the stopped sweep's job is %s with its run still running, want it to come back (scheduled or available)", state)
	}
	if strings.Contains(logs.String(), "sweep finished") || !strings.Contains(logs.String(), "sweep stopped; it will resume") {
		t.Errorf("log does not say the sweep stopped and will resume:\n%s", logs.String())
	}

	second := b.sweepClient(t, logger)
	if err := second.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = second.Stop(context.WithoutCancel(t.Context())) })
	waitFor(t, "the resumed sweep", 60*time.Second, func() bool {
		s, _ := b.jobState(t, jobID)
		return s == string(rivertype.JobStateCompleted)
	})
	var runs int
	if err := b.pool.QueryRow(t.Context(), `SELECT count(*), max(status) FROM knacksync.runs WHERE kind = 'sweep'`).Scan(&runs, &runStatus); err != nil {
		t.Fatal(err)
	}
	if runs != 1 || runStatus != store.StatusSucceeded {
		t.Errorf("%d sweep runs, status %s; want the one run resumed and succeeded", runs, runStatus)
	}
}

// A sweep job left running by a process killed with SIGKILL: nothing sweeps
// (the sweep lock is free) and its River client is gone (its owner lock is
// free). "Sync now" and the start-up catch-up resume it at once, not after
// River's rescue delay (hours); "sync now" does not answer already_queued
// for it. A job whose owner lives, or while a sweep runs, is left alone.
func TestDeadSweepResumes(t *testing.T) {
	t.Parallel()

	// orphan inserts a sweep job and marks it taken by owner, as River's
	// fetch does, and leaves it running.
	orphan := func(t *testing.T, b *testBundle, owner string) int64 {
		t.Helper()
		res, err := insertOnly(t, b).Insert(t.Context(), worker.SweepArgs{Reason: "nightly"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.pool.Exec(t.Context(), `UPDATE `+dbmigrate.Schema+`.river_job
			SET state = 'running', attempt = 1, attempted_at = now(), attempted_by = ARRAY[$2::text] WHERE id = $1`, res.Job.ID, owner); err != nil {
			t.Fatal(err)
		}
		return res.Job.ID
	}

	t.Run("sync now resumes a dead job", func(t *testing.T) {
		t.Parallel()
		b := dbOnly(t)
		id := orphan(t, b, "killed-client")
		q := worker.SweepQueue{Store: b.store, Client: insertOnly(t, b)}
		got, already, err := q.EnqueueSweep(t.Context(), "manual")
		if err != nil {
			t.Fatal(err)
		}
		if already || got != id {
			t.Errorf("sync now answered job %d, already queued %v; want the dead job %d resumed, not already queued", got, already, id)
		}
		if state, in := b.jobState(t, id); state != "available" || in > time.Second {
			t.Errorf("dead job is %s, due in %s; want available now", state, in)
		}
		if n := jobCount(t, b, "knack_sweep"); n != 1 {
			t.Errorf("%d sweep jobs, want the one resumed", n)
		}
	})

	t.Run("catch-up resumes a dead job", func(t *testing.T) {
		t.Parallel()
		b := dbOnly(t)
		id := orphan(t, b, "killed-client")
		reason, err := worker.CatchUp(t.Context(), b.store, insertOnly(t, b), "0 2 * * *", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if state, _ := b.jobState(t, id); state != "available" || !strings.Contains(reason, "resume") {
			t.Errorf("after catch-up (%q) the dead job is %s, want available", reason, state)
		}
	})

	t.Run("a live owner's job is left alone", func(t *testing.T) {
		t.Parallel()
		b := dbOnly(t)
		release, ok, err := b.store.TryLock(t.Context(), "river-client:live-client")
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		t.Cleanup(release)
		id := orphan(t, b, "live-client")
		_, already, err := worker.SweepQueue{Store: b.store, Client: insertOnly(t, b)}.EnqueueSweep(t.Context(), "manual")
		if err != nil {
			t.Fatal(err)
		}
		if state, _ := b.jobState(t, id); state != "running" || !already {
			t.Errorf("live job is %s, already queued %v; want running and already queued", state, already)
		}
	})

	t.Run("a running sweep's job is left alone", func(t *testing.T) {
		t.Parallel()
		b := dbOnly(t)
		holdAdvisoryLock(t, b.pool, pglock.Sweep) // another process sweeping
		id := orphan(t, b, "killed-client")
		ids, err := worker.ResumeDeadSweeps(t.Context(), b.store)
		if err != nil {
			t.Fatal(err)
		}
		if state, _ := b.jobState(t, id); state != "running" || len(ids) != 0 {
			t.Errorf("job is %s (resumed %v) while a sweep holds the lock, want running", state, ids)
		}
	})
}
