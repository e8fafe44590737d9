package worker

import (
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// activeStates make a job unique while one is waiting or running. Completed
// jobs are left out, so a new hint after a job finished gets a new job.
var activeStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// HintsArgs asks for an object's pending hints to be fetched and applied.
// It is not a River unique job (a unique job also counts a running one, and
// a hint that lands just after that job's last look would wait): the
// webhook adds a job unless one is waiting, which it locks so that it
// cannot start before the hint commits (Hints.Accept).
type HintsArgs struct {
	Object string `json:"object"`
}

// Kind implements river.JobArgs.
func (HintsArgs) Kind() string { return "knack_hints" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (HintsArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 20} }

// SweepArgs asks for a full sweep (the nightly reconciliation, a catch-up
// after downtime, or an operator's "sync now"). Only one waits or runs.
type SweepArgs struct {
	Reason string `json:"reason"`
}

// Kind implements river.JobArgs.
func (SweepArgs) Kind() string { return "knack_sweep" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (SweepArgs) InsertOpts() river.InsertOpts {
	// Each failed attempt alerts and mails its own report: a few attempts
	// (1 s, 16 s, 81 s apart) ride out a blip; the next night tries again.
	return river.InsertOpts{MaxAttempts: 4, UniqueOpts: river.UniqueOpts{ByState: activeStates}}
}

// CheckHintsArgs is the periodic check that enqueues HintsArgs for objects
// whose hints waited too long (a job missed by a race, or a lost enqueue).
type CheckHintsArgs struct{}

// Kind implements river.JobArgs.
func (CheckHintsArgs) Kind() string { return "knack_check_hints" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (CheckHintsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByState: activeStates}}
}

// PollArgs is the periodic modified-date poll of the objects configured
// with a modified-date field.
type PollArgs struct{}

// Kind implements river.JobArgs.
func (PollArgs) Kind() string { return "knack_poll" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (PollArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByState: activeStates}}
}

// SweepTimeout bounds a sweep job; a full sweep of the live app takes
// minutes, and a resumed one continues where it stopped.
const SweepTimeout = 3 * time.Hour
