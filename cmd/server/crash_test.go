package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/dbtest"
	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
	"knacksync/internal/knacksim/vespagen"
	"knacksync/internal/store"
	"knacksync/internal/syncer"
	"knacksync/internal/vespa"
)

// serverBinary builds this command once per test run.
var serverBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "knacksync-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "server")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", &buildError{string(out), err}
	}
	return bin, nil
})

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// A `server sync` killed with SIGKILL during a fetch, during the merges of
// the largest object, and while confirming deletes, deletes nothing, and
// the sync started again finishes with the database a clean run gives.
func TestSyncSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	bin, err := serverBinary()
	if err != nil {
		t.Fatal(err)
	}
	ds, err := vespagen.Generate(vespagen.Small, 5, time.Now().UTC().Truncate(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// Pages take 300 ms and Knack allows 10 a second: a sweep lasts long
	// enough to be killed where the test wants.
	sim := knacksim.Start(t, knacksim.Options{Dataset: ds, RatePerSecond: 10, Latency: 300 * time.Millisecond})
	gone := sim.Records(vespa.Object10.Object)[:2]

	dbURL := dbtest.URL(t)
	pool := dbtest.Connect(t, dbURL)
	env := append(os.Environ(), "DATABASE_URL="+dbURL, "KNACK_API_URL="+sim.URL(), "KNACK_APP_ID="+sim.AppID(),
		"KNACK_API_KEY="+sim.APIKey(), "KNACK_RATE_LIMIT=10", "LOG_LEVEL=warn")

	kills := []struct {
		name string
		when func() bool
	}{
		{"during the first pages of object_10", func() bool {
			return count(t, pool, `SELECT count(*) FROM knacksync.run_objects WHERE object = 'object_10' AND pages >= 1`) > 0
		}},
		{"during the merges of object_29", func() bool {
			return count(t, pool, `SELECT count(*) FROM knacksync.run_objects WHERE object = 'object_29' AND pages >= 1 AND status <> 'complete'`) > 0
		}},
	}
	for _, k := range kills {
		killSync(t, bin, env, k.name, k.when)
		if n := count(t, pool, `SELECT coalesce(sum(n_tup_del), 0) FROM pg_stat_user_tables WHERE schemaname = 'public'`); n != 0 {
			t.Fatalf("killed %s: %d rows deleted", k.name, n)
		}
	}
	syncToEnd(t, bin, env)
	if diff := cmp.Diff(cleanDump(t, sim), dump(t, pool)); diff != "" {
		t.Fatalf("after the kills the database differs from a clean sync (-clean +got):\n%s", diff)
	}

	// Two students deleted in Knack: the next sweep confirms each with a GET
	// (killed there) before their rows go.
	for _, r := range gone {
		sim.Delete(vespa.Object10.Object, r.ID)
	}
	getByID := func() int { return sim.Counts().ByRoute["GET /v1/objects/{object}/records/{id}"] }
	before := getByID()
	killSync(t, bin, env, "while confirming deletes", func() bool { return getByID() > before })
	if n := count(t, pool, `SELECT count(*) FROM students WHERE knack_id IN ($1, $2)`, gone[0].ID, gone[1].ID); n == 0 {
		t.Fatal("the killed sync deleted rows before it confirmed them")
	}

	syncToEnd(t, bin, env)
	if diff := cmp.Diff(cleanDump(t, sim), dump(t, pool)); diff != "" {
		t.Errorf("after the kill during deletes the database differs from a clean sync (-clean +got):\n%s", diff)
	}
}

// syncToEnd runs `server sync` and requires it to succeed.
func syncToEnd(t *testing.T, bin string, env []string) {
	t.Helper()
	cmd := exec.Command(bin, "sync")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sync after a kill: %v\n%s", err, out)
	}
}

// killSync starts `server sync` and kills it with SIGKILL once when holds.
func killSync(t *testing.T, bin string, env []string, name string, when func() bool) {
	t.Helper()
	cmd := exec.Command(bin, "sync")
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("sync ended before it could be killed %s: %v\n%s", name, err, out.String())
		default:
		}
		if when() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never reached the point to kill %s", name)
		}
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
	t.Logf("killed %s", name)
}

// cleanDump syncs the simulator into a fresh database and dumps it.
func cleanDump(t *testing.T, sim *knacksim.Server) map[string][]string {
	t.Helper()
	pool := dbtest.Pool(t)
	kn := knack.New(knack.Config{BaseURL: sim.URL(), AppID: sim.AppID(), APIKey: sim.APIKey(), RateLimit: 9})
	t.Cleanup(kn.CloseIdleConnections)
	if _, err := syncer.New(store.New(pool), kn, quietLogger(), time.Now, syncer.Config{}).Sweep(context.Background(), syncer.SweepOptions{}); err != nil {
		t.Fatal(err)
	}
	return dump(t, pool)
}

func count(t *testing.T, pool *pgxpool.Pool, query string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil && !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
