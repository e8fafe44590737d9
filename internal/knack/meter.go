package knack

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Meter hears of every request the client makes, where it is made, so that
// each is counted once (a daily ledger, a quota budget). Allow is asked
// before each attempt, retries included: an error keeps the attempt unsent
// and is returned to the caller as is. Sent is told of every attempt made,
// failed ones included (no response, 4xx, 5xx, cancelled). Both must be
// safe for concurrent use.
type Meter interface {
	Allow(ctx context.Context, a Attempt) error
	Sent(ctx context.Context, a Attempt)
}

// Attempt describes one request attempt to a Meter.
type Attempt struct {
	Method string
	// Object is the object the path names ("object_10"), "" for
	// application-level calls.
	Object string
	// Purpose is what the caller's context says the request is for
	// (WithPurpose), "" when it says nothing.
	Purpose string
	// Status is the HTTP status, 0 when no response came; Header the
	// response's headers (nil without a response). Both are unset in Allow.
	Status int
	Header http.Header
	// Time is when the attempt ended (Sent) or is about to start (Allow).
	Time time.Time
}

// PlanLimits reads X-PlanLimit-Limit and X-PlanLimit-Remaining from an
// attempt's response; ok is false when the response carried neither.
func (a Attempt) PlanLimits() (limit, remaining int64, ok bool) {
	if a.Header == nil {
		return -1, -1, false
	}
	limit, okL := headerInt(a.Header, hdrPlanLimit)
	remaining, okR := headerInt(a.Header, hdrPlanRemaining)
	if !okL {
		limit = -1
	}
	if !okR {
		remaining = -1
	}
	return limit, remaining, okL || okR
}

// Purposes a caller can give its requests (WithPurpose).
const (
	PurposeSweep = "sweep"
	PurposeHints = "hints"
	PurposePoll  = "poll"
)

type purposeKey struct{}

// WithPurpose marks the requests made with ctx as being for purpose; a
// Meter sees it in Attempt.Purpose.
func WithPurpose(ctx context.Context, purpose string) context.Context {
	return context.WithValue(ctx, purposeKey{}, purpose)
}

// PurposeOf is the purpose WithPurpose gave ctx, or "".
func PurposeOf(ctx context.Context) string {
	p, _ := ctx.Value(purposeKey{}).(string)
	return p
}

// Counter counts the attempts made with one context (CountRequests): the
// requests of one run, whatever else the client does meanwhile.
type Counter struct{ n atomic.Uint64 }

// Load is the attempts counted so far.
func (c *Counter) Load() uint64 { return c.n.Load() }

type counterKey struct{}

// CountRequests returns a context whose attempts (and those of contexts
// derived from it) are counted by the returned Counter, as well as by any
// counter ctx already carries.
func CountRequests(ctx context.Context) (context.Context, *Counter) {
	c := &Counter{}
	parents, _ := ctx.Value(counterKey{}).([]*Counter)
	list := append(append([]*Counter(nil), parents...), c)
	return context.WithValue(ctx, counterKey{}, list), c
}

// countAttempt adds one to every counter ctx carries.
func countAttempt(ctx context.Context) {
	list, _ := ctx.Value(counterKey{}).([]*Counter)
	for _, c := range list {
		c.n.Add(1)
	}
}

// objectOf is the object a request path names: "/objects/object_10/records"
// gives "object_10".
func objectOf(path string) string {
	rest, ok := strings.CutPrefix(path, "/objects/")
	if !ok {
		return ""
	}
	object, _, _ := strings.Cut(rest, "/")
	return object
}
