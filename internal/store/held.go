package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// KindDeletes is the run kind of applying held deletions.
const KindDeletes = "deletes"

// Held is a set of deletions a sweep held back.
type Held struct {
	ID            int64
	RunID         int64
	Object        string
	RecordIDs     []string
	ObjectRecords int
	Reason        string
	CreatedAt     time.Time
}

// HoldDeletions records deletions a sweep will not apply on its own.
func (s *Store) HoldDeletions(ctx context.Context, runID int64, object string, ids []string, objectRecords int, reason string, now time.Time) error {
	_, err := s.pool.Exec(ctx, s.stmt("held", "hold"), pgx.NamedArgs{
		"run_id": runID, "object": object, "ids": ids, "object_records": objectRecords, "reason": reason, "now": now,
	})
	if err != nil {
		return fmt.Errorf("hold deletions of %s: %w", object, err)
	}
	return nil
}

// HeldDeletions lists the held deletions not applied yet.
func (s *Store) HeldDeletions(ctx context.Context) ([]Held, error) {
	rows, err := s.pool.Query(ctx, s.stmt("held", "pending"))
	if err != nil {
		return nil, fmt.Errorf("held deletions: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Held])
	if err != nil {
		return nil, fmt.Errorf("held deletions: %w", err)
	}
	return out, nil
}

// StillMissing filters held ids down to those not seen since they were held.
func (s *Store) StillMissing(ctx context.Context, object string, ids []string, since time.Time) ([]string, error) {
	rows, err := s.pool.Query(ctx, s.stmt("held", "still_missing"), pgx.NamedArgs{"object": object, "ids": ids, "since": since})
	if err != nil {
		return nil, fmt.Errorf("still missing %s: %w", object, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("still missing %s: %w", object, err)
	}
	return out, nil
}

// DeletionsApplied marks held deletions confirmed and applied, in tx.
func (s *Store) DeletionsApplied(ctx context.Context, tx pgx.Tx, id int64, now time.Time) error {
	if _, err := tx.Exec(ctx, s.stmt("held", "applied"), pgx.NamedArgs{"id": id, "now": now}); err != nil {
		return fmt.Errorf("deletions applied: %w", err)
	}
	return nil
}
