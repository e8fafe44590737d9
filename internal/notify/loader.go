package notify

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"knacksync/internal/store"
)

var (
	//go:embed sql/issues_by_rule.sql
	issuesByRuleSQL string
	//go:embed sql/held_pending.sql
	heldPendingSQL string
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
// started) and the pending held deletions. run may be nil.
func (l *Loader) Load(ctx context.Context, run *store.Run) (ReportExtra, error) {
	var extra ReportExtra
	// Without a run nothing counts as new.
	since := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	if run != nil {
		since = run.StartedAt
	}
	rows, err := l.db.Query(ctx, issuesByRuleSQL, pgx.NamedArgs{"since": since})
	if err != nil {
		return extra, fmt.Errorf("load data issues: %w", err)
	}
	extra.IssuesByRule, extra.NewIssuesByRule = map[string]int{}, map[string]int{}
	var rule string
	var open, fresh int
	_, err = pgx.ForEachRow(rows, []any{&rule, &open, &fresh}, func() error {
		extra.IssuesByRule[rule], extra.NewIssuesByRule[rule] = open, fresh
		return nil
	})
	if err != nil {
		return extra, fmt.Errorf("load data issues: %w", err)
	}
	rows, err = l.db.Query(ctx, heldPendingSQL)
	if err != nil {
		return extra, fmt.Errorf("load held deletions: %w", err)
	}
	extra.Held, err = pgx.CollectRows(rows, pgx.RowToStructByPos[HeldDeletion])
	if err != nil {
		return extra, fmt.Errorf("load held deletions: %w", err)
	}
	if run != nil {
		extra.Statistics, err = l.loadStatistics(ctx, run.ID)
	}
	return extra, err
}
