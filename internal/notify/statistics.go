package notify

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

//go:embed sql/run_statistics.sql
var runStatisticsSQL string

// RunStatistics is what a run's derived statistics recomputes did.
type RunStatistics struct {
	Recomputes int
	Full       bool
	// Rows written per derived table, in the order of the report.
	School, National, Question, NationalQuestion int64
	Duration                                     time.Duration
	Refresh                                      *time.Duration // comparative_metrics, when refreshed
}

// loadStatistics reads a run's statistics figures; nil when it has none.
func (l *Loader) loadStatistics(ctx context.Context, runID int64) (*RunStatistics, error) {
	rows, err := l.db.Query(ctx, runStatisticsSQL, pgx.NamedArgs{"run_id": runID})
	if err != nil {
		return nil, fmt.Errorf("load run statistics: %w", err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (RunStatistics, error) {
		var r RunStatistics
		var durationMS int64
		var refreshMS *int64
		err := row.Scan(&r.Recomputes, &r.Full, &r.School, &r.National, &r.Question, &r.NationalQuestion, &durationMS, &refreshMS)
		r.Duration = time.Duration(durationMS) * time.Millisecond
		if refreshMS != nil {
			d := time.Duration(*refreshMS) * time.Millisecond
			r.Refresh = &d
		}
		return r, err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load run statistics: %w", err)
	}
	return &r, nil
}

// writeStatistics adds the derived statistics section to a report.
func writeStatistics(b *strings.Builder, extra ReportExtra) {
	st := extra.Statistics
	if st == nil {
		return
	}
	b.WriteString("\nDashboard statistics\n--------------------\n")
	what := "recomputed the keys the run changed"
	if st.Full {
		what = "recomputed in full"
	}
	fmt.Fprintf(b, "  %s in %s (%d recompute%s)", what, fmtDuration(st.Duration), st.Recomputes, plural(st.Recomputes))
	if st.Refresh != nil {
		fmt.Fprintf(b, "; comparative_metrics refreshed in %s", fmtDuration(*st.Refresh))
	}
	b.WriteString("\n")
	t := newTable(b)
	t.row("table", "rows written")
	for _, r := range []struct {
		name string
		n    int64
	}{
		{"school_statistics", st.School}, {"national_statistics", st.National},
		{"question_statistics", st.Question}, {"national_question_statistics", st.NationalQuestion},
	} {
		t.row(r.name, i64(r.n))
	}
	t.flush()
}
