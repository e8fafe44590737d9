package knacksim

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// unlimited is the limit reported when a limit is off.
const unlimited = 100000000

// limiter holds the rate and quota state and the fault knobs.
type limiter struct {
	mu          sync.Mutex
	rate        int // per second; negative = unlimited
	quota       int // per UTC day; 0 = unlimited
	failRate    float64
	timeoutRate float64
	latency     time.Duration
	jitter      time.Duration

	sec      int64 // the current one-second bucket (Unix seconds)
	secCount int   // requests seen in it, rejected ones included
	day      int   // the current quota day (year*1000+yday, UTC)
	dayUsed  int   // requests counted toward the quota today
}

// admission is the outcome of counting one request, and the headers it
// reports.
type admission struct {
	rateLimited, quotaExceeded bool

	rateLimit, rateRemaining int
	rateReset                int64 // epoch seconds of the next second
	planLimit, planRemaining int
	planReset                int64 // ms until the next 00:00 UTC
}

// admit counts a request against the per-second window and the daily quota.
// Knack's docs: past the limit "further requests in that second are
// ignored", so the window is a one-second bucket. A request rejected with 429
// does not count toward the quota.
func (l *limiter) admit(now time.Time, count bool) admission {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roll(now)
	var a admission
	if count {
		l.secCount++
		switch {
		case l.rate >= 0 && l.secCount > l.rate:
			a.rateLimited = true
		case l.quota > 0 && l.dayUsed >= l.quota:
			a.quotaExceeded = true
		default:
			l.dayUsed++
		}
	}
	a.rateLimit, a.rateRemaining = unlimited, unlimited-l.secCount
	if l.rate >= 0 {
		a.rateLimit, a.rateRemaining = l.rate, max(0, l.rate-l.secCount)
	}
	a.rateReset = l.sec + 1
	a.planLimit, a.planRemaining = unlimited, unlimited-l.dayUsed
	if l.quota > 0 {
		a.planLimit, a.planRemaining = l.quota, max(0, l.quota-l.dayUsed)
	}
	u := now.UTC()
	midnight := time.Date(u.Year(), u.Month(), u.Day()+1, 0, 0, 0, 0, time.UTC)
	a.planReset = midnight.Sub(u).Milliseconds()
	return a
}

func (l *limiter) roll(now time.Time) {
	if sec := now.Unix(); sec != l.sec {
		l.sec, l.secCount = sec, 0
	}
	u := now.UTC()
	if day := u.Year()*1000 + u.YearDay(); day != l.day {
		l.day, l.dayUsed = day, 0
	}
}

func (a admission) setHeaders(h http.Header) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(a.rateLimit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(a.rateRemaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(a.rateReset, 10))
	h.Set("X-PlanLimit-Limit", strconv.Itoa(a.planLimit))
	h.Set("X-PlanLimit-Remaining", strconv.Itoa(a.planRemaining))
	h.Set("X-PlanLimit-Reset", strconv.FormatInt(a.planReset, 10))
}

// fault is what fault injection decided for one request.
type fault struct {
	delay   time.Duration
	timeout bool
	status  int // a 5xx to answer, or 0
}

var failStatuses = [...]int{500, 502, 503, 504}

// decideFault draws a request's latency and fault. Draws happen only for
// knobs that are on, so turning one knob on does not reshuffle the others.
func (s *Server) decideFault() fault {
	s.lim.mu.Lock()
	latency, jitter, failRate, timeoutRate := s.lim.latency, s.lim.jitter, s.lim.failRate, s.lim.timeoutRate
	s.lim.mu.Unlock()
	f := fault{delay: latency}
	if jitter <= 0 && failRate <= 0 && timeoutRate <= 0 {
		return f
	}
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	if jitter > 0 {
		f.delay += time.Duration(s.rng.Int64N(int64(jitter) + 1))
	}
	if failRate > 0 || timeoutRate > 0 {
		u := s.rng.Float64()
		switch {
		case u < timeoutRate:
			f.timeout = true
		case u < timeoutRate+failRate:
			f.status = failStatuses[s.rng.IntN(len(failStatuses))]
		}
	}
	return f
}

// sleep waits d, or until ctx or the simulator is done; it reports whether
// the whole delay passed.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.base.Done():
	}
	return false
}

// SetFailRate sets the share of requests answered 5xx.
func (s *Server) SetFailRate(f float64) {
	s.lim.mu.Lock()
	s.lim.failRate = f
	s.lim.mu.Unlock()
}

// SetTimeoutRate sets the share of requests that hang.
func (s *Server) SetTimeoutRate(f float64) {
	s.lim.mu.Lock()
	s.lim.timeoutRate = f
	s.lim.mu.Unlock()
}

// SetLatency sets the delay before every answer: d plus up to jitter.
func (s *Server) SetLatency(d, jitter time.Duration) {
	s.lim.mu.Lock()
	s.lim.latency, s.lim.jitter = d, jitter
	s.lim.mu.Unlock()
}

// SetRate sets the per-second limit; negative is unlimited and 0 answers
// every counted request 429.
func (s *Server) SetRate(n int) {
	s.lim.mu.Lock()
	s.lim.rate = n
	s.lim.mu.Unlock()
}

// SetQuota sets the daily quota (0 = unlimited). Today's usage is kept.
func (s *Server) SetQuota(n int) {
	s.lim.mu.Lock()
	s.lim.quota = n
	s.lim.mu.Unlock()
}

// QuotaUsed is the number of requests counted toward today's quota.
func (s *Server) QuotaUsed() int {
	s.lim.mu.Lock()
	defer s.lim.mu.Unlock()
	s.lim.roll(s.now())
	return s.lim.dayUsed
}
