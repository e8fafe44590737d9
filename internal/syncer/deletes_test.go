package syncer_test

// Rule 11: records deleted in Knack, held deletions, paging under change.

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
	"knacksync/internal/store"
	"knacksync/internal/syncer"
	"knacksync/internal/vespa"
)

// TestSweepDeletes: rule 11 for records deleted in Knack.
func TestSweepDeletes(t *testing.T) {
	t.Parallel()

	// A record that moved into the new year (keep-and-refresh), then was
	// deleted, loses its current-year rows; last year's rows stay.
	t.Run("current year only", func(t *testing.T) {
		t.Parallel()
		b := setup(t, options{})
		r10, r29, lastYear := keepAndRefresh(t, b)

		// Deleted in Knack.
		if !b.sim.Delete("object_10", r10) {
			t.Fatal("delete failed")
		}
		run := b.sweep(t)
		if got := studentRows(t, b.pool, refreshEmail, "2025/2026").count(); got != (rowCounts{}) {
			t.Errorf("2025/2026 rows after the record was deleted: %+v, want none", got)
		}
		if diff := cmp.Diff(lastYear, studentRows(t, b.pool, refreshEmail, "2024/2025")); diff != "" {
			t.Errorf("2024/2025 rows changed by the deletion (-before +after):\n%s", diff)
		}
		if p := progressOf(t, run, "object_10"); p.RecordsDeleted != 1 || p.DeletionsHeld != 0 {
			t.Errorf("object_10: %d deleted, %d held; want 1, 0", p.RecordsDeleted, p.DeletionsHeld)
		}
		// The questionnaire record is still in Knack; it links to nobody
		// now and says so (rule 9).
		if !hasIssue(issues(t, b.pool), "object_29", r29, vespa.RuleUnlinked, "") {
			t.Errorf("no unlinked_answer issue for %s after its student was deleted", r29)
		}
	})

	t.Run("above the limit held until confirmed", func(t *testing.T) {
		t.Parallel()
		b := setup(t, options{})
		b.sweep(t)
		// 4 of the tiny dataset's 52 object_10 records: above 5%.
		victims := plainStudents(t, b, 4)
		before := counts(t, b.pool)
		for _, id := range victims {
			b.sim.Delete("object_10", id)
		}
		run := b.sweep(t)
		if p := progressOf(t, run, "object_10"); p.DeletionsHeld != len(victims) || p.RecordsDeleted != 0 {
			t.Errorf("object_10: %d held, %d deleted; want %d, 0", p.DeletionsHeld, p.RecordsDeleted, len(victims))
		}
		held, err := b.store.HeldDeletions(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(held) != 1 || held[0].Object != "object_10" || !sameSet(held[0].RecordIDs, victims) {
			t.Fatalf("held deletions %+v, want object_10 %v", held, victims)
		}
		if diff := cmp.Diff(before, counts(t, b.pool)); diff != "" {
			t.Errorf("rows changed while deletions are held (-before +after):\n%s", diff)
		}

		a, err := b.syncer.ConfirmDeletes(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if a.Deleted != len(victims) {
			t.Errorf("ConfirmDeletes deleted %d records, want %d", a.Deleted, len(victims))
		}
		if n := count(t, b.pool, `SELECT count(*) FROM public.students WHERE knack_id = ANY($1)`, victims); n != 0 {
			t.Errorf("%d students of deleted records remain", n)
		}
		if held, _ := b.store.HeldDeletions(t.Context()); len(held) != 0 {
			t.Errorf("held deletions still pending after ConfirmDeletes: %+v", held)
		}
		// Nothing else changed.
		after := counts(t, b.pool)
		if after["students"] != before["students"]-len(victims) || after["establishments"] != before["establishments"] {
			t.Errorf("counts after ConfirmDeletes %v, before %v", after, before)
		}
	})

	// ConfirmDeletes leaves alone "records seen again since they were held"
	// (sweep.go): one that came back in Knack keeps its rows.
	t.Run("record seen again after the hold is kept", func(t *testing.T) {
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
		b.sweep(t) // sees it again; holds the other 3 again
		if _, err := b.syncer.ConfirmDeletes(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := count(t, b.pool, `SELECT count(*) FROM public.students WHERE knack_id = $1`, back.ID); n != 1 {
			t.Errorf("record %s is in Knack again, yet ConfirmDeletes deleted its student (%d rows)", back.ID, n)
		}
		if n := count(t, b.pool, `SELECT count(*) FROM knacksync.records WHERE record_id = $1 AND deleted_at IS NOT NULL`, back.ID); n != 0 {
			t.Errorf("record %s is in Knack again, yet the mirror marks it deleted", back.ID)
		}
		if n := count(t, b.pool, `SELECT count(*) FROM public.students WHERE knack_id = ANY($1)`, victims[1:]); n != 0 {
			t.Errorf("%d students of the records still deleted remain", n)
		}
	})
}

// TestSweepDeletesEveryObject: a record deleted in Knack loses its rows in
// every object (rule 11); an establishment keeps its row (students and
// history reference it).
func TestSweepDeletesEveryObject(t *testing.T) {
	t.Parallel()
	// The tiny objects are small: one record is more than 5% of most.
	b := setup(t, options{cfg: syncer.Config{MaxDeleteRatio: 0.5}})
	b.sweep(t)
	manifest := manifestIDs(b.dirty)
	notDirty := func(r knack.Record) bool { return !slices.Contains(manifest, r.ID) }

	// A questionnaire of a student of this year: its answers go, the
	// student and the scores stay.
	var q29, email string
	for _, r := range b.sim.Records("object_29") {
		e := oEmail(r, vespa.Object29.Email.Key)
		// One student with that email (not a re-upload's), with answers.
		if notDirty(r) && e != "" && count(t, b.pool, `SELECT count(*) FROM public.students WHERE email = $1`, e) == 1 &&
			count(t, b.pool, `SELECT count(*) FROM public.question_responses q JOIN public.students s
			ON s.id = q.student_id WHERE s.email = $1 AND s.academic_year = '2025/2026'`, e) > 0 {
			q29, email = r.ID, e
			break
		}
	}
	profile := strings1(t, b.pool, `SELECT knack_record_id FROM public.academic_profiles p
		WHERE EXISTS (SELECT 1 FROM public.student_subjects ss WHERE ss.profile_id = p.id) AND NOT knack_record_id = ANY($1)
		ORDER BY 1 LIMIT 1`, manifest)
	staff := strings1(t, b.pool, `SELECT knack_id FROM public.staff_admins WHERE NOT knack_id = ANY($1) ORDER BY 1 LIMIT 1`, manifest)
	super := strings1(t, b.pool, `SELECT knack_id FROM public.super_users WHERE NOT knack_id = ANY($1) ORDER BY 1 LIMIT 1`, manifest)
	school := strings1(t, b.pool, `SELECT e.knack_id FROM public.establishments e
		WHERE EXISTS (SELECT 1 FROM public.students s WHERE s.establishment_id = e.id) ORDER BY 1 LIMIT 1`)
	if q29 == "" || len(profile) != 1 || len(staff) != 1 || len(super) != 1 || len(school) != 1 {
		t.Fatalf("no records to delete: %q %v %v %v %v", q29, profile, staff, super, school)
	}
	studentsBefore := count(t, b.pool, `SELECT count(*) FROM public.students`)
	scoresBefore := count(t, b.pool, `SELECT count(*) FROM public.vespa_scores`)
	for object, id := range map[string]string{"object_29": q29, "object_112": profile[0], "object_5": staff[0], "object_21": super[0], "object_2": school[0]} {
		if !b.sim.Delete(object, id) {
			t.Fatalf("delete %s/%s", object, id)
		}
	}
	run := b.sweep(t)
	for _, object := range []string{"object_29", "object_112", "object_5", "object_21", "object_2"} {
		if p := progressOf(t, run, object); p.RecordsDeleted != 1 || p.DeletionsHeld != 0 {
			t.Errorf("%s: %d deleted, %d held; want 1, 0", object, p.RecordsDeleted, p.DeletionsHeld)
		}
	}
	for what, n := range map[string]int{
		"answers of the deleted questionnaire": count(t, b.pool, `SELECT count(*) FROM public.question_responses q
			JOIN public.students s ON s.id = q.student_id WHERE s.email = $1 AND s.academic_year = '2025/2026'`, email),
		"deleted profile":             count(t, b.pool, `SELECT count(*) FROM public.academic_profiles WHERE knack_record_id = $1`, profile[0]),
		"subjects of deleted profile": count(t, b.pool, `SELECT count(*) FROM public.student_subjects ss WHERE NOT EXISTS (SELECT 1 FROM public.academic_profiles p WHERE p.id = ss.profile_id)`),
		"deleted staff admin":         count(t, b.pool, `SELECT count(*) FROM public.staff_admins WHERE knack_id = $1`, staff[0]),
		"deleted super user":          count(t, b.pool, `SELECT count(*) FROM public.super_users WHERE knack_id = $1`, super[0]),
	} {
		if n != 0 {
			t.Errorf("%s: %d rows remain", what, n)
		}
	}
	if n := count(t, b.pool, `SELECT count(*) FROM public.establishments WHERE knack_id = $1`, school[0]); n != 1 {
		t.Errorf("the deleted establishment's row is gone (%d rows); it must stay", n)
	}
	if got := count(t, b.pool, `SELECT count(*) FROM public.students`); got != studentsBefore {
		t.Errorf("%d students, want %d (no object_10 record was deleted)", got, studentsBefore)
	}
	if got := count(t, b.pool, `SELECT count(*) FROM public.vespa_scores`); got != scoresBefore {
		t.Errorf("%d vespa_scores, want %d", got, scoresBefore)
	}
}

// plainStudents returns n object_10 records that carry no dirty case and
// own one student row each.
func plainStudents(t *testing.T, b *testBundle, n int) []string {
	t.Helper()
	// Current-year students only: a deleted record's history rows stay
	// (rule 11), which TestHistory covers.
	ids := strings1(t, b.pool, `SELECT knack_id FROM public.students WHERE NOT knack_id = ANY($1)
		GROUP BY knack_id HAVING count(*) = 1 AND bool_and(NOT knacksync.is_history(academic_year, $3))
		ORDER BY knack_id LIMIT $2`, manifestIDs(b.dirty), n, epoch)
	if len(ids) != n {
		t.Fatalf("only %d plain students", len(ids))
	}
	return ids
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func progressOf(t *testing.T, run *store.Run, object string) store.ObjectProgress {
	t.Helper()
	for _, p := range run.Progress {
		if p.Object == object {
			return p
		}
	}
	t.Fatalf("run %d has no %s", run.ID, object)
	return store.ObjectProgress{}
}

// studentData is every row of one student (email, year), by table and id.
type studentData map[string]map[string]string

type rowCounts struct{ students, scores, comments, answers int }

func (d studentData) count() rowCounts {
	return rowCounts{len(d["students"]), len(d["vespa_scores"]), len(d["student_comments"]), len(d["question_responses"])}
}

func studentRows(t *testing.T, pool *pgxpool.Pool, email, year string) studentData {
	t.Helper()
	out := studentData{}
	for table, sql := range map[string]string{
		"students":           `SELECT id::text, to_jsonb(t)::text FROM public.students t WHERE email = $1 AND academic_year = $2`,
		"vespa_scores":       `SELECT t.id::text, to_jsonb(t)::text FROM public.vespa_scores t JOIN public.students s ON s.id = t.student_id WHERE s.email = $1 AND s.academic_year = $2`,
		"student_comments":   `SELECT t.id::text, to_jsonb(t)::text FROM public.student_comments t JOIN public.students s ON s.id = t.student_id WHERE s.email = $1 AND s.academic_year = $2`,
		"question_responses": `SELECT t.id::text, to_jsonb(t)::text FROM public.question_responses t JOIN public.students s ON s.id = t.student_id WHERE s.email = $1 AND s.academic_year = $2`,
	} {
		rows, err := pool.Query(t.Context(), sql, email, year)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		var id, row string
		if _, err := pgx.ForEachRow(rows, []any{&id, &row}, func() error {
			m[id] = row
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		out[table] = m
	}
	return out
}

// TestSweepPagingUnderChange: hard case 17. A record deleted in Knack while
// a sweep pages through its object shifts the later records one place up:
// offset paging skips one of them. The sweep must not take the skipped
// record for deleted (it is confirmed with a GET), and must delete the one
// that is gone.
func TestSweepPagingUnderChange(t *testing.T) {
	t.Parallel()
	b := setup(t, options{rowsPerPage: 10, concurrency: 1})
	b.sweep(t)
	recs := b.sim.Records("object_10")
	gone, skipped := recs[0], recs[10]
	skippedRows := strings1(t, b.pool, `SELECT to_jsonb(s)::text FROM public.students s WHERE knack_id = $1`, skipped.ID)
	if len(skippedRows) == 0 {
		t.Fatalf("record %s owns no student row", skipped.ID)
	}
	// Delete the first record once page 1 is delivered: page 2 is then
	// requested at an offset that has moved on by one record.
	b.syncer = syncer.New(b.store, deleteAfterPage{pagedKnack{b.client, 10}, func(object string, page int) {
		if object == "object_10" && page == 1 {
			b.sim.Delete("object_10", gone.ID)
		}
	}}, slog.New(slog.DiscardHandler), b.clock.Now, b.cfg)
	b.sim.ResetLog()
	run := b.sweep(t)
	// The paging did skip it, and the sweep asked Knack about it.
	if !slices.ContainsFunc(b.sim.Requests(), func(r knacksim.Request) bool {
		return r.Method == "GET" && strings.HasSuffix(r.Path, "/objects/object_10/records/"+skipped.ID)
	}) {
		t.Errorf("no GET of the skipped record %s: the listing did not skip it, or the sweep did not confirm it", skipped.ID)
	}
	if p := progressOf(t, run, "object_10"); p.RecordsDeleted != 0 || p.DeletionsHeld != 0 {
		t.Errorf("object_10: %d deleted, %d held; want none (the deleted record was seen on page 1, the skipped one is alive)", p.RecordsDeleted, p.DeletionsHeld)
	}
	if diff := cmp.Diff(skippedRows, strings1(t, b.pool, `SELECT to_jsonb(s)::text FROM public.students s WHERE knack_id = $1`, skipped.ID)); diff != "" {
		t.Errorf("the record skipped by paging lost its student (-before +after):\n%s", diff)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM knacksync.records WHERE record_id = $1 AND deleted_at IS NULL`, skipped.ID); n != 1 {
		t.Errorf("the record skipped by paging is marked deleted in the mirror")
	}
	// The next sweep finds the deleted record missing.
	b.sweep(t)
	if n := count(t, b.pool, `SELECT count(*) FROM knacksync.records WHERE record_id = $1 AND deleted_at IS NOT NULL`, gone.ID); n != 1 {
		t.Errorf("the deleted record %s is not marked deleted", gone.ID)
	}
	// Its current-year rows go; rows of an earlier year are history and stay
	// (rule 11).
	if n := count(t, b.pool, `SELECT count(*) FROM public.students WHERE knack_id = $1
		AND NOT knacksync.is_history(academic_year, $2)`, gone.ID, epoch); n != 0 {
		t.Errorf("the deleted record %s keeps %d current-year student rows", gone.ID, n)
	}
	if diff := cmp.Diff(skippedRows, strings1(t, b.pool, `SELECT to_jsonb(s)::text FROM public.students s WHERE knack_id = $1`, skipped.ID)); diff != "" {
		t.Errorf("the record skipped by paging changed (-before +after):\n%s", diff)
	}
}

// deleteAfterPage calls after once fn has taken a page (the client asks for
// the next page only then when its concurrency is 1).
type deleteAfterPage struct {
	pagedKnack
	after func(object string, page int)
}

func (d deleteAfterPage) List(ctx context.Context, object string, opts knack.ListOptions, fn func(knack.Page) error) error {
	return d.pagedKnack.List(ctx, object, opts, func(p knack.Page) error {
		err := fn(p)
		d.after(object, p.Number)
		return err
	})
}
