package syncer_test

import (
	"fmt"
	"testing"
	"time"

	"knacksync/internal/store"
)

// TestDeleteHintsDrain is the red-team livelock: more delete hints than the
// object has pages made every pass list the object and keep the hints, so
// the 30-second check queued them again, forever. Every pass must settle
// its hints, genuine deletes must be applied, and the Knack requests spent
// must be bounded by the listing plus one GET per record really missing.
func TestDeleteHintsDrain(t *testing.T) {
	t.Parallel()
	b := crafted(t, options{rowsPerPage: 4})
	var ids []string
	for i := range 6 {
		id := oid(epoch, 100+i)
		rec := result(fmt.Sprintf("gone%d@drain.example", i), ukSchool, mdy(2025, time.October, 6), 1)
		scoreFields(rec, 1, 5, 5, 5, 5, 5, 5)
		b.put(t, "object_10", id, rec)
		ids = append(ids, id)
	}
	b.sweep(t) // 6 records: 2 pages of 4

	// Three genuine deletes and seven hints for ids Knack never had.
	var hints []store.Hint
	for _, id := range ids[:3] {
		b.sim.Delete("object_10", id)
		hints = append(hints, store.Hint{Object: "object_10", RecordID: id, Event: "delete"})
	}
	for i := range 7 {
		hints = append(hints, store.Hint{Object: "object_10", RecordID: oid(epoch, 900+i), Event: "delete"})
	}
	b.hint(t, hints...)
	b.sim.ResetLog()

	if _, err := b.syncer.ProcessHints(t.Context(), "object_10"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM knacksync.hints`); n != 0 {
		t.Errorf("hints left after one pass: %d, want 0", n)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM public.students WHERE email LIKE '%@drain.example'`); n != 3 {
		t.Errorf("students left: %d, want 3 (the three not deleted)", n)
	}
	// At most: list the object (2 pages), one GET per genuine delete.
	if got := b.sim.Counts().Total; got > 2+3 {
		t.Errorf("Knack requests for 10 delete hints: %d, want at most 5", got)
	}

	// A second pass finds nothing to do and asks Knack nothing.
	b.sim.ResetLog()
	if _, err := b.syncer.ProcessHints(t.Context(), "object_10"); err != nil {
		t.Fatal(err)
	}
	if got := b.sim.Counts().Total; got != 0 {
		t.Errorf("Knack requests of a pass with no hints: %d", got)
	}
}

// TestDeleteHintsForUnknownRecordsCostNothing: a delete hint for a record
// the mirror never held has nothing to delete and spends no request.
func TestDeleteHintsForUnknownRecordsCostNothing(t *testing.T) {
	t.Parallel()
	b := crafted(t, options{})
	b.sweep(t)
	b.hint(t, store.Hint{Object: "object_10", RecordID: oid(epoch, 77), Event: "delete"})
	b.sim.ResetLog()
	if _, err := b.syncer.ProcessHints(t.Context(), "object_10"); err != nil {
		t.Fatal(err)
	}
	if got := b.sim.Counts().Total; got != 0 {
		t.Errorf("Knack requests: %d, want 0", got)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM knacksync.hints`); n != 0 {
		t.Errorf("hints left: %d", n)
	}
}
