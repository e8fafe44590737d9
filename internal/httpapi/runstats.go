package httpapi

import (
	"context"
	"math"

	"knacksync/internal/stats"
)

// RunStatistics reads what each run's statistics recomputes did
// (*stats.Stats has it).
type RunStatistics interface {
	ForRuns(ctx context.Context, runIDs []int64) (map[int64]stats.RunStats, error)
}

// addRunStatistics fills the runs' statistics columns: derived rows written
// and recompute time. Without figures (or on an error, logged) they stay
// empty: the page still shows.
func (s *Server) addRunStatistics(ctx context.Context, runs []statusRun) {
	if s.deps.Stats == nil || len(runs) == 0 {
		return
	}
	ids := make([]int64, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	figures, err := s.deps.Stats.ForRuns(ctx, ids)
	if err != nil {
		s.deps.Logger.WarnContext(ctx, "status page: run statistics", "error", err.Error())
		return
	}
	for i := range runs {
		if f, ok := figures[runs[i].ID]; ok {
			rows, secs := f.Written(), math.Round(f.Duration.Seconds()*1000)/1000
			runs[i].StatisticsRows, runs[i].StatisticsSeconds = &rows, &secs
		}
	}
}
