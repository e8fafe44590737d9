package main

import (
	"os/exec"
	"syscall"
	"testing"
	"time"

	"knacksync/internal/knacksim"
)

// `serve` killed with SIGKILL mid-sweep leaves River's job `running` with
// nobody working it; River would rescue it only after hours. The next
// start finds its sweep lock and its owner gone, and resumes the same run
// at once.
func TestServeResumesSweepAfterSIGKILL(t *testing.T) {
	t.Parallel()
	// Pages take 400 ms: the sweep (seven objects) lasts long enough to be
	// killed part-way.
	b := newBinaryStack(t, 3, knacksim.Options{RatePerSecond: 10, Latency: 400 * time.Millisecond}, "LOG_LEVEL=warn")
	pool := b.pool
	serve := func() *exec.Cmd {
		cmd, _ := b.serve(t)
		return cmd
	}
	sweepPages := `SELECT count(*) FROM knacksync.run_objects ro JOIN knacksync.runs r ON r.id = ro.run_id
		WHERE r.kind = 'sweep' AND r.status = 'running' AND ro.pages > 0`

	// A new database: the start-up catch-up enqueues a sweep.
	first := serve()
	for deadline := time.Now().Add(60 * time.Second); count(t, pool, sweepPages) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first serve never swept a page")
		}
	}
	_ = first.Process.Signal(syscall.SIGKILL)
	_ = first.Wait()
	if n := count(t, pool, `SELECT count(*) FROM knacksync.river_job WHERE kind = 'knack_sweep' AND state = 'running'`); n != 1 {
		t.Fatalf("%d sweep jobs left running by the killed process, want 1", n)
	}
	run := count(t, pool, `SELECT id FROM knacksync.runs WHERE kind = 'sweep' AND status = 'running'`)

	killedAt := time.Now()
	serve()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if count(t, pool, `SELECT count(*) FROM knacksync.runs WHERE id = $1 AND status = 'succeeded'`, run) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sweep run %d not resumed within a minute of the restart (job state %d running)", run,
				count(t, pool, `SELECT count(*) FROM knacksync.river_job WHERE kind = 'knack_sweep' AND state = 'running'`))
		}
	}
	t.Logf("run %d resumed and finished %s after the restart", run, time.Since(killedAt).Round(100*time.Millisecond))
	if n := count(t, pool, `SELECT count(*) FROM knacksync.runs WHERE kind = 'sweep'`); n != 1 {
		t.Errorf("%d sweep runs, want the one resumed", n)
	}
}
