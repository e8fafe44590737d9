package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// QuotaDay is one UTC day of Knack spending and the plan quota. Figures
// not known are -1.
type QuotaDay struct {
	Day time.Time
	// Requests is every request the service made that day; HintRequests
	// those made for hints.
	Requests     int64
	HintRequests int64
	// PlanLimit is the daily quota (X-PlanLimit-Limit; a new day takes the
	// last one seen). Remaining is the lowest X-PlanLimit-Remaining seen
	// that day, at SeenAt.
	PlanLimit int64
	Remaining int64
	SeenAt    *time.Time
	// Reserve, SweepNeed and HintBudget are the budget as last computed.
	Reserve    int64
	SweepNeed  int64
	HintBudget int64
	// HintsStoppedAt is when hints first stopped for want of budget.
	HintsStoppedAt *time.Time
}

// Spend is what one metered request adds to its day.
type Spend struct {
	Day     time.Time
	Object  string
	Purpose string
	// Requests is the attempts to add (1, more when earlier writes failed).
	Requests int64
	// PlanLimit and Remaining are the response's X-PlanLimit-* headers, -1
	// when absent; SeenAt the response's time.
	PlanLimit int64
	Remaining int64
	SeenAt    time.Time
	// Reserve, SweepNeed and HintBudget, when not -1, record the budget.
	Reserve    int64
	SweepNeed  int64
	HintBudget int64
}

// RecordSpend adds a request to the ledger with the quota it reported, and
// returns the day as it stands, in one round trip.
func (s *Store) RecordSpend(ctx context.Context, sp Spend) (QuotaDay, error) {
	day := utcDay(sp.Day)
	var b pgx.Batch
	if sp.Requests > 0 {
		b.Queue(s.stmt("quota", "count"), pgx.NamedArgs{"day": day, "object": sp.Object, "purpose": sp.Purpose, "n": sp.Requests})
	}
	if sp.PlanLimit >= 0 || sp.Remaining >= 0 || sp.Reserve >= 0 {
		b.Queue(s.stmt("quota", "plan"), pgx.NamedArgs{
			"day": day, "plan_limit": unknownNil(sp.PlanLimit), "remaining": unknownNil(sp.Remaining),
			"seen_at": seenNil(sp), "reserve": unknownNil(sp.Reserve), "sweep_need": unknownNil(sp.SweepNeed),
			"hint_budget": unknownNil(sp.HintBudget),
		})
	}
	var q QuotaDay
	b.Queue(s.stmt("quota", "day"), pgx.NamedArgs{"day": day}).QueryRow(func(row pgx.Row) error {
		return scanQuotaDay(row, day, &q)
	})
	if err := s.pool.SendBatch(ctx, &b).Close(); err != nil {
		return QuotaDay{}, fmt.Errorf("record knack request: %w", err)
	}
	return q, nil
}

// QuotaDay reads the day of t.
func (s *Store) QuotaDay(ctx context.Context, t time.Time) (QuotaDay, error) {
	day := utcDay(t)
	var q QuotaDay
	if err := scanQuotaDay(s.pool.QueryRow(ctx, s.stmt("quota", "day"), pgx.NamedArgs{"day": day}), day, &q); err != nil {
		return QuotaDay{}, fmt.Errorf("knack quota day: %w", err)
	}
	return q, nil
}

// HintsStopped records that hints stopped for want of budget on now's day;
// first is true for the first caller of that day only.
func (s *Store) HintsStopped(ctx context.Context, now time.Time) (first bool, err error) {
	var day time.Time
	err = s.pool.QueryRow(ctx, s.stmt("quota", "hints_stopped"), pgx.NamedArgs{"day": utcDay(now), "now": now}).Scan(&day)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("hints stopped: %w", err)
	}
	return true, nil
}

// SweepPages estimates the page requests a full sweep of objects makes,
// from the mirror's live records.
func (s *Store) SweepPages(ctx context.Context, objects []string) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, s.stmt("quota", "sweep_pages"), pgx.NamedArgs{"objects": objects}).Scan(&n); err != nil {
		return 0, fmt.Errorf("sweep pages: %w", err)
	}
	return n, nil
}

func scanQuotaDay(row pgx.Row, day time.Time, q *QuotaDay) error {
	q.Day = day
	return row.Scan(&q.Requests, &q.HintRequests, &q.PlanLimit, &q.Remaining, &q.SeenAt,
		&q.Reserve, &q.SweepNeed, &q.HintBudget, &q.HintsStoppedAt)
}

// utcDay is t's UTC date: Knack's quota day.
func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func unknownNil(n int64) any {
	if n < 0 {
		return nil
	}
	return n
}

func seenNil(sp Spend) any {
	if sp.PlanLimit < 0 && sp.Remaining < 0 {
		return nil
	}
	return sp.SeenAt
}

// RefusedSweep records a full sweep that did not start for want of quota as
// a failed run that gives the reason: the status page, the report and the
// run history show it.
func (s *Store) RefusedSweep(ctx context.Context, objects []string, reason string, now time.Time) (*Run, error) {
	id, err := s.StartRun(ctx, KindSweep, objects, true, now)
	if err != nil {
		return nil, err
	}
	return s.FinishRun(ctx, id, StatusFailed, reason, now)
}
