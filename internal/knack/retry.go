package knack

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Response headers Knack sends on every call (docs/knack-api.md §6.3).
const (
	hdrPlanLimit     = "X-PlanLimit-Limit"
	hdrPlanRemaining = "X-PlanLimit-Remaining"
	hdrPlanReset     = "X-PlanLimit-Reset" // milliseconds until the daily reset
	hdrRateReset     = "X-RateLimit-Reset" // Unix epoch seconds
)

// backoff is the wait before retry number retry (0 for the first retry):
// exponential from base, capped at maxWait, with "equal jitter" (half fixed,
// half random) so that concurrent callers spread out but always wait a
// little. rnd returns a value in [0, n); nil means math/rand/v2.
func backoff(base, maxWait time.Duration, retry int, rnd func(n int64) int64) time.Duration {
	if base <= 0 {
		return 0
	}
	d := base
	for i := 0; i < retry && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	if rnd == nil {
		rnd = rand.Int64N
	}
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + time.Duration(rnd(int64(d-half)+1))
}

// headerInt parses an integer header; ok is false when it is absent or not
// a number.
func headerInt(h http.Header, name string) (int64, bool) {
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		// Tolerate "123.0".
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil {
			return 0, false
		}
		n = int64(f)
	}
	return n, true
}

// quotaExhausted tells a daily-quota 429 from a per-second one: only the
// former says X-PlanLimit-Remaining: 0.
func quotaExhausted(h http.Header) bool {
	n, ok := headerInt(h, hdrPlanRemaining)
	return ok && n <= 0
}

// quotaReset is when the daily quota resets: now plus X-PlanLimit-Reset
// milliseconds, or the next 00:00 UTC when the header is missing (that is
// when Knack resets, docs/knack-api.md §6.2).
func quotaReset(h http.Header, now time.Time) time.Time {
	if ms, ok := headerInt(h, hdrPlanReset); ok && ms >= 0 {
		return now.Add(time.Duration(ms) * time.Millisecond)
	}
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

// rateLimitReset reads X-RateLimit-Reset, epoch seconds (milliseconds are
// accepted too, in case a proxy or a future API version sends them).
func rateLimitReset(h http.Header) (time.Time, bool) {
	n, ok := headerInt(h, hdrRateReset)
	if !ok || n <= 0 {
		return time.Time{}, false
	}
	if n > 1e12 {
		return time.UnixMilli(n), true
	}
	return time.Unix(n, 0), true
}

// rateLimitWait is how long to wait after a per-second 429: until
// X-RateLimit-Reset (plus a little jitter so that concurrent callers do not
// return in one burst), capped at maxWait; ok is false when the header is
// missing or already past, and the caller then backs off instead.
func rateLimitWait(h http.Header, now time.Time, maxWait time.Duration, rnd func(n int64) int64) (time.Duration, bool) {
	reset, ok := rateLimitReset(h)
	if !ok {
		return 0, false
	}
	d := reset.Sub(now)
	if d <= 0 {
		return 0, false
	}
	if rnd == nil {
		rnd = rand.Int64N
	}
	d += time.Duration(rnd(int64(100 * time.Millisecond)))
	return min(d, maxWait), true
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
