package worker

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/robfig/cron/v3"

	"knacksync/internal/pglock"
	"knacksync/internal/store"
)

// Deps are what the workers and the schedule need.
type Deps struct {
	Pool     *pgxpool.Pool
	Store    *store.Store
	Syncer   Syncer
	Observer Observer
	Logger   *slog.Logger
	Now      func() time.Time
	// Cron is the nightly sweep's schedule (SYNC_CRON, UTC).
	Cron string
	// PollFields maps objects to their modified-date field; empty turns
	// the poll off. PollEvery and PollMargin tune it.
	PollFields map[string]string
	PollEvery  time.Duration
	PollMargin time.Duration
	PollOnly   bool
	// ErrorHandler and Middleware report job failures (Sentry); optional.
	ErrorHandler river.ErrorHandler
	Middleware   []rivertype.Middleware
	// Budget keeps Knack spending within the day's quota (the Knack
	// client's meter); nil spends without a budget.
	Budget *Budget
}

// Schedule parses a cron expression as UTC.
func Schedule(expr string) (river.PeriodicSchedule, error) {
	s, err := cron.ParseStandard(expr)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", expr, err)
	}
	return utcSchedule{s}, nil
}

type utcSchedule struct{ cron.Schedule }

func (u utcSchedule) Next(t time.Time) time.Time { return u.Schedule.Next(t.UTC()) }

// Previous is the last time the schedule fired at or before now (zero when
// it did not within a year). It looks back a week first, then further, so
// that a daily schedule costs a handful of steps and a monthly one works.
func Previous(s river.PeriodicSchedule, now time.Time) time.Time {
	for _, days := range []int{8, 32, 367} {
		var prev time.Time
		for t := s.Next(now.Add(-time.Duration(days) * 24 * time.Hour)); !t.After(now); t = s.Next(t) {
			prev = t
		}
		if !prev.IsZero() {
			return prev
		}
	}
	return time.Time{}
}

// NewRiverClient builds the River client with every worker and periodic job.
func NewRiverClient(d Deps) (*river.Client[pgx.Tx], error) {
	schedule, err := Schedule(d.Cron)
	if err != nil {
		return nil, err
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &HintsWorker{Syncer: d.Syncer, Locker: d.Store, Store: d.Store, Logger: d.Logger, Now: d.Now, Budget: d.Budget})
	river.AddWorker(workers, &SweepWorker{Syncer: d.Syncer, Observer: d.Observer, Logger: d.Logger, Now: d.Now, Store: d.Store, Budget: d.Budget})
	river.AddWorker(workers, &CheckHintsWorker{Store: d.Store, Now: d.Now, Budget: d.Budget})
	river.AddWorker(workers, &PollWorker{Syncer: d.Syncer, Fields: d.PollFields, Margin: d.PollMargin, Now: d.Now})

	periodic := []*river.PeriodicJob{
		// The nightly reconciliation. Only the elected leader enqueues it,
		// and SweepArgs is unique while one waits or runs: one at a time
		// across instances.
		river.NewPeriodicJob(schedule, func() (river.JobArgs, *river.InsertOpts) {
			return SweepArgs{Reason: "nightly"}, nil
		}, &river.PeriodicJobOpts{ID: "nightly_sweep"}),
		river.NewPeriodicJob(river.PeriodicInterval(30*time.Second), func() (river.JobArgs, *river.InsertOpts) {
			return CheckHintsArgs{}, nil
		}, &river.PeriodicJobOpts{ID: "check_hints"}),
	}
	if len(d.PollFields) > 0 {
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(d.PollEvery), func() (river.JobArgs, *river.InsertOpts) {
			return PollArgs{}, nil
		}, &river.PeriodicJobOpts{ID: "modified_poll", RunOnStart: true}))
	}
	return NewClient(d.Pool, d.Logger, ClientOptions{
		PollOnly: d.PollOnly, Workers: workers, PeriodicJobs: periodic, ErrorHandler: d.ErrorHandler, Middleware: d.Middleware,
	})
}

// CatchUp enqueues a sweep when the last successful full sweep is older than
// the schedule's last firing (the service was down at 02:00), or when a
// sweep was interrupted; a sweep job whose process died (kill -9) is made
// to run again at once rather than after River's rescue delay. It reports
// why, or "" when nothing was due.
func CatchUp(ctx context.Context, st *store.Store, client *river.Client[pgx.Tx], cronExpr string, now time.Time) (string, error) {
	schedule, err := Schedule(cronExpr)
	if err != nil {
		return "", err
	}
	resumed, err := ResumeDeadSweeps(ctx, st)
	if err != nil {
		return "", err
	}
	if len(resumed) > 0 {
		return fmt.Sprintf("resume sweep job %d: its process died", resumed[0]), nil
	}
	last, err := st.LastFullSweep(ctx)
	if err != nil {
		return "", err
	}
	unfinished, err := st.UnfinishedSweep(ctx)
	if err != nil {
		return "", err
	}
	reason := ""
	switch prev := Previous(schedule, now); {
	case unfinished != nil:
		reason = fmt.Sprintf("resume interrupted sweep %d", unfinished.ID)
	case last.IsZero():
		reason = "first start: no full sweep has completed yet"
	case last.Before(prev):
		reason = fmt.Sprintf("missed the sweep due at %s (last success %s)", prev.Format(time.RFC3339), last.Format(time.RFC3339))
	default:
		return "", nil
	}
	if _, err := client.Insert(ctx, SweepArgs{Reason: "catch-up: " + reason}, nil); err != nil {
		return "", fmt.Errorf("enqueue catch-up sweep: %w", err)
	}
	return reason, nil
}

//go:embed sql/waiting_hint_jobs.sql
var waitingHintJobsSQL string

// Hints accepts webhook hints durably: the hints and their jobs are written
// in one transaction, so an accepted hint always has a job to take it.
type Hints struct {
	Pool   *pgxpool.Pool
	Store  *store.Store
	Client *river.Client[pgx.Tx]
	Now    func() time.Time
}

// Accept records hints and enqueues one job per object they name.
func (h *Hints) Accept(ctx context.Context, hints []store.Hint) error {
	return pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error {
		if err := h.Store.RecordHints(ctx, tx, hints, h.Now()); err != nil {
			return err
		}
		var objects []string
		for _, hint := range hints {
			if !slices.Contains(objects, hint.Object) {
				objects = append(objects, hint.Object)
			}
		}
		return enqueueHints(ctx, tx, h.Client, objects)
	})
}

// enqueueHints adds a hints job, in tx, for each object that has none
// waiting. Requests that find none take the object's enqueue lock and look
// again, so that a flood adds one job, not one per concurrent request.
func enqueueHints(ctx context.Context, tx pgx.Tx, client *river.Client[pgx.Tx], objects []string) error {
	missing, err := withoutWaitingJob(ctx, tx, objects)
	if err != nil || len(missing) == 0 {
		return err
	}
	slices.Sort(missing)
	for _, object := range missing {
		if err := pglock.XactLock(ctx, tx, pglock.HintsEnqueuePrefix+object); err != nil {
			return fmt.Errorf("enqueue hints: %w", err)
		}
	}
	if missing, err = withoutWaitingJob(ctx, tx, missing); err != nil {
		return err
	}
	var params []river.InsertManyParams
	for _, object := range missing {
		params = append(params, river.InsertManyParams{Args: HintsArgs{Object: object}})
	}
	if len(params) == 0 {
		return nil
	}
	if _, err := client.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("enqueue hints: %w", err)
	}
	return nil
}

// withoutWaitingJob returns the objects that have no hints job waiting.
func withoutWaitingJob(ctx context.Context, tx pgx.Tx, objects []string) ([]string, error) {
	rows, err := tx.Query(ctx, waitingHintJobsSQL, objects)
	if err != nil {
		return nil, fmt.Errorf("waiting hints jobs: %w", err)
	}
	waiting, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("waiting hints jobs: %w", err)
	}
	var out []string
	for _, o := range objects {
		if !slices.Contains(waiting, o) {
			out = append(out, o)
		}
	}
	return out, nil
}

// EnqueueSweep asks for a sweep now; alreadyQueued is true when one was
// waiting or running.
func EnqueueSweep(ctx context.Context, client *river.Client[pgx.Tx], reason string) (jobID int64, alreadyQueued bool, err error) {
	res, err := client.Insert(ctx, SweepArgs{Reason: reason}, nil)
	if err != nil {
		return 0, false, fmt.Errorf("enqueue sweep: %w", err)
	}
	return res.Job.ID, res.UniqueSkippedAsDuplicate, nil
}
