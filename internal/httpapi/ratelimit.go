package httpapi

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// sourceLimiter is a token bucket per source address, for the webhook: a
// flood from one sender (a broken Flow, a browser loop) gets 429s and
// cannot starve the others. Buckets idle for a while are dropped, so that
// memory stays bounded whatever the number of senders.
type sourceLimiter struct {
	mu      sync.Mutex
	perSec  rate.Limit
	burst   int
	buckets map[string]*bucket
	swept   time.Time
	now     func() time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxSources bounds the buckets kept; past it, idle ones go first and then
// new sources share one overflow bucket.
const maxSources = 10000

func newSourceLimiter(perSec float64, now func() time.Time) *sourceLimiter {
	return &sourceLimiter{perSec: rate.Limit(perSec), burst: max(1, int(2*perSec)), buckets: map[string]*bucket{}, now: now}
}

// allow takes a token for source (Server.sourceOf); retry is how long to
// wait when it was refused.
func (l *sourceLimiter) allow(source string) (ok bool, retry time.Duration) {
	host := source
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, found := l.buckets[host]
	if !found {
		if len(l.buckets) >= maxSources {
			host = "overflow"
			b = l.buckets[host]
		}
		if b == nil {
			b = &bucket{lim: rate.NewLimiter(l.perSec, l.burst)}
			l.buckets[host] = b
		}
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}
