package notify

import (
	"context"
	"time"

	"github.com/getsentry/sentry-go"

	"knacksync/internal/store"
)

// monitor is the Sentry cron monitor around full sweeps. Sentry raises an
// issue when a check-in reports an error, when a run outlives MaxRuntime,
// and when no check-in arrives within CheckInMargin of the schedule: the
// last is what catches a service that never started the nightly run.
type monitor struct {
	slug   string
	config *sentry.MonitorConfig
}

// monitorConfig is the monitor's configuration for the schedule cron, the
// defaults' margin and maximum runtime.
func monitorConfig(cron string) *sentry.MonitorConfig {
	if cron == "" {
		// A monitor config without a schedule is invalid; the check-ins
		// still go to a monitor configured in Sentry by hand.
		return nil
	}
	return &sentry.MonitorConfig{
		Schedule:              sentry.CrontabSchedule(cron),
		CheckInMargin:         int64(DefaultCheckInMargin / time.Minute),
		MaxRuntime:            int64(DefaultMaxRuntime / time.Minute),
		Timezone:              "UTC",
		FailureIssueThreshold: 1,
		RecoveryThreshold:     1,
	}
}

// checkIn is the token SweepStarted hands back to SweepFinished.
type checkIn struct {
	id      sentry.EventID
	started time.Time
}

// SweepStarted sends the monitor's in_progress check-in (with the monitor
// configuration, so that Sentry creates or updates the monitor) and returns
// the check-in as the token for SweepFinished. It implements half of
// worker.Observer.
func (s *Sentry) SweepStarted(ctx context.Context, reason string) any {
	if !s.Enabled() {
		return nil
	}
	tok := &checkIn{started: s.now()}
	id := s.hub.CaptureCheckIn(&sentry.CheckIn{MonitorSlug: s.monitor.slug, Status: sentry.CheckInStatusInProgress}, s.monitor.config)
	if id != nil {
		tok.id = *id
	}
	return tok
}

// SweepFinished closes the check-in SweepStarted opened: ok with the
// duration when the sweep succeeded, error when it failed. A sweep that was
// interrupted by a shutdown (its run stays open and resumes on the next
// start) or that found another sweep running is closed ok: the resumed or
// running sweep checks in on its own, and an error here would page on every
// deploy. It implements the other half of worker.Observer.
func (s *Sentry) SweepFinished(ctx context.Context, token any, run *store.Run, err error) {
	if !s.Enabled() {
		return
	}
	status := sentry.CheckInStatusOK
	if classify(ctx, run, err) == outcomeFailed {
		status = sentry.CheckInStatusError
	}
	c := &sentry.CheckIn{MonitorSlug: s.monitor.slug, Status: status}
	if tok, ok := token.(*checkIn); ok && tok != nil {
		c.ID = tok.id
		c.Duration = s.now().Sub(tok.started)
	}
	s.hub.CaptureCheckIn(c, s.monitor.config)
}
