package knacksim

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	clk := &clock{t: fixedNow.Add(400 * time.Millisecond)}
	b := setup(t, func(o *Options) { o.RatePerSecond = 3; o.DailyQuota = 100; o.Now = clk.now })
	path := "/objects/object_2/records"
	for i := 1; i <= 3; i++ {
		resp := b.c.get(path)
		if resp.status != 200 {
			t.Fatalf("request %d: %d", i, resp.status)
		}
		if got := resp.header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(3-i) {
			t.Errorf("request %d: X-RateLimit-Remaining %s", i, got)
		}
		if got := resp.header.Get("X-PlanLimit-Remaining"); got != strconv.Itoa(100-i) {
			t.Errorf("request %d: X-PlanLimit-Remaining %s", i, got)
		}
	}
	// The schema endpoint counts toward neither limit.
	if resp := b.c.get("/applications/" + b.s.AppID()); resp.status != 200 {
		t.Fatalf("schema: %d", resp.status)
	}
	for i := 0; i < 3; i++ {
		resp := b.c.get(path)
		if resp.status != http.StatusTooManyRequests || string(resp.body) != "Rate limit exceeded" {
			t.Fatalf("over the rate: %d %q", resp.status, resp.body)
		}
		h := resp.header
		if h.Get("X-RateLimit-Limit") != "3" || h.Get("X-RateLimit-Remaining") != "0" ||
			h.Get("X-RateLimit-Reset") != strconv.FormatInt(fixedNow.Unix()+1, 10) {
			t.Errorf("429 rate headers: %v", h)
		}
		// Rejected requests do not count toward the quota.
		if h.Get("X-PlanLimit-Remaining") != "97" || h.Get("X-PlanLimit-Limit") != "100" {
			t.Errorf("429 plan headers: %v", h)
		}
	}
	clk.add(time.Second) // the next second
	if resp := b.c.get(path); resp.status != 200 || resp.header.Get("X-RateLimit-Remaining") != "2" {
		t.Errorf("next second: %d remaining %s", resp.status, resp.header.Get("X-RateLimit-Remaining"))
	}
	c := b.s.Counts()
	if c.RateLimited != 3 || c.QuotaUsed != 4 || c.ByStatus[429] != 3 {
		t.Errorf("counts = %+v", c)
	}
	// SetRate at run time; negative is unlimited.
	b.s.SetRate(-1)
	for i := 0; i < 5; i++ {
		if resp := b.c.get(path); resp.status != 200 || resp.header.Get("X-RateLimit-Limit") != "100000000" {
			t.Fatalf("unlimited: %d %v", resp.status, resp.header)
		}
	}
	b.s.SetRate(0)
	if resp := b.c.get(path); resp.status != 429 {
		t.Errorf("rate 0: %d", resp.status)
	}
}

func TestDailyQuota(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2024, 3, 15, 23, 59, 58, 0, time.UTC)}
	b := setup(t, func(o *Options) { o.DailyQuota = 4; o.Now = clk.now })
	path := "/objects/object_2/records"
	for i := 1; i <= 4; i++ {
		if resp := b.c.get(path); resp.status != 200 {
			t.Fatalf("request %d: %d", i, resp.status)
		}
	}
	for i := 0; i < 2; i++ {
		resp := b.c.get(path)
		if resp.status != 429 || string(resp.body) != "Rate limit exceeded" {
			t.Fatalf("over the quota: %d %q", resp.status, resp.body)
		}
		if h := resp.header; h.Get("X-PlanLimit-Remaining") != "0" || h.Get("X-PlanLimit-Limit") != "4" || h.Get("X-PlanLimit-Reset") != "2000" {
			t.Errorf("quota 429 headers: %v", h)
		}
	}
	if c := b.s.Counts(); c.QuotaExceeded != 2 || c.QuotaUsed != 4 {
		t.Errorf("counts = %+v", c)
	}
	// Raising the quota at run time lets requests through; so does midnight UTC.
	b.s.SetQuota(5)
	if resp := b.c.get(path); resp.status != 200 || resp.header.Get("X-PlanLimit-Remaining") != "0" {
		t.Errorf("after SetQuota(5): %d %v", resp.status, resp.header)
	}
	clk.add(3 * time.Second)
	resp := b.c.get(path)
	if resp.status != 200 || resp.header.Get("X-PlanLimit-Remaining") != "4" || resp.header.Get("X-PlanLimit-Reset") != strconv.Itoa(86399000) {
		t.Errorf("next day: %d %v", resp.status, resp.header)
	}
}

func TestRateLimitRealClock(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.RatePerSecond = 5; o.Now = nil })
	var ok, limited atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range 20 {
		wg.Go(func() {
			switch b.c.get("/objects/object_2/records").status {
			case 200:
				ok.Add(1)
			case 429:
				limited.Add(1)
			}
		})
	}
	wg.Wait()
	seconds := int64(time.Since(start)/time.Second) + 2 // the burst may straddle second boundaries
	if ok.Load() > 5*seconds || limited.Load() == 0 || ok.Load()+limited.Load() != 20 {
		t.Errorf("%d ok, %d limited over %d seconds", ok.Load(), limited.Load(), seconds)
	}
}
