package syncer_test

import "testing"

// TestConfirmDeletesAsksKnackAgain: a record restored in Knack after a sweep
// held its deletion, with no sweep since, is not deleted by the operator's
// confirmation: each held id is asked for again (one GET each).
func TestConfirmDeletesAsksKnackAgain(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	b.sweep(t)
	victims := plainStudents(t, b, 4)
	back, _ := b.sim.Get("object_10", victims[0])
	for _, id := range victims {
		b.sim.Delete("object_10", id)
	}
	b.sweep(t) // holds 4
	b.sim.Put("object_10", back)
	b.sim.ResetLog()

	if _, err := b.syncer.ConfirmDeletes(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM public.students WHERE knack_id = $1`, back.ID); n != 1 {
		t.Errorf("record %s was restored in Knack, yet the confirmation deleted its student (%d rows)", back.ID, n)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM public.students WHERE knack_id = ANY($1)`, victims[1:]); n != 0 {
		t.Errorf("%d students of the records still deleted remain", n)
	}
	if got := b.sim.Counts().Total; got != len(victims) {
		t.Errorf("Knack requests of the confirmation: %d, want %d (one GET per held id)", got, len(victims))
	}
	if held, _ := b.store.HeldDeletions(t.Context()); len(held) != 0 {
		t.Errorf("held deletions still pending: %+v", held)
	}
}

// `sync --reproject` projects every mirrored record again; Knack changed
// none of them, so the run counts them seen, not changed.
func TestReprojectCountsSeenNotChanged(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	b.sweep(t)
	run, err := b.syncer.ReprojectAll(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, p := range run.Progress {
		seen += p.RecordsSeen
		if p.RecordsChanged != 0 {
			t.Errorf("%s: %d records changed by a re-projection, want 0", p.Object, p.RecordsChanged)
		}
	}
	if want := count(t, b.pool, `SELECT count(*) FROM knacksync.records WHERE deleted_at IS NULL`); seen != want {
		t.Errorf("re-projection saw %d records, the mirror holds %d", seen, want)
	}
}
