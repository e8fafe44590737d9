package httpapi

import (
	"context"
	"time"
)

// slots bounds how many request bodies are read at once: each holds up to
// maxWebhookBody bytes, so n slots bound that memory to n × 256 KiB
// whatever the number of connections.
type slots chan struct{}

func newSlots(n int) slots { return make(slots, n) }

// acquire takes a slot, waiting at most wait (or until ctx ends); release
// gives it back.
func (s slots) acquire(ctx context.Context, wait time.Duration) (release func(), ok bool) {
	select {
	case s <- struct{}{}:
		return func() { <-s }, true
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case s <- struct{}{}:
		return func() { <-s }, true
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false
}
