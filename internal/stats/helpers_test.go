package stats_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/dbtest"
	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
	"knacksync/internal/stats"
	"knacksync/internal/store"
	"knacksync/internal/syncer"
	"knacksync/internal/testkit"
)

// epoch is the tests' wall clock (testkit.Epoch): academic year 2025/2026.
var epoch = testkit.Epoch

var quiet = slog.New(slog.DiscardHandler)

// small is the small generated data set, shared read-only (testkit).
var small = testkit.Small

type bundle struct {
	pool  *pgxpool.Pool
	store *store.Store
	sim   *knacksim.Server
	kn    *knack.Client
	clock *testkit.Clock
	stats *stats.Stats
	sync  *syncer.Syncer
}

// setup syncs the small dataset into a fresh database with no statistics
// hook; withStats then attaches one.
func setup(t *testing.T) *bundle {
	t.Helper()
	ds, err := small()
	if err != nil {
		t.Fatal(err)
	}
	pool := dbtest.Pool(t)
	clk := testkit.NewClock(epoch)
	sim := knacksim.Start(t, knacksim.Options{Dataset: ds, RatePerSecond: -1, Seed: 7})
	kn := knack.New(knack.Config{BaseURL: sim.URL(), AppID: sim.AppID(), APIKey: sim.APIKey(), RateLimit: 1000, Now: clk.Now})
	t.Cleanup(kn.CloseIdleConnections)
	b := &bundle{pool: pool, store: store.New(pool), sim: sim, kn: kn, clock: clk}
	b.sync = syncer.New(b.store, kn, quiet, clk.Now, syncer.Config{})
	b.sweep(t)
	return b
}

// withStats attaches a statistics hook excluding domains from the national
// population.
func (b *bundle) withStats(exclude ...string) *bundle {
	b.stats = stats.New(b.pool, quiet, b.clock.Now, stats.Config{ExcludeDomains: exclude})
	b.sync = syncer.New(b.store, b.kn, quiet, b.clock.Now, syncer.Config{Stats: b.stats})
	return b
}

func (b *bundle) sweep(t *testing.T) *store.Run {
	t.Helper()
	run, err := b.sync.Sweep(t.Context(), syncer.SweepOptions{})
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	if run.Status != store.StatusSucceeded {
		t.Fatalf("sweep %d: %s (%s)", run.ID, run.Status, run.Error)
	}
	return run
}

// update changes a record in the simulator through its HTTP API, as an
// edit in the Knack app would.
func (b *bundle) update(t *testing.T, object, id string, fields map[string]any) {
	t.Helper()
	body, _ := json.Marshal(fields)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPut,
		fmt.Sprintf("%s/objects/%s/records/%s", b.sim.URL(), object, id), bytes.NewReader(body))
	req.Header.Set("X-Knack-Application-Id", b.sim.AppID())
	req.Header.Set("X-Knack-REST-API-Key", b.sim.APIKey())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("update %s/%s: %s", object, id, resp.Status)
	}
}

// hintAndProcess records update hints and runs one hint pass per object.
func (b *bundle) hintAndProcess(t *testing.T, hints ...store.Hint) {
	t.Helper()
	if err := pgx.BeginFunc(t.Context(), b.pool, func(tx pgx.Tx) error {
		return b.store.RecordHints(t.Context(), tx, hints, b.clock.Now())
	}); err != nil {
		t.Fatalf("record hints: %v", err)
	}
	done := map[string]bool{}
	for _, h := range hints {
		if done[h.Object] {
			continue
		}
		done[h.Object] = true
		if _, err := b.sync.ProcessHints(t.Context(), h.Object); err != nil {
			t.Fatalf("hints %s: %v", h.Object, err)
		}
	}
}

func queryInt(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func recomputeAll(t *testing.T, s *stats.Stats) stats.Result {
	t.Helper()
	res, err := s.RecomputeAll(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return res
}
