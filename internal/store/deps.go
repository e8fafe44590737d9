package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Ref says that a record's projection read another object's record.
type Ref struct {
	RecordID  string // the reading record
	RefObject string
	RefID     string
}

// LockReads takes, for the rest of tx, the shared dependency lock of each
// object whose records the batch's projection reads. Call it before the
// batch touches anything else, so that the lock is the first one it waits
// for.
func (s *Store) LockReads(ctx context.Context, tx pgx.Tx, objects []string) error {
	if len(objects) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, s.stmt("deps", "lock_shared"), pgx.NamedArgs{"objects": objects}); err != nil {
		return fmt.Errorf("lock reads %v: %w", objects, err)
	}
	return nil
}

// LockWrites takes, for the rest of tx, the exclusive dependency lock of an
// object that other objects' projections read.
func (s *Store) LockWrites(ctx context.Context, tx pgx.Tx, object string) error {
	if _, err := tx.Exec(ctx, s.stmt("deps", "lock_exclusive"), pgx.NamedArgs{"object": object}); err != nil {
		return fmt.Errorf("lock writes %s: %w", object, err)
	}
	return nil
}

// SetRefs replaces the refs of the batch records ids of object with refs.
func (s *Store) SetRefs(ctx context.Context, tx pgx.Tx, object string, ids []string, refs []Ref) error {
	recordIDs := make([]string, len(refs))
	objects := make([]string, len(refs))
	refIDs := make([]string, len(refs))
	for i, r := range refs {
		recordIDs[i], objects[i], refIDs[i] = r.RecordID, r.RefObject, r.RefID
	}
	_, err := tx.Exec(ctx, s.stmt("deps", "set_refs"), pgx.NamedArgs{
		"object": object, "batch_ids": ids, "record_ids": recordIDs, "ref_objects": objects, "ref_ids": refIDs,
	})
	if err != nil {
		return fmt.Errorf("set refs of %s: %w", object, err)
	}
	return nil
}
