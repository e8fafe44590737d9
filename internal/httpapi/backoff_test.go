package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
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

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func adminGetFrom(addr, password string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/api/status", nil)
	req.RemoteAddr = addr
	req.SetBasicAuth("admin", password)
	return req
}

// Wrong admin passwords from one source: the first freeFailures are 401s;
// then the source waits (429, Retry-After) 1 s, 2 s, 4 s ... between tries,
// right password or not; another source (the real admin) is served all
// along; a right password after the wait resets the source.
func TestAdminPasswordBackoff(t *testing.T) {
	t.Parallel()
	clk := &clock{t: testNow}
	b := setup(t, func(d *Deps) { d.Now = clk.now })
	const attacker, admin = "198.51.100.9:4000", "203.0.113.7:5000"
	const right, wrong = "admin-password-123", "guess"

	try := func(addr, password string) (int, int) {
		t.Helper()
		rec := b.serve(adminGetFrom(addr, password))
		ra, _ := strconv.Atoi(rec.Header().Get("Retry-After"))
		return rec.Code, ra
	}
	for i := range freeFailures {
		if code, _ := try(attacker, wrong); code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d, want 401", i+1, code)
		}
	}
	// Each wait is twice the one before; tries during it are refused
	// unjudged, the right password too.
	for k, wait := range []int{1, 2, 4, 8, 16} {
		code, ra := try(attacker, wrong)
		if code != http.StatusTooManyRequests || ra != wait {
			t.Fatalf("wait %d: %d Retry-After %d, want 429 Retry-After %d", k, code, ra, wait)
		}
		if code, _ := try(attacker, right); code != http.StatusTooManyRequests {
			t.Errorf("wait %d: the right password during the wait: %d, want 429", k, code)
		}
		if code, _ := try(admin, right); code != http.StatusOK {
			t.Errorf("wait %d: the admin from another address: %d, want 200", k, code)
		}
		clk.advance(time.Duration(wait) * time.Second)
		if code, _ := try(attacker, wrong); code != http.StatusUnauthorized {
			t.Fatalf("after wait %d: %d, want 401 (judged)", k, code)
		}
	}
	// The wait stops growing at maxFailureWait.
	for range 20 {
		clk.advance(maxFailureWait)
		try(attacker, wrong)
	}
	if _, ra := try(attacker, wrong); ra != int(maxFailureWait/time.Second) {
		t.Errorf("after many failures Retry-After %d, want %d", ra, int(maxFailureWait/time.Second))
	}
	// A right password after the wait resets the source.
	clk.advance(maxFailureWait)
	if code, _ := try(attacker, right); code != http.StatusOK {
		t.Fatalf("right password after the wait: %d, want 200", code)
	}
	for i := range freeFailures {
		if code, _ := try(attacker, wrong); code != http.StatusUnauthorized {
			t.Fatalf("after the reset, wrong password %d: %d, want 401", i+1, code)
		}
	}
	// No credentials at all (a browser before its prompt) is not a try.
	other := "192.0.2.50:1000"
	for range 3 * freeFailures {
		req := httptest.NewRequest(http.MethodGet, "/api/status", nil)
		req.RemoteAddr = other
		if rec := b.serve(req); rec.Code != http.StatusUnauthorized {
			t.Fatalf("no credentials: %d, want 401", rec.Code)
		}
	}
	if code, _ := try(other, right); code != http.StatusOK {
		t.Errorf("after requests without credentials: %d, want 200", code)
	}
}

// Behind a trusted proxy each client has its own count (Fly-Client-IP):
// an attacker's failures do not throttle the admin, who reaches the
// service through the same proxy.
func TestAdminBackoffBehindProxy(t *testing.T) {
	t.Parallel()
	b := setup(t, func(d *Deps) { d.TrustedProxies = mustPrefixes(t, "172.16.0.0/12") })
	via := func(client, password string) int {
		req := adminGetFrom("172.16.5.5:3000", password)
		req.Header.Set(headerFlyClientIP, client)
		return b.serve(req).Code
	}
	for range freeFailures + 3 {
		via("198.51.100.9", "guess")
	}
	if code := via("198.51.100.9", "admin-password-123"); code != http.StatusTooManyRequests {
		t.Errorf("attacker behind the proxy: %d, want 429", code)
	}
	if code := via("203.0.113.7", "admin-password-123"); code != http.StatusOK {
		t.Errorf("admin behind the same proxy: %d, want 200", code)
	}
}
