package metrics

import (
	"maps"
	"slices"

	"knacksync/internal/store"
)

// ObserveRun records a finished run (store.FinishRun's result): its kind
// and status, its duration, the records it found changed or deleted per
// object and the rows it wrote per table. Call it once per run: a run's
// figures are its totals, so a second call counts them twice. A nil run
// or one still running is ignored.
func (m *Metrics) ObserveRun(run *store.Run) {
	if m == nil || run == nil || run.Status == store.StatusRunning {
		return
	}
	m.runs.WithLabelValues(run.Kind, run.Status).Inc()
	if run.FinishedAt != nil {
		if d := run.FinishedAt.Sub(run.StartedAt); d >= 0 {
			m.runDuration.WithLabelValues(run.Kind).Observe(d.Seconds())
		}
	}
	for _, p := range run.Progress {
		// Add the zero too: the object's series then exists from its
		// first run, not from its first change.
		m.recordsChanged.WithLabelValues(p.Object).Add(float64(max(p.RecordsChanged, 0)))
		m.recordsDeleted.WithLabelValues(p.Object).Add(float64(max(p.RecordsDeleted, 0)))
	}
	for _, table := range slices.Sorted(maps.Keys(run.Tables)) {
		c := run.Tables[table]
		m.rowsWritten.WithLabelValues(table, "insert").Add(float64(max(c.Inserted, 0)))
		m.rowsWritten.WithLabelValues(table, "update").Add(float64(max(c.Updated, 0)))
		m.rowsWritten.WithLabelValues(table, "delete").Add(float64(max(c.Deleted, 0)))
	}
}
