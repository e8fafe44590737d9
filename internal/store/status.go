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
	// LastSuccess is the object's last successful sync (store.LastSuccess);
	// nil when none has been.
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
	// New is those first seen at or after the time IssuesByRule was given.
	New int
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
		st.Objects, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ObjectStatus, error) {
			var o ObjectStatus
			err := r.Scan(&o.Object, &o.Records, &o.LastRunID, &o.LastRunChanges, &o.OpenIssues, &o.RequestsToday)
			return o, err
		})
		if err != nil {
			return fmt.Errorf("objects: %w", err)
		}
		last, err := LastSuccess(ctx, tx)
		if err != nil {
			return err
		}
		for i, o := range st.Objects {
			if t, ok := last[o.Object]; ok {
				st.Objects[i].LastSuccess = &t
			}
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
		if st.Held, err = PendingHeld(ctx, tx); err != nil {
			return err
		}
		if st.Rules, err = IssuesByRule(ctx, tx, nil); err != nil {
			return err
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

// LastSuccess returns, per object, its last successful sync: when the
// newest finished sweep that completed the object finished (sql/status.sql,
// last_success). Objects never synced are absent. It is the one definition
// the status page and the knacksync_last_success_timestamp_seconds gauge
// share; db is the pool, or a transaction to read it in a snapshot.
func LastSuccess(ctx context.Context, db Querier) (map[string]time.Time, error) {
	rows, err := db.Query(ctx, stmt("status", "last_success"))
	if err != nil {
		return nil, fmt.Errorf("last success: %w", err)
	}
	out := map[string]time.Time{}
	var object string
	var at time.Time
	_, err = pgx.ForEachRow(rows, []any{&object, &at}, func() error {
		out[object] = at
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("last success: %w", err)
	}
	return out, nil
}

// PendingHeld returns the held deletions not applied yet, without their
// record ids (sql/status.sql, held): the status page's and the e-mail
// report's. db is the pool, or a transaction to read it in a snapshot.
func PendingHeld(ctx context.Context, db Querier) ([]HeldSummary, error) {
	rows, err := db.Query(ctx, stmt("status", "held"))
	if err != nil {
		return nil, fmt.Errorf("held deletions: %w", err)
	}
	held, err := pgx.CollectRows(rows, pgx.RowToStructByPos[HeldSummary])
	if err != nil {
		return nil, fmt.Errorf("held deletions: %w", err)
	}
	return held, nil
}

// IssuesByRule counts the open data issues by rule, and in New those first
// seen at or after since (none when since is nil) (sql/status.sql, rules).
func IssuesByRule(ctx context.Context, db Querier, since *time.Time) ([]RuleCount, error) {
	rows, err := db.Query(ctx, stmt("status", "rules"), pgx.NamedArgs{"since": since})
	if err != nil {
		return nil, fmt.Errorf("issues by rule: %w", err)
	}
	rules, err := pgx.CollectRows(rows, pgx.RowToStructByPos[RuleCount])
	if err != nil {
		return nil, fmt.Errorf("issues by rule: %w", err)
	}
	return rules, nil
}
