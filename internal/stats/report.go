package stats

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// RunStats are the statistics figures of one run (all its recomputes).
type RunStats struct {
	RunID      int64
	Recomputes int
	Full       bool
	DirtyKeys  int64
	// Rows written per derived table.
	Rows     map[string]int64
	Duration time.Duration
	// Refresh is the time spent refreshing comparative_metrics; nil when
	// the run refreshed nothing.
	Refresh *time.Duration
	// Students the national population left out (set by full recomputes).
	ExcludedCancelled, ExcludedDomain *int64
}

// Written is the number of derived rows the run wrote.
func (r RunStats) Written() int64 {
	var n int64
	for _, v := range r.Rows {
		n += v
	}
	return n
}

// ForRuns returns the figures recorded for the given runs; a run whose
// recomputes wrote nothing and took no keys may have none.
func (s *Stats) ForRuns(ctx context.Context, runIDs []int64) (map[int64]RunStats, error) {
	rows, err := s.pool.Query(ctx, s.scripts["recompute.run_statistics"], pgx.NamedArgs{"run_ids": runIDs})
	if err != nil {
		return nil, fmt.Errorf("statistics of runs: %w", err)
	}
	defer rows.Close()
	out := map[int64]RunStats{}
	for rows.Next() {
		var r RunStats
		var school, national, question, nationalQuestion, durationMS int64
		var refreshMS *int64
		if err := rows.Scan(&r.RunID, &r.Recomputes, &r.Full, &r.DirtyKeys, &school, &national, &question,
			&nationalQuestion, &durationMS, &refreshMS, &r.ExcludedCancelled, &r.ExcludedDomain); err != nil {
			return nil, fmt.Errorf("statistics of runs: %w", err)
		}
		r.Rows = map[string]int64{
			"school_statistics": school, "national_statistics": national,
			"question_statistics": question, "national_question_statistics": nationalQuestion,
		}
		r.Duration = time.Duration(durationMS) * time.Millisecond
		if refreshMS != nil {
			d := time.Duration(*refreshMS) * time.Millisecond
			r.Refresh = &d
		}
		out[r.RunID] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("statistics of runs: %w", err)
	}
	return out, nil
}

// HistoryRows counts the derived rows of one table and year kept from
// before this service (no base data recomputes them).
type HistoryRows struct {
	Table, AcademicYear string
	Rows                int64
}

// History lists the derived rows kept as history, by table and year.
func (s *Stats) History(ctx context.Context) ([]HistoryRows, error) {
	rows, err := s.pool.Query(ctx, s.scripts["recompute.history"])
	if err != nil {
		return nil, fmt.Errorf("statistics history: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (HistoryRows, error) {
		var h HistoryRows
		err := row.Scan(&h.Table, &h.AcademicYear, &h.Rows)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("statistics history: %w", err)
	}
	return out, nil
}
