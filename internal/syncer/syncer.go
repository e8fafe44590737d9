// Package syncer drives the sync: it fetches Knack records, keeps the raw
// mirror, projects changed records into VESPA rows and merges them, for a
// full sweep and for hinted records alike (one code path).
package syncer

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"knacksync/internal/knack"
	"knacksync/internal/store"
	"knacksync/internal/vespa"
)

// Knack is what the syncer needs of the Knack client.
type Knack interface {
	List(ctx context.Context, object string, opts knack.ListOptions, fn func(knack.Page) error) error
	Get(ctx context.Context, object, id string) (knack.Record, error)
	Stats() knack.Stats
}

// Config tunes the syncer.
type Config struct {
	// MaxDeleteRatio is the share of an object's records a sweep may delete
	// before it holds the deletions for an operator (SYNC_MAX_DELETE_RATIO).
	MaxDeleteRatio float64
	// MaxConfirmGets caps the GETs a sweep spends confirming that missing
	// records are gone; more missing records than that are held.
	MaxConfirmGets int
	// BatchSize is the number of mirrored records re-projected per batch.
	BatchSize int
	// Workers is the number of pages applied in parallel (default 2).
	Workers int
	// OnRunFinished, when set, hears of every run the syncer closes
	// (metrics).
	OnRunFinished func(*store.Run)
	// Stats, when set, recomputes the derived statistics at the end of
	// every pass (internal/stats).
	Stats Stats
}

// Syncer runs sweeps and applies fetched records.
type Syncer struct {
	store  *store.Store
	knack  Knack
	logger *slog.Logger
	now    func() time.Time
	cfg    Config
	// analyzing: an analyzeStale is running (one at a time is enough).
	analyzing atomic.Bool
}

// New returns a Syncer. Its store also runs the objects' SQL, which the
// mapping package keeps with each object (vespa.SQL).
func New(st *store.Store, kn Knack, logger *slog.Logger, now func() time.Time, cfg Config) *Syncer {
	if cfg.MaxDeleteRatio == 0 {
		cfg.MaxDeleteRatio = 0.05
	}
	if cfg.MaxConfirmGets == 0 {
		cfg.MaxConfirmGets = 200
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 1000
	}
	if cfg.Workers == 0 {
		cfg.Workers = 2
	}
	return &Syncer{store: st.WithScripts(vespa.SQL), knack: kn, logger: logger, now: now, cfg: cfg}
}

// ErrSweepRunning is returned when another process is sweeping.
var ErrSweepRunning = errors.New("another sweep is running")

// ErrUnknownObject is returned for an object the sync does not read.
var ErrUnknownObject = errors.New("unknown object")

// finishRun closes a one-object run with err's outcome and returns err, or
// the error of closing it.
func (s *Syncer) finishRun(ctx context.Context, runID int64, object string, start time.Time, err error) error {
	if err == nil {
		err = s.recomputeStats(ctx, runID, false)
	}
	status, objStatus, errText := store.StatusSucceeded, "complete", ""
	if err != nil {
		status, objStatus, errText = store.StatusFailed, "failed", err.Error()
	}
	ctx = context.WithoutCancel(ctx)
	if oerr := s.store.ObjectDone(ctx, runID, object, objStatus, errText, s.since(start), 0, nil); err == nil {
		err = oerr
	}
	if _, ferr := s.closeRun(ctx, runID, status, errText); err == nil {
		err = ferr
	}
	return err
}

// closeRun finishes a run and tells OnRunFinished.
func (s *Syncer) closeRun(ctx context.Context, runID int64, status, errText string) (*store.Run, error) {
	run, err := s.store.FinishRun(context.WithoutCancel(ctx), runID, status, errText, s.now())
	if err == nil && s.cfg.OnRunFinished != nil {
		s.cfg.OnRunFinished(run)
	}
	return run, err
}
