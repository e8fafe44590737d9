package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Hint is a change hint for one record: "this record may have changed".
type Hint struct {
	Object   string
	RecordID string
	Event    string // create, update or delete
}

// RecordHints stores hints in tx (coalesced per record, each bumping the
// record's version). The caller enqueues the job in the same tx.
func (s *Store) RecordHints(ctx context.Context, tx pgx.Tx, hints []Hint, now time.Time) error {
	objects := make([]string, len(hints))
	ids := make([]string, len(hints))
	events := make([]string, len(hints))
	for i, h := range hints {
		objects[i], ids[i], events[i] = h.Object, h.RecordID, h.Event
	}
	if _, err := tx.Exec(ctx, s.stmt("hints", "accept_lock"), pgx.NamedArgs{"objects": uniq(objects)}); err != nil {
		return fmt.Errorf("record hints: %w", err)
	}
	_, err := tx.Exec(ctx, s.stmt("hints", "record"), pgx.NamedArgs{"objects": objects, "record_ids": ids, "events": events, "now": now})
	if err != nil {
		return fmt.Errorf("record hints: %w", err)
	}
	return nil
}

func uniq(s []string) []string {
	var out []string
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// HintsSettled is a hints job's last look: it waits for the transactions
// still recording hints for object, then says whether any hint is left.
func (s *Store) HintsSettled(ctx context.Context, object string) (bool, error) {
	var left int
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		st, err := s.section("hints", "settled")
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, st[0].sql, pgx.NamedArgs{"object": object}); err != nil {
			return err
		}
		return tx.QueryRow(ctx, st[1].sql, pgx.NamedArgs{"object": object}).Scan(&left)
	})
	if err != nil {
		return false, fmt.Errorf("hints settled %s: %w", object, err)
	}
	return left == 0, nil
}

// PendingHint is a stored hint and the version the worker read.
type PendingHint struct {
	RecordID string
	Event    string
	Version  int64
}

// PendingHints returns up to limit hints of object, oldest first.
func (s *Store) PendingHints(ctx context.Context, object string, limit int) ([]PendingHint, error) {
	rows, err := s.pool.Query(ctx, s.stmt("hints", "pending"), pgx.NamedArgs{"object": object, "limit": limit})
	if err != nil {
		return nil, fmt.Errorf("pending hints %s: %w", object, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[PendingHint])
	if err != nil {
		return nil, fmt.Errorf("pending hints %s: %w", object, err)
	}
	return out, nil
}

// HintsDone deletes the hints a fetch covered, in tx: those still at the
// version read. A hint that arrived since stays for another fetch.
func (s *Store) HintsDone(ctx context.Context, tx pgx.Tx, object string, done []PendingHint) error {
	ids := make([]string, len(done))
	versions := make([]int64, len(done))
	for i, h := range done {
		ids[i], versions[i] = h.RecordID, h.Version
	}
	_, err := tx.Exec(ctx, s.stmt("hints", "done"), pgx.NamedArgs{"object": object, "record_ids": ids, "versions": versions})
	if err != nil {
		return fmt.Errorf("hints done %s: %w", object, err)
	}
	return nil
}

// LiveAmong returns which of ids the mirror holds live for object.
func (s *Store) LiveAmong(ctx context.Context, object string, ids []string) ([]string, error) {
	rows, err := s.pool.Query(ctx, s.stmt("hints", "live_among"), pgx.NamedArgs{"object": object, "ids": ids})
	if err != nil {
		return nil, fmt.Errorf("live records of %s: %w", object, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("live records of %s: %w", object, err)
	}
	return out, nil
}

// StaleHintObjects lists objects with hints older than older.
func (s *Store) StaleHintObjects(ctx context.Context, older time.Time) ([]string, error) {
	rows, err := s.pool.Query(ctx, s.stmt("hints", "stale_objects"), pgx.NamedArgs{"older": older})
	if err != nil {
		return nil, fmt.Errorf("stale hints: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("stale hints: %w", err)
	}
	return out, nil
}

// PollCursor returns the modified-date poll's cursor for object (zero when
// it never polled).
func (s *Store) PollCursor(ctx context.Context, object string) (time.Time, error) {
	var t time.Time
	err := s.pool.QueryRow(ctx, s.stmt("hints", "cursor"), pgx.NamedArgs{"object": object}).Scan(&t)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return t, fmt.Errorf("poll cursor %s: %w", object, err)
	}
	return t, nil
}

// SetPollCursor moves the cursor, in tx.
func (s *Store) SetPollCursor(ctx context.Context, tx pgx.Tx, object string, at time.Time) error {
	if _, err := tx.Exec(ctx, s.stmt("hints", "set_cursor"), pgx.NamedArgs{"object": object, "cursor_at": at}); err != nil {
		return fmt.Errorf("set poll cursor %s: %w", object, err)
	}
	return nil
}
