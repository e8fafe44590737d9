package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/dbtest"
)

// A demo starts from a fresh database of its own every time: a second run
// never shows the first run's rows (nor holds the deletions they would
// look like), and it refuses, changing nothing, while another demo uses it.
func TestDemoStartsFresh(t *testing.T) {
	t.Parallel()
	dbURL := dbtest.URL(t)
	demoURL := withDatabase(dbURL, demoDatabase(dbURL))
	t.Cleanup(func() { _ = dropDatabase(context.Background(), dbURL, demoDatabase(dbURL), true) })
	getenv := func(k string) string {
		return map[string]string{"DATABASE_URL": dbURL, "LOG_LEVEL": "warn"}[k]
	}
	start := func(ctx context.Context) (addr string, done chan error) {
		addr, err := freeAddr()
		if err != nil {
			t.Fatal(err)
		}
		done = make(chan error, 1)
		go func() {
			var out, errOut bytes.Buffer
			done <- run(ctx, []string{"server", "demo", "--scale", "tiny", "--activity", "0", "--addr", addr},
				getenv, strings.NewReader(""), &out, &errOut)
		}()
		return addr, done
	}
	sweptOnce := func(t *testing.T, pool *pgxpool.Pool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			var n int
			err := pool.QueryRow(t.Context(), `SELECT count(*) FROM knacksync.runs WHERE kind = 'sweep' AND status = 'succeeded'`).Scan(&n)
			if err == nil && n > 0 {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatal("no successful sweep within 60 s")
	}

	ctx1, stop1 := context.WithCancel(t.Context())
	addr, done1 := start(ctx1)
	if err := waitReady(t.Context(), "http://"+addr); err != nil {
		t.Fatal(err)
	}
	pool := dbtest.Connect(t, demoURL)
	sweptOnce(t, pool)
	// A row the next demo's data would not have.
	if _, err := pool.Exec(t.Context(), `INSERT INTO public.establishments (knack_id, name) VALUES ('stale000000000000000001', 'Left over')`); err != nil {
		t.Fatal(err)
	}
	pool.Close()

	// While the first demo runs, a second refuses.
	_, done2 := start(t.Context())
	select {
	case err := <-done2:
		if err == nil || !strings.Contains(err.Error(), "another demo") {
			t.Errorf("second demo beside a running one: %v, want a refusal naming another demo", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("second demo beside a running one neither refused nor stopped")
	}

	stop1()
	if err := <-done1; err != nil {
		t.Fatalf("first demo: %v", err)
	}
	ctx3, stop3 := context.WithCancel(t.Context())
	defer stop3()
	addr, done3 := start(ctx3)
	if err := waitReady(t.Context(), "http://"+addr); err != nil {
		t.Fatal(err)
	}
	pool = dbtest.Connect(t, demoURL)
	defer pool.Close()
	sweptOnce(t, pool)
	var stale int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM public.establishments WHERE knack_id = 'stale000000000000000001'`).Scan(&stale); err != nil {
		t.Fatal(err)
	}
	if stale != 0 {
		t.Error("the second demo shows the first demo's rows: its database was not fresh")
	}
	var held int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM knacksync.held_deletions`).Scan(&held); err != nil {
		t.Fatal(err)
	}
	if held != 0 {
		t.Errorf("%d held deletions in a fresh demo", held)
	}
	pool.Close()
	stop3()
	if err := <-done3; err != nil {
		t.Errorf("second demo: %v", err)
	}
}
