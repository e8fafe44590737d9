// Package stats computes the dashboard's derived statistics
// (school_statistics, national_statistics, question_statistics,
// national_question_statistics) from the base tables, in set-based SQL
// (sql/, one file per table), and refreshes comparative_metrics.
//
// A recompute is one transaction under an advisory lock: readers never see
// a half-written national year. It writes only rows whose values differ, so
// a recompute with nothing changed writes 0 rows. The incremental path
// recomputes the keys the sync's merges marked dirty (triggers installed by
// migration 00006, active when a transaction sets knacksync.mark_dirty);
// the full path recomputes every key. docs/statistics.md has the
// definitions.
package stats

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/dbmigrate"
)

//go:embed sql/*.sql
var sqlFS embed.FS

// Tables are the derived tables, in the order a recompute writes them.
var Tables = []string{"school_statistics", "national_statistics", "question_statistics", "national_question_statistics"}

// MarkDirtySQL is the statement a sync transaction runs so that the rows it
// writes mark their statistics keys dirty.
const MarkDirtySQL = "SET LOCAL knacksync.mark_dirty = 'on'"

// Config tunes the recomputes.
type Config struct {
	// ExcludeDomains are the e-mail domains (lower case) left out of the
	// national statistics.
	ExcludeDomains []string
	// RefreshEvery is the least time between two refreshes of
	// comparative_metrics on the incremental path (a refresh rewrites the
	// whole view); a due refresh waits for the next recompute after it. A
	// full recompute always refreshes.
	RefreshEvery time.Duration
	// PageEvery is the least time between the end of one recompute and a
	// recompute that does not wait (after a sweep page): a sweep's pages
	// come faster than the national keys they all touch can be recomputed,
	// and the end of the pass recomputes anyway.
	PageEvery time.Duration
	// PageMaxKeys is the most dirty keys a recompute that does not wait
	// takes on; more (a bulk load) wait for the end of the pass. 0 means
	// DefaultPageMaxKeys.
	PageMaxKeys int
}

// DefaultPageMaxKeys is Config.PageMaxKeys's default.
const DefaultPageMaxKeys = 2000

// Counts are the rows a recompute wrote to one table.
type Counts struct {
	Inserted, Updated, Deleted int64
}

// Written is the number of rows inserted, updated or deleted.
func (c Counts) Written() int64 { return c.Inserted + c.Updated + c.Deleted }

// Result is what one recompute did.
type Result struct {
	Full bool
	// Skipped is set when another recompute held the lock and the caller
	// did not wait: the dirty keys stay for the next one.
	Skipped   bool
	DirtyKeys int64 // dirty keys taken (full recomputes take them too)
	Tables    map[string]Counts
	Duration  time.Duration // the recompute transaction
	Refreshed bool          // comparative_metrics was refreshed
	Refresh   time.Duration
	// Students the national population left out (full recomputes only).
	ExcludedCancelled, ExcludedDomain int64
}

// Written is the number of derived rows written.
func (r Result) Written() int64 {
	var n int64
	for _, c := range r.Tables {
		n += c.Written()
	}
	return n
}

// Stats recomputes the derived statistics on a pool.
type Stats struct {
	pool    *pgxpool.Pool
	logger  *slog.Logger
	now     func() time.Time
	cfg     Config
	scripts map[string]string // file or "file.section" → SQL

	mu          sync.Mutex
	lastRefresh time.Time
	lastEnd     time.Time // of the last recompute
}

// New returns a Stats on pool.
func New(pool *pgxpool.Pool, logger *slog.Logger, now func() time.Time, cfg Config) *Stats {
	lower := make([]string, 0, len(cfg.ExcludeDomains))
	for _, d := range cfg.ExcludeDomains {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			lower = append(lower, d)
		}
	}
	cfg.ExcludeDomains = lower
	if cfg.PageMaxKeys == 0 {
		cfg.PageMaxKeys = DefaultPageMaxKeys
	}
	return &Stats{pool: pool, logger: logger, now: now, cfg: cfg, scripts: loadScripts()}
}

// RecomputeAll recomputes every key of every derived table and refreshes
// comparative_metrics. runID, when not 0, is the run its figures are
// recorded under (knacksync.run_statistics).
func (s *Stats) RecomputeAll(ctx context.Context, runID int64) (Result, error) {
	s.analyzeStale(ctx)
	return s.recompute(ctx, runID, true, true)
}

// analyzeStale analyzes the tables the planner knows too little of (after
// a first sweep autovacuum has not caught up, and the recompute's joins
// would be planned blind). A failure (a role that may not analyze) is only
// logged: the recompute is then slower, not wrong.
func (s *Stats) analyzeStale(ctx context.Context) {
	if _, err := dbmigrate.AnalyzeStale(ctx, s.pool, dbmigrate.Changed); err != nil {
		s.logger.WarnContext(ctx, "statistics: analyze base tables", slog.String("error", err.Error()))
	}
}

// RecomputeDirty recomputes the keys marked dirty since the last recompute.
// With wait false it returns at once (Skipped) when another recompute is
// running: the keys stay dirty for the next one.
func (s *Stats) RecomputeDirty(ctx context.Context, runID int64, wait bool) (Result, error) {
	return s.recompute(ctx, runID, false, wait)
}

func (s *Stats) recompute(ctx context.Context, runID int64, full, wait bool) (Result, error) {
	res := Result{Full: full, Tables: map[string]Counts{}}
	start := s.now()
	if !wait && !s.pageDue(start) {
		res.Skipped = true
		return res, nil
	}
	defer func() {
		s.mu.Lock()
		s.lastEnd = s.now()
		s.mu.Unlock()
	}()
	var refresh bool
	args := pgx.NamedArgs{"full": full, "exclude": s.cfg.ExcludeDomains}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if wait {
			if _, err := tx.Exec(ctx, s.scripts["recompute.lock"]); err != nil {
				return err
			}
		} else {
			var locked bool
			if err := tx.QueryRow(ctx, s.scripts["recompute.try_lock"]).Scan(&locked); err != nil {
				return err
			}
			if !locked {
				res.Skipped = true
				return nil
			}
			var tooMany bool
			if err := tx.QueryRow(ctx, s.scripts["recompute.too_many"], pgx.NamedArgs{"max": s.cfg.PageMaxKeys}).Scan(&tooMany); err != nil {
				return err
			}
			if tooMany {
				res.Skipped = true
				return nil
			}
		}
		for _, name := range []string{"work_mem", "custom_plans", "scope", "claim", "analyze"} {
			if _, err := tx.Exec(ctx, s.scripts["recompute."+name]); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		var baseChanged, eri bool
		var vespaKeys, answerKeys int64
		if err := tx.QueryRow(ctx, s.scripts["recompute.claimed"]).Scan(&res.DirtyKeys, &baseChanged,
			&vespaKeys, &answerKeys, &eri); err != nil {
			return err
		}
		if !full && res.DirtyKeys == 0 && !baseChanged {
			return nil
		}
		args["eri"] = eri
		var steps []string
		switch {
		case full:
			steps = []string{"full_vespa", "vespa", "analyze_vespa", "full_answers", "answers", "analyze_answers"}
		default:
			if vespaKeys > 0 {
				steps = append(steps, "dirty_vespa", "vespa_dirty")
			}
			if answerKeys > 0 {
				steps = append(steps, "dirty_answers", "answers_dirty")
			}
		}
		if _, err := tx.Exec(ctx, s.scripts["recompute.hash_only"]); err != nil {
			return err
		}
		for _, name := range steps {
			if _, err := tx.Exec(ctx, s.scripts["histograms."+name], args); err != nil {
				return fmt.Errorf("histograms %s: %w", name, err)
			}
		}
		if _, err := tx.Exec(ctx, s.scripts["recompute.sort_again"]); err != nil {
			return err
		}
		for _, table := range Tables {
			var name string
			var c Counts
			var adopted int64
			if err := tx.QueryRow(ctx, s.scripts[table], args).Scan(&name, &c.Inserted, &c.Updated, &c.Deleted, &adopted); err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
			res.Tables[table] = c
		}
		if full {
			if err := tx.QueryRow(ctx, s.scripts["recompute.excluded"], args).Scan(&res.ExcludedCancelled, &res.ExcludedDomain); err != nil {
				return fmt.Errorf("exclusions: %w", err)
			}
		}
		refresh = full || (baseChanged && s.refreshDue())
		if baseChanged && !refresh {
			_, err := tx.Exec(ctx, s.scripts["recompute.matview_pending"])
			return err
		}
		return nil
	})
	res.Duration = s.now().Sub(start)
	if err != nil {
		return res, fmt.Errorf("statistics: %w", err)
	}
	if refresh {
		t := s.now()
		if _, err := s.pool.Exec(ctx, s.scripts["recompute.refresh"]); err != nil {
			return res, fmt.Errorf("statistics: refresh comparative_metrics: %w", err)
		}
		res.Refreshed, res.Refresh = true, s.now().Sub(t)
		s.mu.Lock()
		s.lastRefresh = s.now()
		s.mu.Unlock()
	}
	if !res.Skipped && (full || res.DirtyKeys > 0 || res.Refreshed) {
		s.logger.InfoContext(ctx, "statistics recomputed", slog.Bool("full", full), slog.Int64("dirty_keys", res.DirtyKeys),
			slog.Int64("rows_written", res.Written()), slog.Duration("took", res.Duration), slog.Bool("refreshed", res.Refreshed))
		if runID != 0 {
			if err := s.record(ctx, runID, res); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// pageDue reports whether PageEvery has passed since the last recompute.
func (s *Stats) pageDue(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastEnd.IsZero() || now.Sub(s.lastEnd) >= s.cfg.PageEvery
}

// refreshDue reports whether RefreshEvery has passed since the last refresh.
func (s *Stats) refreshDue() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastRefresh.IsZero() || s.now().Sub(s.lastRefresh) >= s.cfg.RefreshEvery
}

func (s *Stats) record(ctx context.Context, runID int64, res Result) error {
	var refreshMS, cancelled, domain any
	if res.Refreshed {
		refreshMS = res.Refresh.Milliseconds()
	}
	if res.Full {
		cancelled, domain = res.ExcludedCancelled, res.ExcludedDomain
	}
	_, err := s.pool.Exec(ctx, s.scripts["recompute.record"], pgx.NamedArgs{
		"run_id": runID, "full": res.Full, "dirty_keys": res.DirtyKeys,
		"school_rows":            res.Tables["school_statistics"].Written(),
		"national_rows":          res.Tables["national_statistics"].Written(),
		"question_rows":          res.Tables["question_statistics"].Written(),
		"national_question_rows": res.Tables["national_question_statistics"].Written(),
		"duration_ms":            res.Duration.Milliseconds(), "refresh_ms": refreshMS,
		"excluded_cancelled": cancelled, "excluded_domain": domain,
	})
	if err != nil {
		return fmt.Errorf("statistics: record run %d: %w", runID, err)
	}
	return nil
}

// loadScripts reads sql/: a table's file is one statement, named after the
// file; recompute.sql holds "-- name: x" sections, named "recompute.x".
func loadScripts() map[string]string {
	out := map[string]string{}
	entries, err := sqlFS.ReadDir("sql")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := sqlFS.ReadFile("sql/" + e.Name())
		if err != nil {
			panic(err)
		}
		name := strings.TrimSuffix(e.Name(), ".sql")
		parts := strings.Split(string(b), "-- name: ")
		if len(parts) == 1 {
			out[name] = string(b)
			continue
		}
		for _, part := range parts[1:] {
			section, body, _ := strings.Cut(part, "\n")
			out[name+"."+strings.TrimSpace(section)] = body
		}
	}
	return out
}
