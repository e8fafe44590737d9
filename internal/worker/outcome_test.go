package worker

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"knacksync/internal/knack"
)

// TestOutcome: Knack's error kinds, wrapped as the client and the syncer
// wrap them, become River's outcomes: snooze for the rate limit and the
// daily quota, cancel for what a retry cannot fix, a plain retry otherwise.
func TestOutcome(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 11, 20, 21, 0, 0, 0, time.UTC)
	// wrap is how an error reaches the worker: the client's wrap, then the
	// syncer's.
	wrap := func(err error) error {
		return fmt.Errorf("fetch object_10/5f3c9e1ab2d4c6e8f0a1b2c3: %w",
			fmt.Errorf("knack: get object_10/5f3c9e1ab2d4c6e8f0a1b2c3: %w", err))
	}
	const (
		retry = iota
		snooze
		cancel
		none
	)
	tests := []struct {
		name   string
		err    error
		want   int
		snooze time.Duration // for snooze
	}{
		{name: "nil", err: nil, want: none},
		{name: "quota resets in 3h", err: wrap(&knack.QuotaError{Reset: now.Add(3 * time.Hour), Limit: 10000}), want: snooze, snooze: 3*time.Hour + time.Minute},
		{name: "quota reset already past", err: wrap(&knack.QuotaError{Reset: now.Add(-time.Minute)}), want: snooze, snooze: time.Hour + time.Minute},
		{name: "quota without reset", err: wrap(knack.ErrQuotaExhausted), want: snooze, snooze: time.Hour},
		{name: "rate limited", err: wrap(knack.ErrRateLimited), want: snooze, snooze: 5 * time.Second},
		{name: "429 APIError", err: wrap(&knack.APIError{Status: 429}), want: snooze, snooze: 5 * time.Second},
		{name: "unauthorized", err: wrap(knack.ErrUnauthorized), want: cancel},
		{name: "401 APIError", err: wrap(&knack.APIError{Status: 401, Body: "Invalid API Key"}), want: cancel},
		{name: "403 APIError", err: wrap(&knack.APIError{Status: 403}), want: cancel},
		{name: "bad request", err: wrap(knack.ErrBadRequest), want: cancel},
		{name: "400 APIError", err: wrap(&knack.APIError{Status: 400, Body: `{"errors":[{"message":"bad filter"}]}`}), want: cancel},
		{name: "503 APIError", err: wrap(&knack.APIError{Status: 503}), want: retry},
		{name: "server error", err: wrap(knack.ErrServer), want: retry},
		{name: "timeout", err: wrap(knack.ErrTimeout), want: retry},
		{name: "deadline", err: wrap(context.DeadlineExceeded), want: retry},
		{name: "canceled", err: wrap(context.Canceled), want: retry},
		{name: "database", err: errors.New("record page: conn closed"), want: retry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := outcome(tt.err, now)
			var snoozeErr *river.JobSnoozeError
			var cancelErr *river.JobCancelError
			isSnooze, isCancel := errors.As(got, &snoozeErr), errors.As(got, &cancelErr)
			switch tt.want {
			case none:
				if got != nil {
					t.Fatalf("outcome(nil) = %v, want nil", got)
				}
			case snooze:
				if !isSnooze {
					t.Fatalf("outcome = %v (%T), want a snooze", got, got)
				}
				if snoozeErr.Duration != tt.snooze {
					t.Errorf("snooze %s, want %s", snoozeErr.Duration, tt.snooze)
				}
			case cancel:
				if !isCancel || isSnooze {
					t.Fatalf("outcome = %v (%T), want a cancel", got, got)
				}
				// The reason survives for River UI and Sentry.
				if !errors.Is(got, tt.err) {
					t.Errorf("cancel %v does not wrap %v", got, tt.err)
				}
			case retry:
				if isSnooze || isCancel {
					t.Fatalf("outcome = %v (%T), want the plain error", got, got)
				}
				if got != tt.err {
					t.Errorf("outcome = %v, want the error itself %v", got, tt.err)
				}
			}
		})
	}
}
