package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"knacksync/internal/knack"
	"knacksync/internal/pglock"
	"knacksync/internal/store"
	"knacksync/internal/syncer"
)

// Syncer is what the workers need of the sync.
type Syncer interface {
	ProcessHints(ctx context.Context, object string) (syncer.HintsResult, error)
	Sweep(ctx context.Context, opts syncer.SweepOptions) (*store.Run, error)
	Poll(ctx context.Context, object, field string, margin time.Duration) (syncer.Applied, error)
}

// Locker takes named locks that die with their holder.
type Locker interface {
	TryLock(ctx context.Context, key string) (release func(), ok bool, err error)
}

// Observer hears about sweeps (Sentry cron check-ins, the e-mail report).
// started returns a token passed back to finished.
type Observer interface {
	SweepStarted(ctx context.Context, reason string) any
	SweepFinished(ctx context.Context, token any, run *store.Run, err error)
}

// HintsWorker fetches and applies an object's hinted records.
type HintsWorker struct {
	river.WorkerDefaults[HintsArgs]
	Syncer Syncer
	Locker Locker
	Store  *store.Store
	Logger *slog.Logger
	Now    func() time.Time
	// Budget, when set, stops the passes once the day's hint budget is
	// spent: the hints stay stored and wait for the nightly sweep.
	Budget *Budget
}

// NextRetry backs off 2, 4, 8 … seconds, at most a minute: a hint should
// not wait River's default attempt⁴ seconds after a passing Knack blip.
func (w *HintsWorker) NextRetry(job *river.Job[HintsArgs]) time.Time {
	return w.Now().Add(time.Duration(min(1<<min(job.Attempt, 6), 60)) * time.Second)
}

// Work takes the object's hints until none is left. Passes for one object
// never run side by side: an older fetch must not land after a newer one.
func (w *HintsWorker) Work(ctx context.Context, job *river.Job[HintsArgs]) error {
	release, ok, err := w.Locker.TryLock(ctx, pglock.HintsPrefix+job.Args.Object)
	if err != nil {
		return err
	}
	if !ok {
		return river.JobSnooze(2 * time.Second)
	}
	defer release()
	ctx = knack.WithPurpose(ctx, knack.PurposeHints)
	for pass := 0; pass < 20; pass++ {
		if w.Budget != nil {
			if f := w.Budget.Check(ctx); !f.HintsAllowed {
				w.Budget.HintsStopped(ctx, job.Args.Object, fmt.Errorf("%w (%d of %d hint requests made)", ErrHintBudgetSpent, f.HintRequests, f.HintBudget))
				return nil
			}
		}
		res, err := w.Syncer.ProcessHints(ctx, job.Args.Object)
		if w.Budget != nil && (errors.Is(err, ErrHintBudgetSpent) || errors.Is(err, ErrQuotaReserve)) {
			// Stopped at the budget, part-way maybe: the pass's hints are
			// still pending and wait.
			w.Budget.HintsStopped(ctx, job.Args.Object, err)
			return nil
		}
		if errors.Is(err, syncer.ErrSweepRunning) {
			// A sweep holds the object; it will see the changes, and the
			// hints are taken once it is done.
			return river.JobSnooze(5 * time.Second)
		}
		if err != nil {
			w.Logger.WarnContext(ctx, "hints pass failed", slog.String("object", job.Args.Object), slog.String("error", err.Error()))
			return outcome(err, w.Now())
		}
		if res.Hints == 0 {
			// The last look waits for hints still being recorded: one that
			// lands while this job finishes is taken, not stranded.
			settled, err := w.Store.HintsSettled(ctx, job.Args.Object)
			if err != nil {
				return err
			}
			if settled {
				return nil
			}
			continue
		}
		w.Logger.InfoContext(ctx, "hints applied", slog.String("object", job.Args.Object), slog.Int("hints", res.Hints),
			slog.Int("fetches", res.Fetches), slog.Bool("swept", res.Swept), slog.Int("changed", res.Applied.Changed),
			slog.Int("deleted", res.Applied.Deleted))
	}
	return nil
}

// SweepWorker runs a full sweep: the nightly reconciliation, a catch-up, or
// an operator's request. An interrupted sweep resumes where it stopped.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	Syncer   Syncer
	Observer Observer
	Logger   *slog.Logger
	Now      func() time.Time
	// Store and Budget, when set, refuse a sweep that the day's remaining
	// Knack quota cannot finish: a failed run says why, instead of half a
	// sweep.
	Store  *store.Store
	Budget *Budget
}

// Timeout lets a full sweep run long past River's default of one minute.
func (w *SweepWorker) Timeout(*river.Job[SweepArgs]) time.Duration { return SweepTimeout }

// Work runs the sweep.
func (w *SweepWorker) Work(ctx context.Context, job *river.Job[SweepArgs]) error {
	ctx = knack.WithPurpose(ctx, knack.PurposeSweep)
	token := w.Observer.SweepStarted(ctx, job.Args.Reason)
	if w.Budget != nil && w.Store != nil {
		if err := w.Budget.SweepAllowed(ctx); err != nil {
			return w.refuse(ctx, job, token, err)
		}
	}
	run, err := w.Syncer.Sweep(ctx, syncer.SweepOptions{})
	if errors.Is(err, syncer.ErrSweepRunning) {
		// Close the check-in: another process's sweep is doing the work.
		w.Observer.SweepFinished(ctx, token, nil, err)
		return river.JobSnooze(time.Minute)
	}
	w.Observer.SweepFinished(ctx, token, run, err)
	if err != nil {
		w.Logger.ErrorContext(ctx, "sweep failed", slog.String("reason", job.Args.Reason), slog.String("error", err.Error()))
		return outcome(err, w.Now())
	}
	if run.Status == store.StatusRunning {
		// Stopped part-way (SIGTERM, a deploy): the run stays open and the
		// job comes back, here or on another instance, to resume it. Not
		// an attempt spent.
		w.Logger.WarnContext(ctx, "sweep stopped; it will resume", slog.String("reason", job.Args.Reason), slog.Int64("run", run.ID))
		return river.JobSnooze(stoppedSweepDelay)
	}
	w.Logger.InfoContext(ctx, "sweep finished", slog.String("reason", job.Args.Reason), slog.Int64("run", run.ID))
	return nil
}

// stoppedSweepDelay is how soon a stopped sweep's job is due again.
const stoppedSweepDelay = time.Second

// refuse records a sweep the quota cannot finish as a failed run with the
// reason (the status page, the report, Sentry's check-in) and cancels the
// job: the next night, or a "sync now" after the quota resets, runs it.
func (w *SweepWorker) refuse(ctx context.Context, job *river.Job[SweepArgs], token any, reason error) error {
	w.Logger.ErrorContext(ctx, "sweep refused", slog.String("reason", job.Args.Reason), slog.String("error", reason.Error()))
	run, err := w.Store.RefusedSweep(ctx, syncer.Objects(), reason.Error(), w.Now())
	if err != nil {
		w.Observer.SweepFinished(ctx, token, nil, errors.Join(reason, err))
		return err
	}
	w.Observer.SweepFinished(ctx, token, run, reason)
	return river.JobCancel(reason)
}

// CheckHintsWorker enqueues a hints job for objects whose hints waited.
type CheckHintsWorker struct {
	river.WorkerDefaults[CheckHintsArgs]
	Store *store.Store
	Now   func() time.Time
	// Budget, when set and spent, leaves waiting hints alone: no job
	// would fetch them.
	Budget *Budget
}

// Work enqueues the missing jobs. It also resumes a sweep job whose
// process died, so that a surviving instance picks it up within the check's
// period.
func (w *CheckHintsWorker) Work(ctx context.Context, job *river.Job[CheckHintsArgs]) error {
	if _, err := ResumeDeadSweeps(ctx, w.Store); err != nil {
		return err
	}
	if w.Budget != nil && !w.Budget.Check(ctx).HintsAllowed {
		return nil
	}
	objects, err := w.Store.StaleHintObjects(ctx, w.Now().Add(-30*time.Second))
	if err != nil || len(objects) == 0 {
		return err
	}
	client := river.ClientFromContext[txType](ctx)
	return pgx.BeginFunc(ctx, w.Store.Pool(), func(tx pgx.Tx) error {
		return enqueueHints(ctx, tx, client, objects)
	})
}

// PollWorker polls objects with a modified-date field for changes that fire
// no hint (imports, batch updates).
type PollWorker struct {
	river.WorkerDefaults[PollArgs]
	Syncer Syncer
	Fields map[string]string // object → modified-date field
	Margin time.Duration
	Now    func() time.Time
}

// Work polls each configured object.
func (w *PollWorker) Work(ctx context.Context, job *river.Job[PollArgs]) error {
	ctx = knack.WithPurpose(ctx, knack.PurposePoll)
	for object, field := range w.Fields {
		if _, err := w.Syncer.Poll(ctx, object, field, w.Margin); err != nil {
			if errors.Is(err, syncer.ErrSweepRunning) {
				return nil
			}
			return outcome(err, w.Now())
		}
	}
	return nil
}
