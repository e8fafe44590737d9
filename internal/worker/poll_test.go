package worker_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"knacksync/internal/knacksim"
	"knacksync/internal/store"
	"knacksync/internal/worker"
)

// modifiedKey is the modified-date field the poll tests add to object_10:
// in the live app a record rule stamps it on every change.
const modifiedKey = "field_9999"

// withModified is the tiny dataset with object_10 given a date-time
// "Modified" field (blank on every record until a test stamps it).
func withModified(t *testing.T) *knacksim.Dataset {
	t.Helper()
	td, err := tiny()
	if err != nil {
		t.Fatal(err)
	}
	schema := td.Data.Schema
	schema.Objects = slices.Clone(schema.Objects)
	i := slices.IndexFunc(schema.Objects, func(o knacksim.Object) bool { return o.Key == "object_10" })
	schema.Objects[i].Fields = append(slices.Clone(schema.Objects[i].Fields), knacksim.Field{
		Key: modifiedKey, Name: "Modified", Type: "date_time",
		Format: map[string]any{"date_format": "mm/dd/yyyy", "time_format": "military"},
	})
	return &knacksim.Dataset{Schema: schema, Records: td.Data.Records}
}

// TestPollWorker: the modified-date poll catches changes that send no hint
// (imports, batch updates) at the cost of one listing of the records
// stamped since the last poll.
func TestPollWorker(t *testing.T) {
	t.Parallel()
	const obj = "object_10"
	const margin = 10 * time.Minute
	b := setup(t, options{dataset: withModified(t)})
	b.sweep(t)
	poller := &worker.PollWorker{Syncer: b.syncer, Fields: map[string]string{obj: modifiedKey}, Margin: margin, Now: b.clock.Now}

	// The first poll only sets the cursor: the sweep covers the past.
	b.sim.ResetLog()
	res, err := work(t, b, poller, worker.PollArgs{})
	if err != nil {
		t.Fatalf("first poll: %v", err)
	}
	requireEvent(t, res, river.EventKindJobCompleted, rivertype.JobStateCompleted)
	cursor, err := b.store.PollCursor(t.Context(), obj)
	if err != nil {
		t.Fatal(err)
	}
	if cursor.IsZero() || cursor.Before(epoch) {
		t.Fatalf("cursor %s after the first poll, want the clock's time", cursor)
	}
	if c := b.sim.Counts(); c.Total != 0 {
		t.Errorf("first poll made %d Knack requests, want 0", c.Total)
	}

	// Three records change in Knack, with no hint. Only the stamps decide
	// what the poll fetches; Knack filters on whole minutes.
	b.clock.Advance(5 * time.Minute)
	stamp := func(at time.Time) time.Time { return at.UTC().Truncate(time.Minute) }
	var ids []string
	efforts := map[string]int{}
	for _, r := range b.sim.Records(obj) {
		if n := b.count(t, `SELECT count(*) FROM public.vespa_scores v JOIN public.students s ON s.id = v.student_id
			WHERE v.cycle = 1 AND v.effort IS NOT NULL AND s.knack_id = $1
			  AND NOT knacksync.is_history(s.academic_year, $2)`, r.ID, epoch); n == 1 &&
			b.count(t, `SELECT count(*) FROM public.students WHERE knack_id = $1`, r.ID) == 1 {
			ids = append(ids, r.ID)
			efforts[r.ID] = b.effort(t, r.ID)
		}
		if len(ids) == 3 {
			break
		}
	}
	if len(ids) < 3 {
		t.Fatalf("only %d records with one effort score", len(ids))
	}
	changed, inMargin, old := ids[0], ids[1], ids[2]
	newEffort := func(id string) int { return efforts[id]%10 + 1 }
	// Changed after the cursor: fetched and applied.
	b.set(t, obj, changed, map[string]any{effortKey: newEffort(changed), modifiedKey: stamp(b.clock.Now())})
	// Stamped a little before the cursor, within the margin (the app's
	// clock, or a change during the last poll): fetched again.
	b.set(t, obj, inMargin, map[string]any{modifiedKey: stamp(cursor.Add(-margin / 2))})
	// Stamped well before the cursor minus the margin (a change the last
	// poll or the sweep saw): not fetched, even though its data differs now
	// (the nightly sweep reconciles such records).
	b.set(t, obj, old, map[string]any{effortKey: newEffort(old), modifiedKey: stamp(cursor.Add(-3 * margin))})

	b.clock.Advance(time.Minute)
	b.sim.ResetLog()
	res, err = work(t, b, poller, worker.PollArgs{})
	if err != nil {
		t.Fatalf("second poll: %v", err)
	}
	requireEvent(t, res, river.EventKindJobCompleted, rivertype.JobStateCompleted)

	if got := b.effort(t, changed); got != newEffort(changed) {
		t.Errorf("effort of the changed record %d, want %d", got, newEffort(changed))
	}
	if got := b.effort(t, old); got != efforts[old] {
		t.Errorf("effort of the record stamped before the margin %d, want %d untouched", got, efforts[old])
	}
	c := b.sim.Counts()
	if c.Total != 1 || c.ByRoute[listRoute] != 1 {
		t.Errorf("second poll requests %v, want one listing", c.ByRoute)
	}
	for _, r := range b.sim.Requests() {
		if r.Route == listRoute && !strings.Contains(r.Path, obj) {
			t.Errorf("poll listed %s, want %s", r.Path, obj)
		}
	}
	// What the listing returned: the run's own count.
	var runID int64
	if err := b.pool.QueryRow(t.Context(), `SELECT max(id) FROM knacksync.runs WHERE kind = 'incremental'`).Scan(&runID); err != nil {
		t.Fatal(err)
	}
	run, err := b.store.Run(t.Context(), runID)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != store.StatusSucceeded || len(run.Progress) != 1 {
		t.Fatalf("poll run %+v", run)
	}
	if p := run.Progress[0]; p.RecordsSeen != 2 || p.RecordsChanged != 2 {
		// Both fetched records changed in the mirror: one by its effort,
		// both by their new stamps.
		t.Errorf("poll saw %d records and changed %d, want 2 (%s, %s) and 2", p.RecordsSeen, p.RecordsChanged, changed, inMargin)
	}
	next, err := b.store.PollCursor(t.Context(), obj)
	if err != nil {
		t.Fatal(err)
	}
	if !next.After(cursor.Add(5 * time.Minute)) {
		t.Errorf("cursor %s after the second poll, want it moved past %s", next, cursor.Add(5*time.Minute))
	}

	// The next poll lists the margin's records again: the changed one,
	// which writes nothing now; the one after lists nothing.
	for _, want := range []struct{ seen, changed int }{{1, 0}, {0, 0}} {
		b.clock.Advance(30 * time.Minute)
		if _, err := work(t, b, poller, worker.PollArgs{}); err != nil {
			t.Fatalf("poll: %v", err)
		}
		var seen, changedN int
		if err := b.pool.QueryRow(t.Context(), `SELECT records_seen, records_changed FROM knacksync.run_objects
			WHERE run_id = (SELECT max(id) FROM knacksync.runs)`).Scan(&seen, &changedN); err != nil {
			t.Fatal(err)
		}
		if seen != want.seen || changedN != want.changed {
			t.Errorf("poll saw %d and changed %d records, want %d and %d", seen, changedN, want.seen, want.changed)
		}
	}
}
