package knacksim

import (
	"maps"
	"net/http"
	"sync"
	"time"
)

// maxLog bounds the request log; counts are kept for every request.
const maxLog = 100_000

// Request is one logged request.
type Request struct {
	Time     time.Time
	Method   string
	Path     string
	Query    string // the raw query
	Route    string // the matched pattern, e.g. "GET /v1/objects/{object}/records"; "" if none
	Status   int    // 499 when the client went away before an answer
	Duration time.Duration
}

// Counts are the simulator's counters since New or ResetLog.
type Counts struct {
	Total         int
	ByStatus      map[int]int
	ByRoute       map[string]int // by Request.Route
	RateLimited   int            // 429s for the per-second limit
	QuotaExceeded int            // 429s for the daily quota
	Failed        int            // injected 5xx
	TimedOut      int            // injected hangs
	QuotaUsed     int            // requests counted toward today's quota

	HooksSent      int // hints delivered with a 2xx answer
	HooksDropped   int // hints dropped on purpose (HookDrop)
	HooksFailed    int // hints whose delivery failed (error or non-2xx)
	HooksQueueFull int // hints lost because the queue was full
}

type observer struct {
	mu     sync.Mutex
	log    []Request // ring of at most maxLog
	next   int       // ring position once full
	counts Counts
}

func (o *observer) init() {
	o.counts.ByStatus = make(map[int]int)
	o.counts.ByRoute = make(map[string]int)
}

func (o *observer) record(r Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.log) < maxLog {
		o.log = append(o.log, r)
	} else {
		o.log[o.next] = r
		o.next = (o.next + 1) % maxLog
	}
	o.counts.Total++
	o.counts.ByStatus[r.Status]++
	o.counts.ByRoute[r.Route]++
}

func (o *observer) add(f func(c *Counts)) {
	o.mu.Lock()
	f(&o.counts)
	o.mu.Unlock()
}

// Requests returns the logged requests, oldest first (at most the last
// 100,000).
func (s *Server) Requests() []Request {
	s.obs.mu.Lock()
	defer s.obs.mu.Unlock()
	out := make([]Request, 0, len(s.obs.log))
	out = append(out, s.obs.log[s.obs.next:]...)
	return append(out, s.obs.log[:s.obs.next]...)
}

// Counts returns a copy of the counters.
func (s *Server) Counts() Counts {
	s.obs.mu.Lock()
	c := s.obs.counts
	c.ByStatus = maps.Clone(c.ByStatus)
	c.ByRoute = maps.Clone(c.ByRoute)
	s.obs.mu.Unlock()
	c.HooksSent, c.HooksDropped, c.HooksFailed, c.HooksQueueFull = s.hooks.counts()
	c.QuotaUsed = s.QuotaUsed()
	return c
}

// ResetLog clears the request log and every counter (hooks included). The
// quota usage is not a counter: it resets at 00:00 UTC.
func (s *Server) ResetLog() {
	s.obs.mu.Lock()
	s.obs.log, s.obs.next = nil, 0
	s.obs.counts = Counts{}
	s.obs.init()
	s.obs.mu.Unlock()
	s.hooks.reset()
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
