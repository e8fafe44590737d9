package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrRunNotFound: no run has the id asked for.
var ErrRunNotFound = errors.New("no such run")

// RunDetail is one run as its detail page shows it.
type RunDetail struct {
	Run
	// NewIssues are, per object, the open data issues the run raised
	// first (cleared issues are not recorded).
	NewIssues map[string]int
	// Later are the runs of the same kind since, the nearest first.
	Later []LaterRun
}

// LaterRun is a run after another.
type LaterRun struct {
	ID      int64
	Kind    string
	Objects []string
	Status  string
}

// PendingJob is a River job still to run, or running.
type PendingJob struct {
	ID          int64
	Kind        string
	State       string
	Attempt     int
	MaxAttempts int
	ScheduledAt time.Time
	// Object is the job's "object" argument (hints jobs), or "".
	Object string
}

// RunDetail loads a run with its objects, tables, new issues and the
// runs of its kind since. A run that does not exist is ErrRunNotFound.
func (s *Store) RunDetail(ctx context.Context, runID int64) (*RunDetail, error) {
	r, err := s.Run(ctx, runID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("run %d: %w", runID, ErrRunNotFound)
	}
	if err != nil {
		return nil, err
	}
	d := &RunDetail{Run: *r, NewIssues: map[string]int{}}
	args := pgx.NamedArgs{"run_id": runID, "started_at": r.StartedAt, "kind": r.Kind}
	rows, err := s.pool.Query(ctx, s.stmt("rundetail", "new_issues"), args)
	if err != nil {
		return nil, fmt.Errorf("run %d new issues: %w", runID, err)
	}
	var object string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&object, &n}, func() error {
		d.NewIssues[object] = n
		return nil
	}); err != nil {
		return nil, fmt.Errorf("run %d new issues: %w", runID, err)
	}
	rows, err = s.pool.Query(ctx, s.stmt("rundetail", "later"), args)
	if err != nil {
		return nil, fmt.Errorf("run %d later runs: %w", runID, err)
	}
	if d.Later, err = pgx.CollectRows(rows, pgx.RowToStructByPos[LaterRun]); err != nil {
		return nil, fmt.Errorf("run %d later runs: %w", runID, err)
	}
	return d, nil
}

// PendingJobs lists the River jobs of kinds still to run or running, the
// soonest first.
func (s *Store) PendingJobs(ctx context.Context, kinds []string) ([]PendingJob, error) {
	return pendingJobs(ctx, s.pool, s.stmt("rundetail", "jobs"), kinds)
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func pendingJobs(ctx context.Context, q querier, sql string, kinds []string) ([]PendingJob, error) {
	if kinds == nil {
		kinds = []string{}
	}
	rows, err := q.Query(ctx, sql, pgx.NamedArgs{"kinds": kinds})
	if err != nil {
		return nil, fmt.Errorf("pending jobs: %w", err)
	}
	jobs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[PendingJob])
	if err != nil {
		return nil, fmt.Errorf("pending jobs: %w", err)
	}
	if len(jobs) == 0 {
		return nil, nil
	}
	return jobs, nil
}

// EachIssue calls fn for every open data issue (of rule when not empty),
// newest first, as the rows arrive: the CSV export streams them instead
// of holding them all. Values are verbatim: the caller masks them.
func (s *Store) EachIssue(ctx context.Context, rule string, fn func(OpenIssue) error) error {
	// No limit: LIMIT NULL is all of them.
	rows, err := s.pool.Query(ctx, s.stmt("status", "issues"), pgx.NamedArgs{"rule": rule, "limit": nil})
	if err != nil {
		return fmt.Errorf("issues: %w", err)
	}
	defer rows.Close()
	scan := pgx.RowToStructByPos[OpenIssue]
	for rows.Next() {
		i, err := scan(rows)
		if err != nil {
			return fmt.Errorf("issues: %w", err)
		}
		if err := fn(i); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("issues: %w", err)
	}
	return nil
}
