package worker_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"knacksync/internal/dbtest"
	"knacksync/internal/store"
	"knacksync/internal/worker"
)

// counting counts the transactions (Accept calls) under the group commit.
type counting struct {
	next  worker.Accepter
	calls atomic.Int64
	fail  error
}

func (c *counting) Accept(ctx context.Context, hints []store.Hint) error {
	c.calls.Add(1)
	if c.fail != nil {
		return c.fail
	}
	return c.next.Accept(ctx, hints)
}

// Concurrent requests share transactions, and each returns only once its
// hints are in the database.
func TestGroupCommitSharesTransactions(t *testing.T) {
	t.Parallel()
	pool := dbtest.Pool(t)
	client, err := worker.NewClient(pool, slog.New(slog.DiscardHandler), worker.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(pool)
	c := &counting{next: &worker.Hints{Pool: pool, Store: st, Client: client, Now: epochNow}}
	g := worker.NewGroupCommit(c, 2, 1000)
	defer g.Close()

	const requests = 200
	var wg sync.WaitGroup
	errs := make([]error, requests)
	for i := range requests {
		wg.Go(func() {
			id := fmt.Sprintf("%024x", i+1)
			errs[i] = g.Accept(t.Context(), []store.Hint{{Object: "object_10", RecordID: id, Event: "update"}})
			if errs[i] != nil {
				return
			}
			// Durable when Accept returns: visible to another connection.
			var n int
			if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM knacksync.hints WHERE record_id = $1`, id).Scan(&n); err != nil || n != 1 {
				errs[i] = fmt.Errorf("hint %s not in the database after Accept returned (%d rows, %v)", id, n, err)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if calls := c.calls.Load(); calls >= requests {
		t.Errorf("%d transactions for %d concurrent requests: none shared", calls, requests)
	} else {
		t.Logf("%d requests in %d transactions", requests, calls)
	}
	var jobs int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM knacksync.river_job WHERE kind = 'knack_hints'`).Scan(&jobs); err != nil || jobs < 1 {
		t.Errorf("hints jobs: %d (%v), want at least one", jobs, err)
	}
}

// A failed commit fails every request in it; none is told its hints are
// safe.
func TestGroupCommitFailureReachesEveryRequest(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk full")
	g := worker.NewGroupCommit(&counting{fail: boom}, 1, 1000)
	defer g.Close()
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := range 20 {
		wg.Go(func() {
			if err := g.Accept(t.Context(), []store.Hint{{Object: "object_10", RecordID: fmt.Sprintf("%024x", i), Event: "update"}}); errors.Is(err, boom) {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() != 20 {
		t.Errorf("%d of 20 requests saw the failed commit", failed.Load())
	}
	g.Close()
	if err := g.Accept(t.Context(), nil); !errors.Is(err, worker.ErrStopped) {
		t.Errorf("Accept after Close: %v, want ErrStopped", err)
	}
}

func epochNow() time.Time { return epoch }
