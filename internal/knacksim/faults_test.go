package knacksim

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFailRate(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.FailRate = 1 })
	seen := map[int]bool{}
	for range 40 {
		resp := b.c.get("/objects/object_2/records")
		if resp.status < 500 || resp.status > 504 || resp.status == 501 {
			t.Fatalf("status %d", resp.status)
		}
		if ct := resp.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(resp.body), "<html>") {
			t.Errorf("5xx body %s %q", ct, resp.body)
		}
		if resp.header.Get("X-RateLimit-Limit") == "" {
			t.Error("5xx without rate headers")
		}
		seen[resp.status] = true
	}
	if len(seen) != 4 {
		t.Errorf("statuses seen: %v, want 500, 502, 503 and 504", seen)
	}
	if c := b.s.Counts(); c.Failed != 40 || c.QuotaUsed != 40 {
		t.Errorf("counts %+v", c)
	}
	b.s.SetFailRate(0)
	if resp := b.c.get("/objects/object_2/records"); resp.status != 200 {
		t.Errorf("after SetFailRate(0): %d", resp.status)
	}
}

func TestFailRateShareAndSeed(t *testing.T) {
	t.Parallel()
	run := func() []int {
		b := setup(t, func(o *Options) { o.FailRate = 0.3; o.Seed = 42 })
		var out []int
		for range 200 {
			out = append(out, b.c.get("/objects/object_2/records").status)
		}
		return out
	}
	first, second := run(), run()
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("same seed, different faults (-first +second):\n%s", diff)
	}
	failed := 0
	for _, s := range first {
		if s >= 500 {
			failed++
		}
	}
	if failed < 30 || failed > 90 {
		t.Errorf("%d of 200 failed with FailRate 0.3", failed)
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Latency = 60 * time.Millisecond; o.Jitter = 40 * time.Millisecond })
	for range 3 {
		start := time.Now()
		if resp := b.c.get("/objects/object_2/records"); resp.status != 200 {
			t.Fatalf("status %d", resp.status)
		}
		if d := time.Since(start); d < 60*time.Millisecond || d > 2*time.Second {
			t.Errorf("took %v, want 60..100ms", d)
		}
	}
	b.s.SetLatency(0, 0)
	start := time.Now()
	b.c.get("/objects/object_2/records")
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("after SetLatency(0, 0): %v", d)
	}
	// A client that gives up stops the wait; the log says 499.
	b.s.SetLatency(10*time.Second, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", b.s.URL()+"/objects/object_2/records", nil)
	req.Header.Set("X-Knack-Application-Id", b.s.AppID())
	req.Header.Set("X-Knack-REST-API-Key", b.s.APIKey())
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	waitFor(t, func() bool { return b.s.Counts().ByStatus[statusGone] == 1 })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestTimeoutRate(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.TimeoutRate = 1 })
	c := &http.Client{Timeout: 100 * time.Millisecond}
	req, _ := http.NewRequest("GET", b.s.URL()+"/objects/object_2/records", nil)
	req.Header.Set("X-Knack-Application-Id", b.s.AppID())
	req.Header.Set("X-Knack-REST-API-Key", b.s.APIKey())
	start := time.Now()
	_, err := c.Do(req)
	if err == nil || time.Since(start) < 100*time.Millisecond {
		t.Fatalf("err = %v after %v, want a client timeout", err, time.Since(start))
	}
	waitFor(t, func() bool { c := b.s.Counts(); return c.TimedOut == 1 && c.ByStatus[statusGone] == 1 })

	// Without a client deadline the hang ends at TimeoutHang with a 504.
	h := setup(t, func(o *Options) { o.TimeoutRate = 1; o.TimeoutHang = 50 * time.Millisecond })
	if resp := h.c.get("/objects/object_2/records"); resp.status != http.StatusGatewayTimeout {
		t.Errorf("after TimeoutHang: %d", resp.status)
	}
	h.s.SetTimeoutRate(0)
	if resp := h.c.get("/objects/object_2/records"); resp.status != 200 {
		t.Errorf("after SetTimeoutRate(0): %d", resp.status)
	}
}

func TestCloseReleasesHangingRequests(t *testing.T) {
	t.Parallel()
	s, err := New(Options{TimeoutRate: 1, RatePerSecond: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest("GET", s.URL()+"/objects/object_1/records", nil)
		req.Header.Set("X-Knack-Application-Id", s.AppID())
		_, err := http.DefaultClient.Do(req)
		done <- err
	}()
	waitFor(t, func() bool { return s.Counts().TimedOut == 1 })
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("hanging request not released by Close")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v", d)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
