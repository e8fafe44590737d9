package syncer

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"knacksync/internal/knack"
	"knacksync/internal/store"
	"knacksync/internal/vespa"
)

// reads lists, per object, the connection fields whose target records its
// projection reads (rule 15, docs/architecture.md "Dependent records"): a
// change to one of those records projects the reader again in the same
// pass. The store keeps these refs so that finding the readers is an
// indexed join.
var reads = map[string][]vespa.Field{
	vespa.Results.Object:  {vespa.Results.Establishment},
	vespa.Profiles.Object: {vespa.Profiles.Establishment, vespa.Profiles.Account},
	vespa.Staff.Object:    {vespa.Staff.Establishment},
}

// readsThrough lists objects a projection reads without a connection of
// its own: questionnaire answers take the academic year of the student
// they link to, under that student's establishment's calendar.
var readsThrough = map[string][]string{
	vespa.Questionnaires.Object: {vespa.Establishments.Object},
}

// readObjects is every object whose records the projection of object
// reads, sorted.
func readObjects(object string) []string {
	var out []string
	for _, f := range reads[object] {
		out = append(out, f.Object)
	}
	out = append(out, readsThrough[object]...)
	slices.Sort(out)
	return slices.Compact(out)
}

// isRead tells whether another object's projection reads object's records.
func isRead(object string) bool {
	for reader := range reads {
		if slices.Contains(readObjects(reader), object) {
			return true
		}
	}
	for _, objs := range readsThrough {
		if slices.Contains(objs, object) {
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
func (s *Syncer) lockDeps(ctx context.Context, tx pgx.Tx, object string) error {
	if isRead(object) {
		if err := s.store.LockWrites(ctx, tx, object); err != nil {
			return err
		}
	}
	return s.store.LockReads(ctx, tx, readObjects(object))
}

// setRefs records what each input's projection reads; deleted records read
// nothing any more.
func (s *Syncer) setRefs(ctx context.Context, tx pgx.Tx, object string, inputs []input, deleted []string) error {
	fields := reads[object]
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
	return s.store.SetRefs(ctx, tx, object, ids, refs)
}
