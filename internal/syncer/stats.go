package syncer

import (
	"context"
	"log/slog"

	"knacksync/internal/stats"
)

// Stats recomputes the dashboard's derived statistics from the base rows the
// sync wrote (internal/stats). The merges mark the keys they touch dirty;
// each pass ends by recomputing them, a full sweep by recomputing all.
type Stats interface {
	RecomputeDirty(ctx context.Context, runID int64, wait bool) (stats.Result, error)
	RecomputeAll(ctx context.Context, runID int64) (stats.Result, error)
}

// recomputeStats ends a pass: the dirty keys (every key after a full
// sweep) are recomputed before the run closes. No-op without cfg.Stats.
func (s *Syncer) recomputeStats(ctx context.Context, runID int64, full bool) error {
	if s.cfg.Stats == nil {
		return nil
	}
	var err error
	if full {
		_, err = s.cfg.Stats.RecomputeAll(ctx, runID)
	} else {
		_, err = s.cfg.Stats.RecomputeDirty(ctx, runID, true)
	}
	return err
}

// pageStats recomputes the dirty keys after a sweep page, unless another
// recompute is running: the keys then wait for the next page or the end of
// the pass, which always recomputes. A failure here is only logged for the
// same reason.
func (s *Syncer) pageStats(ctx context.Context, runID int64) {
	if s.cfg.Stats == nil {
		return
	}
	if _, err := s.cfg.Stats.RecomputeDirty(ctx, runID, false); err != nil && ctx.Err() == nil {
		s.logger.WarnContext(ctx, "statistics after a page failed; the end of the pass retries", slog.String("error", err.Error()))
	}
}
