package doctor

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"knacksync/internal/stats"
)

// checkStatistics lists the derived statistics rows kept as history: rows
// the dashboard's tables held before this service, for keys with no base
// data to recompute them from (docs/statistics.md). They stay until an
// operator purges them.
func checkStatistics(ctx context.Context, s *session) []Result {
	var migrated bool
	if err := s.pool.QueryRow(ctx, "SELECT to_regclass('knacksync.stats_history') IS NOT NULL").Scan(&migrated); err != nil {
		return []Result{fail("%s", s.errText(err))}
	}
	if !migrated {
		return []Result{warn("not checked: the statistics tables do not exist yet (run `server migrate`)")}
	}
	hist, err := stats.New(s.pool, slog.New(slog.DiscardHandler), time.Now, stats.Config{}).History(ctx)
	if err != nil {
		return []Result{fail("%s: run `server migrate`", s.errText(err))}
	}
	if len(hist) == 0 {
		return []Result{ok("no derived rows kept from before knacksync: every row is recomputed from the base tables")}
	}
	var total int64
	var parts []string
	for _, h := range hist {
		total += h.Rows
		parts = append(parts, fmt.Sprintf("%s %s: %d", h.Table, h.AcademicYear, h.Rows))
	}
	return []Result{ok("%d derived rows kept as history, with no base data to recompute them (%s); delete them by hand when no longer wanted",
		total, strings.Join(parts, ", "))}
}
