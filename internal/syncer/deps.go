package syncer

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"knacksync/internal/knack"
	"knacksync/internal/store"
	"knacksync/internal/vespa"
)

// readObjects is every object whose records the projection of o reads
// (its vespa.Object Reads and ReadsThrough, rule 15, docs/architecture.md
// "Dependent records"), sorted.
func readObjects(o object) []string {
	var out []string
	for _, f := range o.Reads {
		out = append(out, f.Object)
	}
	out = append(out, o.ReadsThrough...)
	slices.Sort(out)
	return slices.Compact(out)
}

// isRead tells whether another object's projection reads object's records.
func isRead(object string) bool {
	for _, reader := range vespa.Objects {
		if slices.Contains(readObjects(reader), object) {
			return true
		}
	}
	return false
}

// lockDeps orders a batch against the batches it depends on: a batch of an
// object others read takes its exclusive lock, a batch that reads others
// takes their shared locks. Without it, an account and its profile
// processed at the same time leave the profile "unknown_account" for good:
// the profile reads no account yet, and the account's batch finds no
// committed profile to project again.
func (s *Syncer) lockDeps(ctx context.Context, tx pgx.Tx, o object) error {
	if isRead(o.Key) {
		if err := s.store.LockWrites(ctx, tx, o.Key); err != nil {
			return err
		}
	}
	return s.store.LockReads(ctx, tx, readObjects(o))
}

// setRefs records what each input's projection reads through its
// connections (o.Reads), so that finding the readers of a changed record
// is an indexed join; deleted records read nothing any more.
func (s *Syncer) setRefs(ctx context.Context, tx pgx.Tx, o object, inputs []input, deleted []string) error {
	fields := o.Reads
	if len(fields) == 0 {
		return nil
	}
	ids := make([]string, 0, len(inputs)+len(deleted))
	var refs []store.Ref
	for _, in := range inputs {
		ids = append(ids, in.rec.ID)
		for _, f := range fields {
			for _, id := range knack.DecodeConnectionIDs(in.rec, f.Key) {
				refs = append(refs, store.Ref{RecordID: in.rec.ID, RefObject: f.Object, RefID: id})
			}
		}
	}
	ids = append(ids, deleted...)
	return s.store.SetRefs(ctx, tx, o.Key, ids, refs)
}
