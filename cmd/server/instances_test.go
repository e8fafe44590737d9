package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
	"knacksync/internal/vespa"
)

// Three `serve` processes on one database and one Knack that answers 429
// above 10 requests a second: they share the request budget (Knack never
// has to say 429), run one sweep between them although each finds it due
// on start, and apply every hint, whichever instance received it.
func TestThreeInstances(t *testing.T) {
	t.Parallel()
	const secret = "three-instances-secret-0123456789"
	bs := newBinaryStack(t, 11, knacksim.Options{RatePerSecond: 10, Latency: 30 * time.Millisecond},
		"WEBHOOK_SECRET="+secret, "LOG_LEVEL=warn", "WEBHOOK_RATE_LIMIT=100000")
	sim, pool := bs.sim, bs.pool
	var bases []string
	for range 3 {
		_, base := bs.serve(t)
		bases = append(bases, base)
	}
	for _, b := range bases {
		if err := waitReady(t.Context(), b); err != nil {
			t.Fatal(err)
		}
	}
	s := &stack{pool: pool, srv: &running{stderr: &syncBuffer{}}}
	s.waitFor(t, "the sweep", 60*time.Second, func() bool {
		return s.count(t, "SELECT count(*) FROM knacksync.runs WHERE kind = 'sweep' AND status = 'succeeded'") > 0
	})

	// Changes in Knack: hints reach the first instance from the simulator,
	// and the others get a storm of hints for the same records.
	sim.SetHook(bases[0]+"/webhooks/knack", secret)
	kn := knack.New(knack.Config{BaseURL: sim.URL(), AppID: sim.AppID(), APIKey: sim.APIKey(), RateLimit: 3})
	t.Cleanup(kn.CloseIdleConnections)
	f := vespa.Object10
	recs := sim.Records(f.Object)
	for i := range 12 {
		if _, err := kn.Update(context.Background(), f.Object, recs[i].ID, map[string]any{f.Group.Key: fmt.Sprintf("moved %d", i)}); err != nil {
			t.Fatal(err)
		}
		for _, b := range bases[1:] {
			for range 10 {
				if code := postHint(t, b, secret, f.Object, recs[i].ID, "update"); code != http.StatusAccepted {
					t.Fatalf("hint to %s answered %d", b, code)
				}
			}
		}
	}
	if err := sim.FlushHooks(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "the hints to settle", 60*time.Second, func() bool { return s.settled(t) })

	if n := sim.Counts().RateLimited; n != 0 {
		t.Errorf("Knack answered 429 %d times with three instances, want 0", n)
	}
	if n := s.count(t, "SELECT count(*) FROM knacksync.runs WHERE kind = 'sweep' AND full_sweep"); n != 1 {
		t.Errorf("%d full sweeps ran, want exactly one", n)
	}
	if diff := cmp.Diff(cleanDump(t, sim), dump(t, pool)); diff != "" {
		t.Errorf("the database differs from a clean sync of Knack (-clean +got):\n%s", diff)
	}
	for _, r := range recs[:12] {
		// Any year: dump leaves history out (docs/mapping.md rule 11).
		if s.count(t, `SELECT count(*) FROM students WHERE knack_id = $1`, r.ID) == 0 {
			t.Errorf("student %s missing", r.ID)
		}
	}
}
