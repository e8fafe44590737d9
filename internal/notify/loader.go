package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"knacksync/internal/store"
)

// Querier is what Loader needs of a pool (*pgxpool.Pool has it).
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Loader reads the report's extras from the database.
type Loader struct {
	db Querier
}

// NewLoader returns a Loader on db.
func NewLoader(db Querier) *Loader { return &Loader{db: db} }

// Load reads the open data issues by rule (and those new since run
// started) and the pending held deletions, as the status page counts them
// (store.IssuesByRule, store.PendingHeld). run may be nil.
func (l *Loader) Load(ctx context.Context, run *store.Run) (ReportExtra, error) {
	var extra ReportExtra
	// Without a run nothing counts as new.
	var since *time.Time
	if run != nil {
		since = &run.StartedAt
	}
	rules, err := store.IssuesByRule(ctx, l.db, since)
	if err != nil {
		return extra, fmt.Errorf("load data issues: %w", err)
	}
	extra.IssuesByRule, extra.NewIssuesByRule = map[string]int{}, map[string]int{}
	for _, r := range rules {
		extra.IssuesByRule[r.Rule], extra.NewIssuesByRule[r.Rule] = r.Count, r.New
	}
	if extra.Held, err = store.PendingHeld(ctx, l.db); err != nil {
		return extra, fmt.Errorf("load held deletions: %w", err)
	}
	if run != nil {
		extra.Statistics, err = l.loadStatistics(ctx, run.ID)
	}
	return extra, err
}
