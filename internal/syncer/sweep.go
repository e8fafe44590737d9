package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"knacksync/internal/dbmigrate"
	"knacksync/internal/pglock"
	"knacksync/internal/store"
)

// Progress is reported after every page of a sweep.
type Progress struct {
	Object     string
	Page       int
	TotalPages int
	Records    int // records seen so far in this object
}

// SweepOptions choose what a sweep does.
type SweepOptions struct {
	// Objects limits the sweep; empty sweeps every object.
	Objects []string
	// Progress, when set, is called after every page.
	Progress func(Progress)
}

// Sweep runs a sweep: every page of every object through the pipeline, the
// re-projections that changes call for, and then the deletes of records a
// complete sweep no longer finds. A sweep that was interrupted (a crash, a
// deploy) is resumed from its last committed page instead of starting anew.
// It returns the finished run, failed or not.
func (s *Syncer) Sweep(ctx context.Context, opts SweepOptions) (*store.Run, error) {
	objs := opts.Objects
	full := len(objs) == 0
	if full {
		objs = Objects()
	}
	for _, key := range objs {
		if _, err := lookupObject(key); err != nil {
			return nil, err
		}
	}
	// Run the requested objects in dependency order.
	slices.SortFunc(objs, func(a, b string) int { return slices.Index(Objects(), a) - slices.Index(Objects(), b) })

	conn, err := s.store.Pool().Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	defer conn.Release()
	// The sweep lock: one sweep at a time across processes and instances.
	locked, err := pglock.TryLock(ctx, conn, pglock.Sweep)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	if !locked {
		return nil, ErrSweepRunning
	}
	defer func() { _ = pglock.Unlock(context.WithoutCancel(ctx), conn, pglock.Sweep) }()

	run, err := s.store.UnfinishedSweep(ctx)
	if err != nil {
		return nil, err
	}
	if run != nil && !slices.Equal(run.Objects, objs) {
		// A different sweep was interrupted; it is closed, and this one
		// starts. Nothing it did is lost: its pages committed.
		if _, err := s.closeRun(ctx, run.ID, store.StatusFailed, "interrupted, superseded by a new sweep"); err != nil {
			return nil, err
		}
		run = nil
	}
	if run == nil {
		id, err := s.store.StartRun(ctx, store.KindSweep, objs, full, s.now())
		if err != nil {
			return nil, err
		}
		if run, err = s.store.Run(ctx, id); err != nil {
			return nil, err
		}
	} else {
		s.logger.InfoContext(ctx, "resuming interrupted sweep", slog.Int64("run", run.ID))
	}

	var sweepErr error
	for i, p := range run.Progress {
		if p.Status == "complete" {
			continue
		}
		err := s.sweepObject(ctx, run, p, opts.Progress)
		// A lost database connection fails an object part-way; its pages
		// committed, so go on from its checkpoint.
		for retry := 0; retryable(err) && ctx.Err() == nil && retry < 3; retry++ {
			s.logger.WarnContext(ctx, "sweep resumes after a database error", slog.String("object", p.Object), slog.String("error", err.Error()))
			time.Sleep(time.Second)
			var progress []store.ObjectProgress
			if progress, err = s.store.Progress(ctx, run.ID); err == nil {
				err = s.sweepObject(ctx, run, progress[i], opts.Progress)
			}
		}
		if err != nil {
			sweepErr = fmt.Errorf("sweep %s: %w", p.Object, err)
			break
		}
	}
	status, errText := store.StatusSucceeded, ""
	if sweepErr != nil {
		status, errText = store.StatusFailed, sweepErr.Error()
		if errors.Is(sweepErr, context.Canceled) && ctx.Err() != nil {
			// Stopped (SIGTERM, deploy): leave the run open so the next
			// sweep resumes it.
			return s.store.Run(context.WithoutCancel(ctx), run.ID)
		}
	}
	if sweepErr == nil {
		s.analyzeStale(ctx, dbmigrate.Changed)
		if sweepErr = s.recomputeStats(ctx, run.ID, full); sweepErr != nil {
			status, errText = store.StatusFailed, sweepErr.Error()
		}
	}
	done, err := s.closeRun(ctx, run.ID, status, errText)
	if err != nil {
		return nil, err
	}
	return done, sweepErr
}

// sweepObject pages through one object from its checkpoint, then runs the
// re-projections and deletes a complete listing allows.
func (s *Syncer) sweepObject(ctx context.Context, run *store.Run, p store.ObjectProgress, progress func(Progress)) error {
	o, err := lookupObject(p.Object)
	if err != nil {
		return err
	}
	start := s.now()
	fail := func(err error) error {
		_ = s.store.ObjectDone(context.WithoutCancel(ctx), run.ID, o.Key, "failed", err.Error(), s.since(start), 0, nil)
		return err
	}
	// The objects before this one wrote the rows its pages look up.
	s.analyzeStale(ctx, dbmigrate.Changed)
	lctx := ctx
	if run.FullSweep {
		// The nightly full sweep projects every mirrored record again and
		// repairs what other writers changed (rule 16).
		lctx = withRepair(ctx)
	}
	if err := s.listPages(lctx, run.ID, o, max(p.NextPage, 1), progress); err != nil {
		return fail(err)
	}

	if err := s.settle(ctx, run.ID, o); err != nil {
		return fail(err)
	}
	held, notes, err := s.sweepDeletes(ctx, run, o)
	if err != nil {
		return fail(err)
	}
	// A deleted winner hands its identity to the next-best record in this
	// same sweep (rule 5), not at the next one.
	if err := s.settle(ctx, run.ID, o); err != nil {
		return fail(err)
	}
	if run.FullSweep {
		if err := s.countUnowned(ctx, run.ID, o); err != nil {
			return fail(err)
		}
	}
	return s.store.ObjectDone(ctx, run.ID, o.Key, "complete", "", s.since(start), held, notes)
}

// settle projects the records of o that changes asked to project again
// (in this object or an earlier one); a pass can mark more (a new winner),
// so it repeats.
func (s *Syncer) settle(ctx context.Context, runID int64, o object) error {
	for pass := 0; pass < 5; pass++ {
		a, err := s.Reproject(ctx, runID, o.Key, false)
		if err != nil || a.Changed == 0 {
			return err
		}
	}
	return nil
}

// countUnowned records, after a complete sweep of o, the current-year rows
// no record of it produces: another writer's rows, left alone (rule 16).
func (s *Syncer) countUnowned(ctx context.Context, runID int64, o object) error {
	res, err := s.store.Unowned(ctx, o.Key, o.Script, s.now())
	if err != nil || len(res.Tables) == 0 {
		return err
	}
	return s.store.InTx(ctx, func(tx pgx.Tx) error {
		return s.store.RecordPage(ctx, tx, store.PageDone{RunID: runID, Object: o.Key, Result: res, Now: s.now()})
	})
}

// sweepDeletes handles the records a complete listing did not return. Each
// is confirmed gone with a GET (offset paging can skip a record when another
// is deleted mid-sweep) before it loses its rows; more than MaxDeleteRatio
// of the object, or more than MaxConfirmGets, are held for an operator.
func (s *Syncer) sweepDeletes(ctx context.Context, run *store.Run, o object) (held int, notes map[string]any, err error) {
	missing, err := s.store.Missing(ctx, o.Key, run.StartedAt)
	if err != nil || len(missing) == 0 {
		return 0, nil, err
	}
	live, err := s.store.LiveCount(ctx, o.Key)
	if err != nil {
		return 0, nil, err
	}
	ratio := float64(len(missing)) / float64(max(live, 1))
	if ratio > s.cfg.MaxDeleteRatio || len(missing) > s.cfg.MaxConfirmGets {
		reason := fmt.Sprintf("%d of %d records (%.1f%%) are missing from a complete sweep, above the limit of %.1f%% (SYNC_MAX_DELETE_RATIO) or %d confirmations; run `server sync --confirm-deletes` to apply",
			len(missing), live, 100*ratio, 100*s.cfg.MaxDeleteRatio, s.cfg.MaxConfirmGets)
		if err := s.store.HoldDeletions(ctx, run.ID, o.Key, missing, live, reason, s.now()); err != nil {
			return 0, nil, err
		}
		s.logger.WarnContext(ctx, "deletions held", slog.String("object", o.Key), slog.Int("records", len(missing)), slog.String("reason", reason))
		return len(missing), map[string]any{"deletions_held": reason}, nil
	}
	_, err = s.deleteConfirmed(ctx, run.ID, o, missing)
	return 0, nil, err
}

// deleteConfirmed fetches each id: a record that is gone loses its rows
// (rule 11); one that is still there is applied like any fetched record.
func (s *Syncer) deleteConfirmed(ctx context.Context, runID int64, o object, ids []string) (Applied, error) {
	alive, gone, fetched, err := s.confirmGone(ctx, o, ids)
	if err != nil {
		return Applied{}, err
	}
	return s.fetchedStep(runID, o, alive, gone, fetched, store.PageDone{Requests: len(ids)}).run(ctx, s)
}

// ConfirmDeletes applies the deletions sweeps held, after an operator looked
// at them. Records seen again since they were held are left alone.
func (s *Syncer) ConfirmDeletes(ctx context.Context) (Applied, error) {
	helds, err := s.store.HeldDeletions(ctx)
	if err != nil {
		return Applied{}, err
	}
	var total Applied
	if len(helds) == 0 {
		return total, nil
	}
	var objs []string
	for _, h := range helds {
		if !slices.Contains(objs, h.Object) {
			objs = append(objs, h.Object)
		}
	}
	runID, err := s.store.StartRun(ctx, store.KindDeletes, objs, false, s.now())
	if err != nil {
		return total, err
	}
	for _, h := range helds {
		o, err := lookupObject(h.Object)
		if err != nil {
			return total, err
		}
		ids, err := s.store.StillMissing(ctx, o.Key, h.RecordIDs, h.CreatedAt)
		if err != nil {
			return total, err
		}
		// Knack is asked again: a record restored since the sweep held it
		// is applied, not deleted.
		alive, gone, fetched, err := s.confirmGone(ctx, o, ids)
		if err != nil {
			_, _ = s.closeRun(ctx, runID, store.StatusFailed, err.Error())
			return total, err
		}
		st := s.fetchedStep(runID, o, alive, gone, fetched, store.PageDone{Requests: len(ids)})
		st.then = func(ctx context.Context, tx pgx.Tx) error { return s.store.DeletionsApplied(ctx, tx, h.ID, s.now()) }
		a, err := st.run(ctx, s)
		if err != nil {
			_, _ = s.closeRun(ctx, runID, store.StatusFailed, err.Error())
			return total, err
		}
		total.add(a)
	}
	if err := s.recomputeStats(ctx, runID, false); err != nil {
		_, _ = s.closeRun(ctx, runID, store.StatusFailed, err.Error())
		return total, err
	}
	_, err = s.closeRun(ctx, runID, store.StatusSucceeded, "")
	return total, err
}

// analyzeStale refreshes the planner's statistics of tables a sweep has
// filled (a first sweep writes a million rows into empty tables). A failure
// only costs speed: it is logged, and the sweep goes on.
func (s *Syncer) analyzeStale(ctx context.Context, share float64) {
	if !s.analyzing.CompareAndSwap(false, true) {
		return
	}
	defer s.analyzing.Store(false)
	tables, err := dbmigrate.AnalyzeStale(ctx, s.store.Pool(), share)
	if err != nil {
		s.logger.WarnContext(ctx, "analyze", slog.String("error", err.Error()))
		return
	}
	if len(tables) > 0 {
		s.logger.DebugContext(ctx, "statistics refreshed", slog.Any("tables", tables))
	}
}
