package worker_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"knacksync/internal/knack"
	"knacksync/internal/syncer"
	"knacksync/internal/worker"
)

// gatedKnack is the real client whose listing of one object stops after
// fetching its first page and before handing it on, until released: a sweep
// holding a page it fetched a moment ago.
type gatedKnack struct {
	*knack.Client
	object   string
	armed    atomic.Bool
	once     sync.Once
	fetched  chan struct{} // closed when the page is fetched
	released chan struct{} // closed by the test
}

func (g *gatedKnack) List(ctx context.Context, object string, opts knack.ListOptions, fn func(knack.Page) error) error {
	if object != g.object || !g.armed.Load() {
		return g.Client.List(ctx, object, opts, fn)
	}
	return g.Client.List(ctx, object, opts, func(p knack.Page) error {
		g.once.Do(func() {
			close(g.fetched)
			select {
			case <-g.released:
			case <-ctx.Done():
			}
		})
		return fn(p)
	})
}

// TestHintDuringSweepIsNotLost: docs/architecture.md, "No lost update". A
// sweep fetches a page; the record then changes in Knack and its hint is
// fetched and applied; then the sweep applies the page it fetched before
// the change. The newer data must win, or the record must be fetched again
// (a hint or job left behind): otherwise the change is lost until the next
// nightly sweep.
func TestHintDuringSweepIsNotLost(t *testing.T) {
	t.Parallel()
	const obj = "object_10"
	gate := &gatedKnack{object: obj, fetched: make(chan struct{}), released: make(chan struct{})}
	b := setup(t, options{wrap: func(c *knack.Client) syncer.Knack {
		gate.Client = c
		return gate
	}})
	b.sweep(t)
	id, effort := b.plainStudent(t)
	newEffort := effort%10 + 1 // 1 to 10, never the old value

	// The second sweep stops with object_10's page fetched (old effort).
	gate.armed.Store(true)
	release := sync.OnceFunc(func() { close(gate.released) })
	var sweepErr error
	sweepDone := make(chan struct{})
	go func() {
		defer close(sweepDone)
		_, sweepErr = b.syncer.Sweep(context.WithoutCancel(t.Context()), syncer.SweepOptions{})
	}()
	// On an early failure, let the sweep finish before the pool closes
	// (cleanups run last in, first out).
	t.Cleanup(func() {
		release()
		<-sweepDone
	})
	select {
	case <-gate.fetched:
	case <-sweepDone:
		t.Fatalf("sweep ended before the gate: %v", sweepErr)
	case <-time.After(20 * time.Second):
		t.Fatal("the sweep never fetched object_10")
	}

	// The record changes in Knack; its hint is taken and applied.
	b.set(t, obj, id, map[string]any{effortKey: newEffort})
	b.hint(t, obj, "update", id)
	res, err := work(t, b, b.hintsWorker(), worker.HintsArgs{Object: obj})
	if err != nil {
		t.Fatalf("work: %v", err)
	}
	switch res.EventKind {
	case river.EventKindJobCompleted:
		if got := b.effort(t, id); got != newEffort {
			t.Fatalf("after the hints job: effort %d, want %d", got, newEffort)
		}
	default:
		// Waiting for the sweep is a fine answer too: the hint stays.
		t.Logf("hints job ended %s while the sweep ran", res.EventKind)
	}
	// The sweep goes on with the page it fetched before the change.
	release()
	<-sweepDone
	if sweepErr != nil {
		t.Fatalf("sweep: %v", sweepErr)
	}

	got := b.effort(t, id)
	pending := b.hints(t, obj)
	if got != newEffort && pending == 0 {
		t.Errorf("lost update: Knack has effort %d for %s, the database %d (the sweep's older page overwrote the hinted fetch), and no hint is left to fetch it again",
			newEffort, id, got)
	}
}
