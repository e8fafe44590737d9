package notify

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/getsentry/sentry-go"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// RiverErrorHandler returns the handler for river.Config.ErrorHandler. It
// reports a job's error only on its final attempt (River discards the job
// then), so that retried blips raise no alert; panics are always reported.
// Events carry the job's kind, queue, attempt and id, never its arguments.
//
// River does not call the error handler for a job that cancels itself
// (river.JobCancel): RiverMiddleware reports those.
func (s *Sentry) RiverErrorHandler() river.ErrorHandler { return riverHandler{s} }

type riverHandler struct{ s *Sentry }

func (h riverHandler) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	if job != nil && (job.Attempt >= job.MaxAttempts || errors.Is(err, &rivertype.JobCancelError{})) {
		h.s.captureJob(job, err, "error")
	}
	return nil
}

func (h riverHandler) HandlePanic(ctx context.Context, job *rivertype.JobRow, panicVal any, trace string) *river.ErrorHandlerResult {
	if !h.s.Enabled() {
		return nil
	}
	hub := h.s.hub.Clone()
	hub.WithScope(func(scope *sentry.Scope) {
		setJobScope(scope, job, "panic")
		scope.SetLevel(sentry.LevelFatal)
		scope.SetContext("panic", sentry.Context{"trace": trace})
		err := fmt.Errorf("panic: %v", panicVal)
		kind := ""
		if job != nil {
			kind = job.Kind
		}
		scope.SetFingerprint(h.s.fingerprint("river-panic", err, kind))
		event := hub.Client().EventFromException(err, sentry.LevelFatal)
		// The stack there is this handler's; the panic's is in the
		// "panic" context.
		top := &event.Exception[len(event.Exception)-1]
		top.Type, top.Stacktrace = "panic", nil
		hub.CaptureEvent(event)
	})
	return nil
}

// RiverMiddleware returns a worker middleware for river.Config.Middleware
// that reports jobs cancelling themselves (river.JobCancel: Knack answered
// 401 or 400, which retries cannot fix). River hands those to no error
// handler.
func (s *Sentry) RiverMiddleware() rivertype.Middleware { return &cancelReporter{s: s} }

type cancelReporter struct {
	river.MiddlewareDefaults
	s *Sentry
}

func (m *cancelReporter) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	err := doInner(ctx)
	if err != nil && errors.Is(err, &rivertype.JobCancelError{}) {
		m.s.captureJob(job, err, "cancelled")
	}
	return err
}

func (s *Sentry) captureJob(job *rivertype.JobRow, err error, outcome string) {
	if !s.Enabled() || err == nil {
		return
	}
	hub := s.hub.Clone()
	hub.WithScope(func(scope *sentry.Scope) {
		setJobScope(scope, job, outcome)
		scope.SetFingerprint(s.fingerprint("river", err, job.Kind))
		hub.CaptureException(err)
	})
}

// setJobScope tags an event with the job's identity. The arguments stay
// out: they hold only ids today, but a job's args are not for Sentry.
func setJobScope(scope *sentry.Scope, job *rivertype.JobRow, outcome string) {
	scope.SetTag("job.outcome", outcome)
	if job == nil {
		return
	}
	scope.SetTags(map[string]string{
		"job.kind":         job.Kind,
		"job.queue":        job.Queue,
		"job.attempt":      strconv.Itoa(job.Attempt),
		"job.max_attempts": strconv.Itoa(job.MaxAttempts),
	})
	scope.SetContext("job", sentry.Context{
		"id":           job.ID,
		"kind":         job.Kind,
		"queue":        job.Queue,
		"attempt":      job.Attempt,
		"max_attempts": job.MaxAttempts,
		"created_at":   job.CreatedAt,
	})
}
