package syncer_test

// Rows that stay right (docs/mapping.md): e-mail casing (rule 1), duplicate
// ranking by time of day and the hand-over of a deleted winner (rule 5),
// history by the calendar (rule 11) and the nightly repair of other
// writers' drift (rule 16). Expected values come from the rules; the tests
// run at epoch (20 November 2025): 2025/2026 is the current UK year,
// 2024/2025 history.

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"knacksync/internal/store"
	"knacksync/internal/syncer"
	"knacksync/internal/vespa"
)

// TestEmailCasing: rule 1. E-mails are stored as Knack gives them (trimmed;
// staff admins lower-cased) and compared case-insensitively.
func TestEmailCasing(t *testing.T) {
	t.Parallel()

	t.Run("stored as given, one student across a casing change", func(t *testing.T) {
		t.Parallel()
		b := crafted(t, options{})
		id := oid(time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC), 1)
		rec := scoreFields(result(" Mia.Case@School.Example ", ukSchool, mdy(2025, time.October, 1), 1), 1, 5, 5, 5, 5, 5, 5)
		b.put(t, "object_10", id, rec)
		q := answerFields(questionnaire("MIA.CASE@school.example", "", mdy(2025, time.October, 2)), 1, 4)
		b.put(t, "object_29", oid(time.Date(2025, 9, 2, 8, 0, 0, 0, time.UTC), 2), q)
		b.sweep(t)
		got := strings1(t, b.pool, `SELECT id || ' ' || email FROM public.students`)
		if len(got) != 1 || !strings.HasSuffix(got[0], " Mia.Case@School.Example") {
			t.Fatalf("students %v, want one stored as Mia.Case@School.Example (trimmed, casing kept)", got)
		}
		studentID := strings.Fields(got[0])[0]
		// The questionnaire's e-mail differs in case: the same person.
		if n := count(t, b.pool, `SELECT count(*) FROM public.question_responses WHERE student_id = $1`, studentID); n != len(vespa.Object29.Questions) {
			t.Errorf("%d answers linked to the student, want %d", n, len(vespa.Object29.Questions))
		}
		if n := count(t, b.pool, `SELECT count(*) FROM public.vespa_scores WHERE student_email = 'Mia.Case@School.Example'`); n != 1 {
			t.Errorf("%d score rows with the student's e-mail as given, want 1", n)
		}

		// Knack changes only the casing: still one student, the same row,
		// now in the new casing; its scores and answers stay with it.
		rec["field_197"] = "mia.case@school.example"
		b.put(t, "object_10", id, rec)
		b.sweep(t)
		if diff := cmp.Diff([]string{studentID + " mia.case@school.example"}, strings1(t, b.pool, `SELECT id || ' ' || email FROM public.students`)); diff != "" {
			t.Errorf("students after the casing change (-want +got):\n%s", diff)
		}
		if n := count(t, b.pool, `SELECT count(*) FROM public.question_responses WHERE student_id = $1`, studentID); n != len(vespa.Object29.Questions) {
			t.Errorf("%d answers after the casing change, want %d", n, len(vespa.Object29.Questions))
		}
		if n := count(t, b.pool, `SELECT count(*) FROM public.vespa_scores WHERE student_id = $1 AND student_email = 'mia.case@school.example'`, studentID); n != 1 {
			t.Errorf("%d score rows in the new casing, want 1", n)
		}
	})

	t.Run("a row another writer stored in other casing is that person's row", func(t *testing.T) {
		t.Parallel()
		b := crafted(t, options{})
		b.sweep(t) // the schools
		var rowID string
		if err := b.pool.QueryRow(t.Context(), `INSERT INTO public.students (knack_id, email, academic_year)
			VALUES ('dashboard', 'LEO.VARIANT@school.example', '2025/2026') RETURNING id::text`).Scan(&rowID); err != nil {
			t.Fatal(err)
		}
		id := oid(time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC), 1)
		b.put(t, "object_10", id, scoreFields(result("Leo.Variant@School.example", ukSchool, mdy(2025, time.October, 1), 1), 1, 5, 5, 5, 5, 5, 5))
		b.sweep(t)
		want := []string{rowID + " Leo.Variant@School.example " + id}
		if diff := cmp.Diff(want, strings1(t, b.pool, `SELECT id || ' ' || email || ' ' || knack_id FROM public.students`)); diff != "" {
			t.Errorf("students (-want +got):\n%s", diff)
		}
	})

	t.Run("super users, profiles as given; staff lower-cased", func(t *testing.T) {
		t.Parallel()
		b := crafted(t, options{})
		b.put(t, "object_21", oid(epoch, 1), map[string]any{"field_473": "Ada.Admin@Vespa.Example", "field_472": "Ada Admin"})
		b.put(t, "object_5", oid(epoch, 2), map[string]any{"field_86": "Rita.Staff@School.Example", "field_85": "Rita Staff", "field_110": ukSchool})
		account := oid(epoch, 3)
		b.put(t, "object_3", account, map[string]any{"field_70": "Pat.Profile@School.Example"})
		b.put(t, "object_112", oid(epoch, 4), map[string]any{"field_3064": account, "field_3069": ukSchool, "field_3066": "Pat Profile"})
		b.sweep(t)
		for _, c := range []struct{ sql, want string }{
			{`SELECT email FROM public.super_users`, "Ada.Admin@Vespa.Example"},
			{`SELECT email FROM public.staff_admins`, "rita.staff@school.example"},
			{`SELECT student_email FROM public.academic_profiles`, "Pat.Profile@School.Example"},
		} {
			if diff := cmp.Diff([]string{c.want}, strings1(t, b.pool, c.sql)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", c.sql, diff)
			}
		}
	})
}

// TestDuplicateRanking: rule 5. Ties on the date go by the time of day
// (a date alone is 00:00), then by the larger id; a deleted winner hands
// its identity to the loser in the same sweep.
func TestDuplicateRanking(t *testing.T) {
	t.Parallel()

	t.Run("time of day before id", func(t *testing.T) {
		t.Parallel()
		b := crafted(t, options{})
		early := oid(time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC), 9) // larger id, earlier time
		late := oid(time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC), 1)
		dateOnly := oid(time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC), 5)
		b.put(t, "object_10", early, scoreFields(result("tie@school.example", ukSchool, mdy(2025, time.October, 5)+" 09:15", 1), 1, 3, 3, 3, 3, 3, 3))
		b.put(t, "object_10", late, scoreFields(result("tie@school.example", ukSchool, mdy(2025, time.October, 5)+" 14:30", 1), 1, 8, 8, 8, 8, 8, 8))
		b.put(t, "object_10", dateOnly, scoreFields(result("tie@school.example", ukSchool, mdy(2025, time.October, 5), 1), 1, 1, 1, 1, 1, 1, 1))
		b.sweep(t)
		want := []string{late + " 8"}
		if diff := cmp.Diff(want, strings1(t, b.pool, `SELECT s.knack_id || ' ' || v.vision FROM public.students s JOIN public.vespa_scores v ON v.student_id = s.id`)); diff != "" {
			t.Errorf("winner (-want +got):\n%s", diff)
		}
		list := issues(t, b.pool)
		for _, loser := range []string{early, dateOnly} {
			if !hasIssue(list, "object_10", loser, vespa.RuleDuplicate, "") {
				t.Errorf("loser %s not reported", loser)
			}
		}
	})

	t.Run("deleted winner hands over in the same sweep", func(t *testing.T) {
		t.Parallel()
		b := crafted(t, options{cfg: syncer.Config{MaxDeleteRatio: 1}})
		winner := oid(time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC), 1)
		loser := oid(time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC), 2)
		b.put(t, "object_10", winner, scoreFields(result("handover@school.example", ukSchool, mdy(2025, time.October, 10), 1), 1, 9, 9, 9, 9, 9, 9))
		b.put(t, "object_10", loser, scoreFields(result("Handover@School.example", ukSchool, mdy(2025, time.October, 5), 1), 1, 4, 4, 4, 4, 4, 4))
		b.sweep(t)
		if diff := cmp.Diff([]string{winner + " handover@school.example 9"}, strings1(t, b.pool, `SELECT s.knack_id || ' ' || s.email || ' ' || v.vision
			FROM public.students s JOIN public.vespa_scores v ON v.student_id = s.id`)); diff != "" {
			t.Fatalf("before the delete (-want +got):\n%s", diff)
		}
		b.sim.Delete("object_10", winner)
		b.sweep(t) // one sweep: the loser takes over now
		if diff := cmp.Diff([]string{loser + " Handover@School.example 4"}, strings1(t, b.pool, `SELECT s.knack_id || ' ' || s.email || ' ' || v.vision
			FROM public.students s JOIN public.vespa_scores v ON v.student_id = s.id`)); diff != "" {
			t.Errorf("after one sweep (-want +got):\n%s", diff)
		}
		if hasIssue(issues(t, b.pool), "object_10", loser, vespa.RuleDuplicate, "") {
			t.Errorf("the new winner %s is still reported as a duplicate", loser)
		}
	})
}

// lastYear puts a student who completed 2024/2025 (history at epoch) with
// scores, a comment and answers, and sweeps: history starts at first
// sight, so every row is inserted.
func lastYear(t *testing.T, b *testBundle) (r10, r29 string, rec, q map[string]any, rows studentData) {
	t.Helper()
	r10 = oid(time.Date(2024, 9, 1, 8, 0, 0, 0, time.UTC), 1)
	r29 = oid(time.Date(2024, 9, 1, 8, 0, 0, 0, time.UTC), 2)
	rec = scoreFields(result("past@school.example", ukSchool, mdy(2025, time.May, 10), 2), 1, 5, 5, 5, 5, 5, 5)
	scoreFields(rec, 2, 6, 6, 6, 6, 6, 6)
	rec["field_2302"] = "Last year's review"
	b.put(t, "object_10", r10, rec)
	q = answerFields(questionnaire("past@school.example", "", mdy(2025, time.May, 10)), 1, 3)
	b.put(t, "object_29", r29, q)
	b.sweep(t)
	rows = studentRows(t, b.pool, "past@school.example", "2024/2025")
	if got, want := rows.count(), (rowCounts{students: 1, scores: 2, comments: 1, answers: len(vespa.Object29.Questions)}); got != want {
		t.Fatalf("2024/2025 rows at first sight: %+v, want %+v", got, want)
	}
	return r10, r29, rec, q, rows
}

// TestHistory: rule 11. Rows of an academic year earlier than the current
// one by the calendar are never changed or deleted by a sync.
func TestHistory(t *testing.T) {
	t.Parallel()

	t.Run("a last-year record edited in Knack", func(t *testing.T) {
		t.Parallel()
		b := crafted(t, options{})
		r10, r29, rec, q, before := lastYear(t, b)
		scoreFields(rec, 1, 9, 9, 9, 9, 9, 9)
		delete(rec, vespa.Object10.Scores[1][0].Key) // a cycle 2 score cleared
		rec["field_187"] = "Renamed Student"
		rec["field_2302"] = "Rewritten"
		b.put(t, "object_10", r10, rec)
		answerFields(q, 1, 5)
		b.put(t, "object_29", r29, q)
		run := b.sweep(t)
		if diff := cmp.Diff(before, studentRows(t, b.pool, "past@school.example", "2024/2025")); diff != "" {
			t.Errorf("history rows changed (-before +after):\n%s", diff)
		}
		if w := written(run); len(w) != 0 {
			t.Errorf("the sweep wrote %v, want nothing", w)
		}
		list := issues(t, b.pool)
		for _, c := range []struct{ object, id string }{{"object_10", r10}, {"object_29", r29}} {
			if !hasIssue(list, c.object, c.id, vespa.RuleHistoryLocked, "2024/2025") {
				t.Errorf("no history_locked issue for %s %s", c.object, c.id)
			}
		}
		// The next sweep (nothing changed in Knack) keeps the report.
		b.sweep(t)
		if !hasIssue(issues(t, b.pool), "object_10", r10, vespa.RuleHistoryLocked, "2024/2025") {
			t.Errorf("history_locked issue of %s gone after a sweep without change", r10)
		}
	})

	t.Run("a last-year record deleted in Knack", func(t *testing.T) {
		t.Parallel()
		b := crafted(t, options{cfg: syncer.Config{MaxDeleteRatio: 1}})
		r10, r29, _, _, before := lastYear(t, b)
		b.sim.Delete("object_10", r10)
		b.sim.Delete("object_29", r29)
		run := b.sweep(t)
		if diff := cmp.Diff(before, studentRows(t, b.pool, "past@school.example", "2024/2025")); diff != "" {
			t.Errorf("history rows changed by the deletion (-before +after):\n%s", diff)
		}
		for _, object := range []string{"object_10", "object_29"} {
			if p := progressOf(t, run, object); p.RecordsDeleted != 1 || p.HistoryKept != 1 {
				t.Errorf("%s: %d deleted, %d history kept; want 1, 1", object, p.RecordsDeleted, p.HistoryKept)
			}
		}
		// Silently: no data issue.
		for _, is := range issues(t, b.pool) {
			if is.RecordID == r10 || is.RecordID == r29 {
				t.Errorf("data issue for a deleted record whose rows are history: %+v", is)
			}
		}
		if kept := count(t, b.pool, `SELECT (metadata ->> 'history_kept')::int FROM public.sync_logs
			WHERE (metadata ->> 'run_id')::bigint = $1`, run.ID); kept != 2 {
			t.Errorf("sync_logs history_kept = %d, want 2", kept)
		}
	})

	t.Run("a confirmed held deletion keeps history", func(t *testing.T) {
		t.Parallel()
		b := crafted(t, options{cfg: syncer.Config{MaxDeleteRatio: 0.01}})
		r10, _, _, _, before := lastYear(t, b)
		current := oid(time.Date(2025, 9, 3, 8, 0, 0, 0, time.UTC), 3)
		b.put(t, "object_10", current, scoreFields(result("now@school.example", ukSchool, mdy(2025, time.October, 1), 1), 1, 5, 5, 5, 5, 5, 5))
		b.sweep(t)
		b.sim.Delete("object_10", r10)
		b.sim.Delete("object_10", current)
		run := b.sweep(t)
		if p := progressOf(t, run, "object_10"); p.DeletionsHeld != 2 {
			t.Fatalf("object_10: %d held, want 2", p.DeletionsHeld)
		}
		if _, err := b.syncer.ConfirmDeletes(t.Context()); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, studentRows(t, b.pool, "past@school.example", "2024/2025")); diff != "" {
			t.Errorf("history rows erased by a confirmed deletion (-before +after):\n%s", diff)
		}
		if n := count(t, b.pool, `SELECT count(*) FROM public.students WHERE email = 'now@school.example'`); n != 0 {
			t.Errorf("the current-year student of a confirmed deletion remains")
		}
	})

	t.Run("first sight of a history identity is inserted", func(t *testing.T) {
		t.Parallel()
		b := crafted(t, options{})
		lastYear(t, b) // asserts the rows
		// A second record for a new identity of 2024/2025, seen later.
		late := oid(time.Date(2024, 9, 5, 8, 0, 0, 0, time.UTC), 4)
		b.put(t, "object_10", late, scoreFields(result("late@school.example", ukSchool, mdy(2025, time.June, 1), 1), 1, 7, 7, 7, 7, 7, 7))
		b.sweep(t)
		if got := studentRows(t, b.pool, "late@school.example", "2024/2025").count(); got != (rowCounts{students: 1, scores: 1}) {
			t.Errorf("new 2024/2025 identity: %+v, want a student and a score", got)
		}
	})
}

// TestRepair: rule 16. The full sweep projects every mirrored record again
// and repairs other writers' drift in current-year rows, reporting it;
// history rows and rows no record produces are left alone.
func TestRepair(t *testing.T) {
	t.Parallel()
	b := crafted(t, options{})
	_, _, _, _, history := lastYear(t, b)
	cur := oid(time.Date(2025, 9, 3, 8, 0, 0, 0, time.UTC), 3)
	b.put(t, "object_10", cur, scoreFields(result("Drift@School.example", ukSchool, mdy(2025, time.October, 1), 1), 1, 5, 5, 5, 5, 5, 5))
	q := answerFields(questionnaire("drift@school.example", "", mdy(2025, time.October, 1)), 1, 2)
	b.put(t, "object_29", oid(time.Date(2025, 9, 3, 8, 0, 0, 0, time.UTC), 4), q)
	b.sweep(t)
	current := studentRows(t, b.pool, "Drift@School.example", "2025/2026")
	if got := current.count(); got != (rowCounts{students: 1, scores: 1, answers: len(vespa.Object29.Questions)}) {
		t.Fatalf("current rows %+v", got)
	}

	// The no-change sweep writes nothing and repairs nothing.
	run := b.sweep(t)
	if w := written(run); len(w) != 0 {
		t.Errorf("no-change sweep wrote %v", w)
	}
	for table, c := range run.Tables {
		if c.Repaired != 0 {
			t.Errorf("no-change sweep repaired %d %s rows", c.Repaired, table)
		}
	}

	// Another writer changes a current-year score, an answer and the
	// student's school, edits a history score, and adds a student of its
	// own this year.
	exec := func(sql string) {
		t.Helper()
		if _, err := b.pool.Exec(t.Context(), sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`UPDATE public.vespa_scores SET vision = 1 WHERE student_email = 'Drift@School.example'`)
	exec(`UPDATE public.question_responses q SET response_value = 5 FROM public.students s
		WHERE s.id = q.student_id AND s.email = 'Drift@School.example' AND q.question_id = 'q1'`)
	exec(`UPDATE public.students SET establishment_id = (SELECT id FROM public.establishments WHERE knack_id = '` + ukSchool2 + `')
		WHERE email = 'Drift@School.example'`)
	exec(`UPDATE public.vespa_scores SET vision = 0 WHERE student_email = 'past@school.example' AND cycle = 1`)
	exec(`INSERT INTO public.students (knack_id, email, academic_year) VALUES ('dashboard', 'own@school.example', '2025/2026')`)
	historyEdited := studentRows(t, b.pool, "past@school.example", "2024/2025")
	if cmp.Equal(history, historyEdited) {
		t.Fatal("the history edit did not change anything")
	}

	// A hint pass skips unchanged records: no repair there.
	var hints []store.Hint
	for _, r := range b.sim.Records("object_10") {
		hints = append(hints, store.Hint{Object: "object_10", RecordID: r.ID, Event: "update"})
	}
	b.hint(t, hints...)
	if _, err := b.syncer.ProcessHints(t.Context(), "object_10"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM public.vespa_scores WHERE student_email = 'Drift@School.example' AND vision = 1`); n != 1 {
		t.Errorf("an incremental pass repaired an unchanged record's rows")
	}

	run = b.sweep(t)
	after := studentRows(t, b.pool, "Drift@School.example", "2025/2026")
	for _, table := range []string{"students", "vespa_scores", "question_responses"} {
		for id := range current[table] {
			if _, ok := after[table][id]; !ok {
				t.Errorf("%s row %s replaced, want it repaired in place", table, id)
			}
		}
	}
	if got := strings1(t, b.pool, `SELECT v.vision || ' ' || e.knack_id FROM public.vespa_scores v JOIN public.students s ON s.id = v.student_id
		JOIN public.establishments e ON e.id = s.establishment_id WHERE s.email = 'Drift@School.example'`); !cmp.Equal(got, []string{"5 " + ukSchool}) {
		t.Errorf("repaired score and school %v, want [5 %s]", got, ukSchool)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM public.question_responses q JOIN public.students s ON s.id = q.student_id
		WHERE s.email = 'Drift@School.example' AND q.response_value <> 2`); n != 0 {
		t.Errorf("%d answers not repaired", n)
	}
	wantRepaired := map[string]int64{"students": 1, "vespa_scores": 1, "question_responses": 1}
	gotRepaired := map[string]int64{}
	for table, c := range run.Tables {
		if c.Repaired != 0 {
			gotRepaired[table] = c.Repaired
		}
	}
	if diff := cmp.Diff(wantRepaired, gotRepaired); diff != "" {
		t.Errorf("repaired counts (-want +got):\n%s", diff)
	}
	if c := run.Tables["students"]; c.Unowned != 1 {
		t.Errorf("students unowned = %d, want 1 (the other writer's own row)", c.Unowned)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM public.students WHERE email = 'own@school.example'`); n != 1 {
		t.Errorf("the other writer's own row was not left alone")
	}
	if diff := cmp.Diff(historyEdited, studentRows(t, b.pool, "past@school.example", "2024/2025")); diff != "" {
		t.Errorf("the sweep touched a history row (-before +after):\n%s", diff)
	}
	for _, is := range issues(t, b.pool) {
		if is.Rule == vespa.RuleHistoryLocked {
			t.Errorf("drift in history reported as a Knack change: %+v", is)
		}
	}
	var repaired, unowned int
	if err := b.pool.QueryRow(t.Context(), `SELECT (metadata ->> 'repaired')::int, (metadata ->> 'unowned')::int
		FROM public.sync_logs WHERE (metadata ->> 'run_id')::bigint = $1`, run.ID).Scan(&repaired, &unowned); err != nil {
		t.Fatal(err)
	}
	if repaired != 3 || unowned != 1 {
		t.Errorf("sync_logs metadata repaired %d unowned %d, want 3 and 1", repaired, unowned)
	}
}

// TestLinkSameYear: rule 9. The field_792 fallback links answers to the
// object_10 record's student of the answers' own academic year, never of
// another year.
func TestLinkSameYear(t *testing.T) {
	t.Parallel()
	b := crafted(t, options{})
	r10 := oid(time.Date(2024, 9, 1, 8, 0, 0, 0, time.UTC), 1)
	b.put(t, "object_10", r10, scoreFields(result("linked@school.example", ukSchool, mdy(2025, time.March, 1), 1), 1, 5, 5, 5, 5, 5, 5))
	// Answers of 2025/2026 with no e-mail: field_792 names a record whose
	// only student is of 2024/2025.
	other := oid(time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC), 2)
	b.put(t, "object_29", other, answerFields(questionnaire("", r10, mdy(2025, time.October, 1)), 1, 4))
	// Answers of 2024/2025 through the same link: that student's.
	same := oid(time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC), 3)
	b.put(t, "object_29", same, answerFields(questionnaire("", r10, mdy(2025, time.April, 1)), 1, 2))
	b.sweep(t)
	got := strings1(t, b.pool, `SELECT DISTINCT q.academic_year || ' ' || q.response_value FROM public.question_responses q`)
	if diff := cmp.Diff([]string{"2024/2025 2"}, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	if !hasIssue(issues(t, b.pool), "object_29", other, vespa.RuleUnlinked, "") {
		t.Errorf("answers of another year than the linked student's not reported unlinked")
	}
}
