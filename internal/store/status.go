package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// StatusQuery says what the status page asks for.
type StatusQuery struct {
	// Now is the clock's time: "today" is its UTC day.
	Now time.Time
	// Objects are the objects to report on, in display order.
	Objects []string
	// Runs and Issues cap the lists (the newest first).
	Runs   int
	Issues int
	// Rule keeps the issues of one rule only; empty keeps all.
	Rule string
	// JobKinds are the River job kinds whose pending jobs are listed
	// (Status.Jobs): those that retry a failed run.
	JobKinds []string
}

// Status is the status page's data, read in one snapshot.
type Status struct {
	Objects []ObjectStatus
	// RequestsToday is the Knack requests made since midnight UTC (Knack's
	// quota day), over every object: each counted once, failed ones too.
	RequestsToday int
	// Quota is the day's Knack quota and hint budget.
	Quota QuotaDay
	Runs  []RunSummary
	Held  []HeldSummary
	// Rules counts the open data issues by rule, all rules.
	Rules []RuleCount
	// Issues are the newest open issues (of Rule when set), values verbatim.
	Issues []OpenIssue
	// Jobs are the River jobs of StatusQuery.JobKinds still to run.
	Jobs []PendingJob
}

// ObjectStatus is one object's line.
type ObjectStatus struct {
	Object string
	// LastSuccess is when a sweep that completed the object finished; nil
	// when none has.
	LastSuccess *time.Time
	// Records are the live records in the mirror.
	Records int
	// LastRunID is the last run that touched the object (nil: none), and
	// LastRunChanges the records it changed.
	LastRunID      *int64
	LastRunChanges int
	OpenIssues     int
	// RequestsToday is the Knack requests made for the object today.
	RequestsToday int
}

// RunSummary is one run with its objects' figures added up.
type RunSummary struct {
	ID             int64
	Kind           string
	Objects        []string
	FullSweep      bool
	Status         string
	StartedAt      time.Time
	FinishedAt     *time.Time
	Error          string
	RecordsSeen    int
	RecordsChanged int
	RecordsDeleted int
	DeletionsHeld  int
	DataIssues     int
	KnackRequests  int
}

// HeldSummary is a set of held deletions, counted.
type HeldSummary struct {
	ID            int64
	RunID         int64
	Object        string
	Records       int
	ObjectRecords int
	Reason        string
	CreatedAt     time.Time
}

// RuleCount is the open issues of one rule.
type RuleCount struct {
	Rule  string
	Count int
}

// OpenIssue is one row of knacksync.data_issues. Value may hold personal data.
type OpenIssue struct {
	Object      string
	RecordID    string
	Rule        string
	Field       string
	Value       string
	Detail      string
	RunID       *int64
	FirstSeenAt time.Time
	LastSeenAt  time.Time
	// OtherRecordID is, for a duplicate, the record that wins its key.
	OtherRecordID string
}

// Status reads the status page's data.
func (s *Store) Status(ctx context.Context, q StatusQuery) (*Status, error) {
	st := &Status{}
	dayStart := q.Now.UTC().Truncate(24 * time.Hour)
	// One snapshot: the per-object counts, the runs and the issues agree
	// even while a sweep writes.
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err := pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error {
		objects := q.Objects
		if objects == nil {
			objects = []string{}
		}
		rows, err := tx.Query(ctx, s.stmt("status", "objects"), pgx.NamedArgs{"objects": objects, "day_start": dayStart})
		if err != nil {
			return fmt.Errorf("objects: %w", err)
		}
		if st.Objects, err = pgx.CollectRows(rows, pgx.RowToStructByPos[ObjectStatus]); err != nil {
			return fmt.Errorf("objects: %w", err)
		}
		if err := tx.QueryRow(ctx, s.stmt("status", "requests_today"), pgx.NamedArgs{"day_start": dayStart}).Scan(&st.RequestsToday); err != nil {
			return fmt.Errorf("requests today: %w", err)
		}
		if err := scanQuotaDay(tx.QueryRow(ctx, s.stmt("quota", "day"), pgx.NamedArgs{"day": dayStart}), dayStart, &st.Quota); err != nil {
			return fmt.Errorf("quota: %w", err)
		}
		rows, err = tx.Query(ctx, s.stmt("status", "runs"), pgx.NamedArgs{"limit": q.Runs})
		if err != nil {
			return fmt.Errorf("runs: %w", err)
		}
		if st.Runs, err = pgx.CollectRows(rows, pgx.RowToStructByPos[RunSummary]); err != nil {
			return fmt.Errorf("runs: %w", err)
		}
		rows, err = tx.Query(ctx, s.stmt("status", "held"))
		if err != nil {
			return fmt.Errorf("held deletions: %w", err)
		}
		if st.Held, err = pgx.CollectRows(rows, pgx.RowToStructByPos[HeldSummary]); err != nil {
			return fmt.Errorf("held deletions: %w", err)
		}
		rows, err = tx.Query(ctx, s.stmt("status", "rules"))
		if err != nil {
			return fmt.Errorf("issue rules: %w", err)
		}
		if st.Rules, err = pgx.CollectRows(rows, pgx.RowToStructByPos[RuleCount]); err != nil {
			return fmt.Errorf("issue rules: %w", err)
		}
		rows, err = tx.Query(ctx, s.stmt("status", "issues"), pgx.NamedArgs{"rule": q.Rule, "limit": q.Issues})
		if err != nil {
			return fmt.Errorf("issues: %w", err)
		}
		if st.Issues, err = pgx.CollectRows(rows, pgx.RowToStructByPos[OpenIssue]); err != nil {
			return fmt.Errorf("issues: %w", err)
		}
		if st.Jobs, err = pendingJobs(ctx, tx, s.stmt("rundetail", "jobs"), q.JobKinds); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	return st, nil
}
