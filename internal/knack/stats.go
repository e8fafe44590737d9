package knack

import (
	"net/http"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a Client's counters since New.
type Stats struct {
	// Requests is every HTTP attempt sent, retries included.
	Requests uint64
	// ByStatus counts responses by HTTP status.
	ByStatus map[int]uint64
	// TransportErrors counts attempts that got no HTTP response: timeouts,
	// refused or reset connections.
	TransportErrors uint64
	// Canceled counts attempts abandoned because the caller's context ended
	// (List cancels its outstanding pages when it stops early).
	Canceled uint64
	// Retries counts attempts made after a failed one.
	Retries uint64
	// TooManyRequests counts 429 responses, per-second and daily-quota alike
	// (the same as ByStatus[429]).
	TooManyRequests uint64
	// PlanLimitRemaining and PlanLimitLimit are the last X-PlanLimit-Remaining
	// and X-PlanLimit-Limit seen, -1 before any; PlanLimitSeen is when.
	PlanLimitRemaining int64
	PlanLimitLimit     int64
	PlanLimitSeen      time.Time
}

// counters are the live, lock-free counters behind Stats.
type counters struct {
	byStatus   [600]atomic.Uint64 // index = HTTP status; 0 = transport error
	canceled   atomic.Uint64
	retries    atomic.Uint64
	planRemain atomic.Int64
	planLimit  atomic.Int64
	planSeen   atomic.Int64 // Unix nanoseconds
}

func newCounters() *counters {
	c := &counters{}
	c.planRemain.Store(-1)
	c.planLimit.Store(-1)
	return c
}

func (c *counters) response(status int) {
	if status < 0 || status >= len(c.byStatus) {
		status = 0
	}
	c.byStatus[status].Add(1)
}

func (c *counters) plan(h http.Header, now time.Time) {
	remain, okR := headerInt(h, hdrPlanRemaining)
	limit, okL := headerInt(h, hdrPlanLimit)
	if okR {
		c.planRemain.Store(remain)
	}
	if okL {
		c.planLimit.Store(limit)
	}
	if okR || okL {
		c.planSeen.Store(now.UnixNano())
	}
}

func (c *counters) snapshot() Stats {
	s := Stats{
		ByStatus:           map[int]uint64{},
		Canceled:           c.canceled.Load(),
		Retries:            c.retries.Load(),
		PlanLimitRemaining: c.planRemain.Load(),
		PlanLimitLimit:     c.planLimit.Load(),
	}
	if ns := c.planSeen.Load(); ns != 0 {
		s.PlanLimitSeen = time.Unix(0, ns)
	}
	s.Requests = s.Canceled
	for i := range c.byStatus {
		n := c.byStatus[i].Load()
		if n == 0 {
			continue
		}
		s.Requests += n
		if i == 0 {
			s.TransportErrors = n
			continue
		}
		s.ByStatus[i] = n
	}
	s.TooManyRequests = s.ByStatus[http.StatusTooManyRequests]
	return s
}
