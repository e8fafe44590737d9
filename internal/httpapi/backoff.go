package httpapi

import (
	"sync"
	"time"
)

// Admin password throttling (per source, Server.sourceOf).
const (
	// freeFailures wrong credentials in a row are answered 401 as usual;
	// after them each try must wait: 1 s, then 2 s, 4 s ... up to
	// maxFailureWait. Guessing is then a few hundred tries a day from one
	// address instead of thousands a minute.
	freeFailures   = 5
	firstWait      = time.Second
	maxFailureWait = 15 * time.Minute
	// failureMemory: a source with no wrong try for this long starts
	// afresh.
	failureMemory = time.Hour
	// maxFailureSources bounds the memory; past it, new sources are not
	// tracked until idle ones expire (the real admin is never locked out
	// by others' failures: each source has its own count).
	maxFailureSources = 10000
)

// failureBackoff counts wrong admin credentials per source. A source that
// has used its free failures is refused (429, Retry-After) until its wait
// is over, without its credentials being checked; each wrong try after
// that doubles the wait; a right one resets the source. Other sources are
// not affected, so an attacker cannot lock the admin out from elsewhere.
type failureBackoff struct {
	mu      sync.Mutex
	now     func() time.Time
	sources map[string]*failureCount
	swept   time.Time
}

type failureCount struct {
	n     int
	until time.Time // no try judged before
	last  time.Time
}

func newFailureBackoff(now func() time.Time) *failureBackoff {
	return &failureBackoff{now: now, sources: map[string]*failureCount{}}
}

// wait is how long source must still wait before a try is judged; 0 when
// it may try now.
func (b *failureBackoff) wait(source string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	f := b.sources[source]
	if f == nil {
		return 0
	}
	return max(f.until.Sub(b.now()), 0)
}

// failed counts a wrong try by source.
func (b *failureBackoff) failed(source string) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Sub(b.swept) > time.Minute {
		for k, f := range b.sources {
			if now.Sub(f.last) > failureMemory {
				delete(b.sources, k)
			}
		}
		b.swept = now
	}
	f := b.sources[source]
	if f == nil {
		if len(b.sources) >= maxFailureSources {
			return
		}
		f = &failureCount{}
		b.sources[source] = f
	}
	f.n++
	f.last = now
	if f.n >= freeFailures {
		f.until = now.Add(failureWait(f.n - freeFailures))
	}
}

// succeeded forgets source's failures.
func (b *failureBackoff) succeeded(source string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.sources, source)
}

// failureWait is the wait after the k-th failure past the free ones
// (k = 0 is the last free one): firstWait × 2^k, at most maxFailureWait.
func failureWait(k int) time.Duration {
	if k >= 30 {
		return maxFailureWait
	}
	return min(firstWait<<k, maxFailureWait)
}
