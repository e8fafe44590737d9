package main

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"knacksync/internal/dbtest"
	"knacksync/internal/knack/knacktest"
	"knacksync/internal/knack/knacktest/vespagen"
)

// `serve` killed with SIGKILL mid-sweep leaves River's job `running` with
// nobody working it; River would rescue it only after hours. The next
// start finds its sweep lock and its owner gone, and resumes the same run
// at once.
func TestServeResumesSweepAfterSIGKILL(t *testing.T) {
	t.Parallel()
	bin, err := serverBinary()
	if err != nil {
		t.Fatal(err)
	}
	ds, err := vespagen.Generate(vespagen.Tiny, 3, time.Now().UTC().Truncate(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// Pages take 400 ms: the sweep (seven objects) lasts long enough to be
	// killed part-way.
	sim := knacktest.Start(t, knacktest.Options{Dataset: ds, RatePerSecond: 10, Latency: 400 * time.Millisecond})
	dbURL := dbtest.URL(t)
	pool := dbtest.Connect(t, dbURL)
	env := append(os.Environ(), "DATABASE_URL="+dbURL, "KNACK_API_URL="+sim.URL(), "KNACK_APP_ID="+sim.AppID(),
		"KNACK_API_KEY="+sim.APIKey(), "KNACK_RATE_LIMIT=10", "LOG_LEVEL=warn")
	serve := func() *exec.Cmd {
		addr, err := freeAddr()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "serve", "--addr", addr)
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
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
