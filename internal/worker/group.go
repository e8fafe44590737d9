package worker

import (
	"context"
	"errors"
	"sync"
	"time"

	"knacksync/internal/store"
)

// Accepter records hints durably (Hints.Accept).
type Accepter interface {
	Accept(ctx context.Context, hints []store.Hint) error
}

// GroupCommit lets concurrent webhook requests share one transaction: a
// request's hints join the next commit, and Accept returns once that
// commit is durable, so a 202 still promises nothing that a crash can lose.
// One fsync then carries many requests, which is what lets ingest keep up
// with thousands of hints a second on a small machine.
//
// committers transactions run at once: while one commits, the next batch
// gathers.
type GroupCommit struct {
	next     Accepter
	reqs     chan groupReq
	maxHints int
	stopOnce sync.Once
	stop     chan struct{}
	wg       sync.WaitGroup
}

type groupReq struct {
	hints []store.Hint
	done  chan error
}

// commitTimeout bounds one batch's transaction.
const commitTimeout = 30 * time.Second

// ErrStopped is returned by Accept after Close.
var ErrStopped = errors.New("hint intake stopped")

// NewGroupCommit starts committers goroutines that write batches of up to
// maxHints hints through next. Close stops them.
func NewGroupCommit(next Accepter, committers, maxHints int) *GroupCommit {
	g := &GroupCommit{next: next, reqs: make(chan groupReq), maxHints: max(maxHints, 1), stop: make(chan struct{})}
	for range max(committers, 1) {
		g.wg.Go(g.commitLoop)
	}
	return g
}

// Accept queues hints for the next commit and waits until it is durable.
func (g *GroupCommit) Accept(ctx context.Context, hints []store.Hint) error {
	r := groupReq{hints: hints, done: make(chan error, 1)}
	select {
	case g.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-g.stop:
		return ErrStopped
	}
	// Once taken, the batch is committed or fails as a whole; the caller
	// waits for its outcome even if it gives up (its hints may be written:
	// a hint is only a hint, and a client that saw no 202 may send again).
	return <-r.done
}

// Close stops the committers after the batches in flight; later Accepts
// fail with ErrStopped.
func (g *GroupCommit) Close() {
	g.stopOnce.Do(func() { close(g.stop) })
	g.wg.Wait()
}

func (g *GroupCommit) commitLoop() {
	for {
		var first groupReq
		select {
		case first = <-g.reqs:
		case <-g.stop:
			return
		}
		batch := []groupReq{first}
		n := len(first.hints)
		// Take whatever else is waiting now, without waiting for more: a
		// lone request is committed at once.
	gather:
		for n < g.maxHints {
			select {
			case r := <-g.reqs:
				batch = append(batch, r)
				n += len(r.hints)
			default:
				break gather
			}
		}
		all := make([]store.Hint, 0, n)
		for _, r := range batch {
			all = append(all, r.hints...)
		}
		// Not any one request's context: the batch is shared.
		ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
		err := g.next.Accept(ctx, all)
		cancel()
		for _, r := range batch {
			r.done <- err
		}
	}
}
