package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/config"
	"knacksync/internal/stats"
)

// statsRefreshEvery is the least time between two refreshes of
// comparative_metrics after hint passes (a refresh rewrites the whole view).
const statsRefreshEvery = time.Minute

// statsPageEvery is the least time between two recomputes after sweep
// pages (the end of the pass always recomputes).
const statsPageEvery = 10 * time.Second

// newStats builds the derived statistics' recomputer.
func newStats(cfg config.Config, logger *slog.Logger, pool *pgxpool.Pool) *stats.Stats {
	return stats.New(pool, logger, time.Now, stats.Config{ExcludeDomains: cfg.StatsExcludeEmailDomains, RefreshEvery: statsRefreshEvery, PageEvery: statsPageEvery})
}

// runStatsOnly is `server sync --stats-only`: a full recompute of the
// derived statistics from the base tables, without calling Knack.
func runStatsOnly(ctx context.Context, w io.Writer, st *stats.Stats) error {
	res, err := st.RecomputeAll(ctx, 0)
	if err != nil {
		return err
	}
	printStatsResult(w, res)
	return nil
}

// printStatsResult writes a recompute's figures as a table.
func printStatsResult(w io.Writer, res stats.Result) {
	fmt.Fprintf(w, "statistics recomputed (full: %t) in %s", res.Full, res.Duration.Round(time.Millisecond))
	if res.Refreshed {
		fmt.Fprintf(w, "; comparative_metrics refreshed in %s", res.Refresh.Round(time.Millisecond))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table\tinserted\tupdated\tdeleted\t")
	for _, t := range stats.Tables {
		c := res.Tables[t]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", t, c.Inserted, c.Updated, c.Deleted)
	}
	tw.Flush()
	if res.Full {
		fmt.Fprintf(w, "national population leaves out %d students of cancelled schools and %d of excluded e-mail domains\n",
			res.ExcludedCancelled, res.ExcludedDomain)
	}
}

// printRunStatistics writes what a run's statistics recomputes did, when
// they did anything.
func printRunStatistics(ctx context.Context, w io.Writer, st *stats.Stats, runID int64) {
	figures, err := st.ForRuns(ctx, []int64{runID})
	f, ok := figures[runID]
	if err != nil || !ok {
		return
	}
	fmt.Fprintf(w, "statistics: %d rows written in %s (%d recomputes", f.Written(), f.Duration.Round(time.Millisecond), f.Recomputes)
	if f.Full {
		fmt.Fprint(w, ", one of them full")
	}
	fmt.Fprintln(w, ")")
	for _, t := range stats.Tables {
		fmt.Fprintf(w, "  %-30s %d\n", t, f.Rows[t])
	}
}
