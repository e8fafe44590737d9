package knack

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	low := func(int64) int64 { return 0 }
	high := func(n int64) int64 { return n - 1 }
	const base, capd = 250 * time.Millisecond, 10 * time.Second
	tests := []struct {
		name  string
		retry int
		rnd   func(int64) int64
		want  time.Duration
	}{
		{"first retry, least jitter", 0, low, 125 * time.Millisecond},
		{"first retry, most jitter", 0, high, 250 * time.Millisecond},
		{"second retry doubles", 1, low, 250 * time.Millisecond},
		{"fourth retry", 3, high, 2 * time.Second},
		{"capped", 6, high, capd}, // 250ms × 64 = 16s > cap
		{"capped, least jitter", 6, low, capd / 2},
		{"huge retry number does not overflow", 1000, high, capd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := backoff(base, capd, tt.retry, tt.rnd); got != tt.want {
				t.Errorf("backoff(%d) = %s, want %s", tt.retry, got, tt.want)
			}
		})
	}
	t.Run("real jitter stays in range", func(t *testing.T) {
		t.Parallel()
		for retry := range 8 {
			d := min(base<<retry, capd)
			for range 100 {
				if got := backoff(base, capd, retry, nil); got < d/2 || got > d {
					t.Fatalf("backoff(%d) = %s, want within [%s, %s]", retry, got, d/2, d)
				}
			}
		}
	})
}

func TestRateLimitHeaders(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 3, 5, 13, 0, 0, 500e6, time.UTC)
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	noJitter := func(int64) int64 { return 0 }

	t.Run("quota exhausted", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			h    http.Header
			want bool
		}{
			{hdr("X-PlanLimit-Remaining", "0"), true},
			{hdr("x-planlimit-remaining", " 0 "), true},
			{hdr("X-PlanLimit-Remaining", "-3"), true},
			{hdr("X-PlanLimit-Remaining", "9888"), false},
			{hdr("X-PlanLimit-Remaining", ""), false},
			{hdr("X-PlanLimit-Remaining", "none"), false},
			{hdr(), false},
		}
		for _, tt := range tests {
			if got := quotaExhausted(tt.h); got != tt.want {
				t.Errorf("quotaExhausted(%v) = %v, want %v", tt.h, got, tt.want)
			}
		}
	})

	t.Run("quota reset", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name string
			h    http.Header
			want time.Time
		}{
			{"milliseconds until reset", hdr("X-PlanLimit-Reset", "10738500"), now.Add(10738500 * time.Millisecond)},
			{"missing: next midnight UTC", hdr(), time.Date(2024, 3, 6, 0, 0, 0, 0, time.UTC)},
			{"garbage: next midnight UTC", hdr("X-PlanLimit-Reset", "soon"), time.Date(2024, 3, 6, 0, 0, 0, 0, time.UTC)},
		}
		for _, tt := range tests {
			if got := quotaReset(tt.h, now); !got.Equal(tt.want) {
				t.Errorf("%s: quotaReset = %s, want %s", tt.name, got, tt.want)
			}
		}
	})

	t.Run("rate limit wait", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name   string
			h      http.Header
			want   time.Duration
			wantOK bool
		}{
			{"epoch seconds ahead", hdr("X-RateLimit-Reset", "1709643602"), 1500 * time.Millisecond, true},
			{"epoch milliseconds", hdr("X-RateLimit-Reset", "1709643602000"), 1500 * time.Millisecond, true},
			{"far ahead is capped", hdr("X-RateLimit-Reset", "1709650000"), 10 * time.Second, true},
			{"already past", hdr("X-RateLimit-Reset", "1709643600"), 0, false},
			{"missing", hdr(), 0, false},
			{"garbage", hdr("X-RateLimit-Reset", "later"), 0, false},
		}
		for _, tt := range tests {
			got, ok := rateLimitWait(tt.h, now, 10*time.Second, noJitter)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("%s: rateLimitWait = %s, %v; want %s, %v", tt.name, got, ok, tt.want, tt.wantOK)
			}
		}
	})

	t.Run("plan counters", func(t *testing.T) {
		t.Parallel()
		c := newCounters()
		if diff := cmp.Diff(int64(-1), c.snapshot().PlanLimitRemaining); diff != "" {
			t.Errorf("before any response: mismatch (-want +got):\n%s", diff)
		}
		c.plan(hdr("X-PlanLimit-Limit", "30000", "X-PlanLimit-Remaining", "29725"), now)
		c.plan(hdr("X-Other", "1"), now.Add(time.Hour)) // no plan headers: keeps the last seen
		c.response(200)
		c.response(200)
		c.response(429)
		c.response(0)
		c.canceled.Add(1)
		c.retries.Add(2)
		want := Stats{
			Requests:           5,
			ByStatus:           map[int]uint64{200: 2, 429: 1},
			TransportErrors:    1,
			Canceled:           1,
			Retries:            2,
			TooManyRequests:    1,
			PlanLimitRemaining: 29725,
			PlanLimitLimit:     30000,
			PlanLimitSeen:      now,
		}
		got := c.snapshot()
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestSleepHonoursContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	start := time.Now()
	if err := sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleep = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("sleep on a cancelled context took %s", d)
	}
}
