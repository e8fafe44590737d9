package metrics

import (
	"context"
	"errors"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// JobEvents is the part of a River client WatchRiver needs;
// *river.Client[pgx.Tx] has it.
type JobEvents interface {
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
}

// Job outcomes (knacksync_jobs_total's outcome label).
const (
	OutcomeCompleted   = "completed"
	OutcomeRetried     = "retried"   // failed, will run again
	OutcomeDiscarded   = "discarded" // failed its last attempt
	OutcomeSnoozed     = "snoozed"
	OutcomeCancelled   = "cancelled"
	OutcomeInterrupted = "interrupted" // handed back at shutdown, no attempt spent
)

// WatchRiver subscribes to the client's job events and counts them in
// knacksync_jobs_total{kind,outcome} until ctx ends. It subscribes before
// returning and counts in its own goroutine: call it before client.Start
// so that no early job is missed. The client must work jobs (have
// Workers and Queues); an insert-only client has no events and gets an
// error.
//
// River drops events when a subscriber falls 1,000 behind; counting is a
// map increment, so this one does not.
func (m *Metrics) WatchRiver(ctx context.Context, client JobEvents) error {
	if m == nil {
		return errors.New("watch river: nil Metrics")
	}
	events, cancel, err := subscribe(client)
	if err != nil {
		return err
	}
	go func() {
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-events:
				if !ok {
					return
				}
				m.jobEvent(e)
			}
		}
	}()
	return nil
}

// subscribe turns River's panic on a client that works no jobs into an
// error: metrics must not take the service down.
func subscribe(client JobEvents) (events <-chan *river.Event, cancel func(), err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("watch river: subscribe: %v", r)
		}
	}()
	events, cancel = client.Subscribe(
		river.EventKindJobCompleted,
		river.EventKindJobFailed,
		river.EventKindJobSnoozed,
		river.EventKindJobCancelled,
		river.EventKindJobInterrupted,
	)
	return events, cancel, nil
}

func (m *Metrics) jobEvent(e *river.Event) {
	if e == nil || e.Job == nil {
		return
	}
	var outcome string
	switch e.Kind {
	case river.EventKindJobCompleted:
		outcome = OutcomeCompleted
	case river.EventKindJobFailed:
		// One event kind for both: the row's new state tells them apart.
		outcome = OutcomeRetried
		if e.Job.State == rivertype.JobStateDiscarded {
			outcome = OutcomeDiscarded
		}
	case river.EventKindJobSnoozed:
		outcome = OutcomeSnoozed
	case river.EventKindJobCancelled:
		outcome = OutcomeCancelled
	case river.EventKindJobInterrupted:
		outcome = OutcomeInterrupted
	default:
		return
	}
	m.jobs.WithLabelValues(e.Job.Kind, outcome).Inc()
	if e.JobStats != nil && e.Kind != river.EventKindJobInterrupted {
		m.jobDuration.WithLabelValues(e.Job.Kind).Observe(e.JobStats.RunDuration.Seconds())
	}
}
