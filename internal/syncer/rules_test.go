package syncer_test

// The rules of docs/mapping.md through the whole pipeline, with crafted
// records put into the simulator in the API's own shapes (knacksim.Render).

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"knacksync/internal/syncer"
	"knacksync/internal/vespa"
)

const (
	ukSchool     = "5e00000000000000000000a1"
	ukSchool2    = "5e00000000000000000000a5"
	auCalendar   = "5e00000000000000000000a2" // is_australian, use_standard_year false
	auStdEmpty   = "5e00000000000000000000a3" // is_australian, use_standard_year empty
	auStdTrue    = "5e00000000000000000000a4" // is_australian, use_standard_year true
	refreshEmail = "mo.farah@rollover.example"
)

// crafted is a bundle with an empty app but for the schools above.
func crafted(t *testing.T, opts options) *testBundle {
	t.Helper()
	opts.empty = true
	b := setup(t, opts)
	school := func(id, name string, au bool, std any) {
		b.put(t, "object_2", id, map[string]any{
			"field_44": name, "field_2209": "Active", "field_63": "COACHING PORTAL", "field_3573": au, "field_3752": std,
		})
	}
	school(ukSchool, "Oak Academy", false, nil)
	school(ukSchool2, "Elm College", false, nil)
	school(auCalendar, "Wattle Grammar", true, false)
	school(auStdEmpty, "Banksia College", true, nil)
	school(auStdTrue, "Karri High", true, true)
	return b
}

// result is an object_10 record's fields: a student of school, completed
// on date (month first; "" for none), current cycle `cycle`.
func result(email, school, date string, cycle int) map[string]any {
	return map[string]any{
		"field_197": email, "field_187": "Sam Student", "field_133": school, "field_855": date, "field_146": cycle,
		"field_144": "12", "field_2299": "A Level",
	}
}

// questionnaire is an object_29 record's fields.
func questionnaire(email, result, date string) map[string]any {
	return map[string]any{"field_2732": email, "field_792": result, "field_856": date}
}

// keepAndRefresh plays case 2 of docs/mapping.md, "Cases the old nightly
// script got wrong": a student completes 2024/2025 (three cycles, answers
// and comments); then the same object_10 and object_29 records are
// refreshed into 2025/2026: field_146 back to 1, a new cycle 1, and last
// year's cycles 2 and 3 still in their fields. It returns the records and
// last year's rows after the refresh.
func keepAndRefresh(t *testing.T, b *testBundle) (r10, r29 string, lastYear studentData) {
	t.Helper()
	b.put(t, "object_2", "5e0000000000000000000001", map[string]any{"field_44": "Rollover Academy", "field_2209": "Active", "field_63": "COACHING PORTAL"})
	r10 = oid(time.Date(2024, 8, 20, 9, 0, 0, 0, time.UTC), 1)
	r29 = oid(time.Date(2024, 10, 2, 9, 0, 0, 0, time.UTC), 2)
	rec := result(refreshEmail, "5e0000000000000000000001", mdy(2025, time.May, 10), 3)
	rec["field_2302"], rec["field_2303"], rec["field_2304"] = "Last year's first review", "Last year's second", "Last year's third"
	scoreFields(rec, 1, 5, 5, 5, 5, 5, 5)
	scoreFields(rec, 2, 6, 6, 6, 6, 6, 6)
	scoreFields(rec, 3, 7, 7, 7, 7, 7, 7)
	b.put(t, "object_10", r10, rec)
	q := questionnaire(refreshEmail, "", mdy(2025, time.May, 10))
	answerFields(q, 1, 2)
	answerFields(q, 2, 3)
	answerFields(q, 3, 4)
	b.put(t, "object_29", r29, q)
	b.sweep(t)

	lastYear = studentRows(t, b.pool, refreshEmail, "2024/2025")
	nq := len(vespa.Object29.Questions)
	if got := lastYear.count(); got != (rowCounts{students: 1, scores: 3, comments: 3, answers: 3 * nq}) {
		t.Fatalf("2024/2025 rows after the first sweep: %+v", got)
	}

	rec["field_855"], rec["field_146"] = mdy(2025, time.October, 1), 1
	scoreFields(rec, 1, 8, 8, 8, 8, 8, 8)
	rec["field_2302"] = "This year's first review"
	b.put(t, "object_10", r10, rec)
	q["field_856"] = mdy(2025, time.October, 1)
	answerFields(q, 1, 5)
	b.put(t, "object_29", r29, q)
	b.sweep(t)

	thisYear := studentRows(t, b.pool, refreshEmail, "2025/2026")
	if got := thisYear.count(); got != (rowCounts{students: 1, scores: 1, comments: 1, answers: nq}) {
		t.Errorf("2025/2026 rows after keep-and-refresh: %+v, want cycle 1 only", got)
	}
	if diff := cmp.Diff(lastYear, studentRows(t, b.pool, refreshEmail, "2024/2025")); diff != "" {
		t.Errorf("2024/2025 rows changed by keep-and-refresh (-before +after):\n%s", diff)
	}
	return r10, r29, lastYear
}

func TestSweepRules(t *testing.T) {
	t.Parallel()
	nq := len(vespa.Object29.Questions)

	// Rule 5: a record re-uploaded with a new knack_id updates the same
	// student row and replaces its knack_id.
	t.Run("re-upload with a new id", func(t *testing.T) {
		t.Parallel()
		b := crafted(t, options{cfg: syncer.Config{MaxDeleteRatio: 1}})
		r1 := oid(time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC), 1)
		b.put(t, "object_10", r1, scoreFields(result("Ann.Lee@School.example ", ukSchool, mdy(2025, time.October, 1), 1), 1, 5, 5, 5, 5, 5, 5))
		b.sweep(t)
		var studentID, scoreID string
		if err := b.pool.QueryRow(t.Context(), `SELECT s.id::text, v.id::text FROM public.students s
			JOIN public.vespa_scores v ON v.student_id = s.id WHERE lower(s.email) = 'ann.lee@school.example' AND s.academic_year = '2025/2026'`).
			Scan(&studentID, &scoreID); err != nil {
			t.Fatal(err)
		}

		b.sim.Delete("object_10", r1)
		r2 := oid(time.Date(2025, 10, 3, 8, 0, 0, 0, time.UTC), 2)
		b.put(t, "object_10", r2, scoreFields(result("ann.lee@school.example", ukSchool, mdy(2025, time.October, 5), 1), 1, 7, 7, 7, 7, 7, 7))
		b.sweep(t)
		// Rule 1: the same row (compared case-insensitively), now in the
		// new record's casing.
		got := strings1(t, b.pool, `SELECT s.id || ' ' || s.email || ' ' || s.knack_id || ' ' || v.id || ' ' || v.vision FROM public.students s
			JOIN public.vespa_scores v ON v.student_id = s.id WHERE lower(s.email) = 'ann.lee@school.example'`)
		want := []string{studentID + " ann.lee@school.example " + r2 + " " + scoreID + " 7"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("student after re-upload (-want +got):\n%s", diff)
		}
		// The old record is gone from Knack: nothing is reported about it
		// any more (it lost its key to the new one on the way).
		for _, is := range issues(t, b.pool) {
			if is.RecordID == r1 {
				t.Errorf("deleted record %s still has a data issue: %+v", r1, is)
			}
		}
	})

	// Rule 5: two live records for one email and year. The later
	// completion date wins, ties go to the larger id; the loser is
	// reported. Page size 1 puts each record in its own batch, losers after
	// winners, so that the database side of the rule is exercised too.
	for _, rows := range []int{0, 1} {
		t.Run("duplicates rows_per_page="+strconv.Itoa(rows), func(t *testing.T) {
			t.Parallel()
			b := crafted(t, options{rowsPerPage: rows})
			day := func(d int) time.Time { return time.Date(2025, 9, d, 8, 0, 0, 0, time.UTC) }
			d1, d2 := oid(day(1), 1), oid(day(2), 2) // d1: smaller id, later date
			t1, t2 := oid(day(1), 3), oid(day(2), 4) // same date: t2, the larger id, wins
			q1, q2 := oid(day(1), 5), oid(day(2), 6) // answers: q1, the later date, wins
			b.put(t, "object_10", d1, scoreFields(result("dup.date@school.example", ukSchool, mdy(2025, time.October, 10), 1), 1, 4, 4, 4, 4, 4, 4))
			b.put(t, "object_10", d2, scoreFields(result("Dup.Date@School.example", ukSchool, mdy(2025, time.October, 5), 1), 1, 6, 6, 6, 6, 6, 6))
			b.put(t, "object_10", t1, scoreFields(result("dup.tie@school.example", ukSchool, mdy(2025, time.October, 5), 1), 1, 3, 3, 3, 3, 3, 3))
			b.put(t, "object_10", t2, scoreFields(result("dup.tie@school.example", ukSchool, mdy(2025, time.October, 5), 1), 1, 9, 9, 9, 9, 9, 9))
			b.put(t, "object_29", q1, answerFields(questionnaire("dup.date@school.example", "", mdy(2025, time.October, 10)), 1, 2))
			b.put(t, "object_29", q2, answerFields(questionnaire("dup.date@school.example", "", mdy(2025, time.October, 5)), 1, 4))
			b.sweep(t)

			got := strings1(t, b.pool, `SELECT s.email || ' ' || s.knack_id || ' ' || v.vision FROM public.students s
				JOIN public.vespa_scores v ON v.student_id = s.id ORDER BY 1`)
			want := []string{"dup.date@school.example " + d1 + " 4", "dup.tie@school.example " + t2 + " 9"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("winners (-want +got):\n%s", diff)
			}
			answers := strings1(t, b.pool, `SELECT DISTINCT response_value FROM public.question_responses`)
			if !slices.Equal(answers, []string{"2"}) || count(t, b.pool, `SELECT count(*) FROM public.question_responses`) != nq {
				t.Errorf("answers %v: want the %d answers of %s (value 2)", answers, nq, q1)
			}
			list := issues(t, b.pool)
			for _, loser := range []struct{ object, id string }{{"object_10", d2}, {"object_10", t1}, {"object_29", q2}} {
				if !hasIssue(list, loser.object, loser.id, vespa.RuleDuplicate, "") {
					t.Errorf("no duplicate issue for the loser %s", loser.id)
				}
			}
			for _, winner := range []string{d1, t2, q1} {
				if slices.ContainsFunc(list, func(is issue) bool { return is.RecordID == winner }) {
					t.Errorf("the winner %s has a data issue", winner)
				}
			}
			// Once decided, a second sweep keeps the decision and writes nothing.
			if w := written(b.sweep(t)); len(w) != 0 {
				t.Errorf("second sweep wrote %v", w)
			}
		})
	}

	// Rule 12: a loser that stops colliding (its email is corrected) is no
	// longer reported as a duplicate.
	t.Run("duplicate resolved", func(t *testing.T) {
		t.Parallel()
		b := crafted(t, options{})
		w, l := oid(time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), 1), oid(time.Date(2025, 9, 2, 0, 0, 0, 0, time.UTC), 2)
		b.put(t, "object_10", w, scoreFields(result("shared@school.example", ukSchool, mdy(2025, time.October, 10), 1), 1, 4, 4, 4, 4, 4, 4))
		loser := scoreFields(result("shared@school.example", ukSchool, mdy(2025, time.October, 5), 1), 1, 6, 6, 6, 6, 6, 6)
		b.put(t, "object_10", l, loser)
		b.sweep(t)
		if !hasIssue(issues(t, b.pool), "object_10", l, vespa.RuleDuplicate, "") {
			t.Fatalf("no duplicate issue for %s", l)
		}
		loser["field_197"] = "own.address@school.example"
		b.put(t, "object_10", l, loser)
		b.sweep(t)
		if got := strings1(t, b.pool, `SELECT email || ' ' || knack_id FROM public.students ORDER BY 1`); !slices.Equal(got,
			[]string{"own.address@school.example " + l, "shared@school.example " + w}) {
			t.Errorf("students %v", got)
		}
		for _, is := range issues(t, b.pool) {
			t.Errorf("data issue remains after the duplicate was resolved: %+v", is)
		}
	})

	// Rule 6 with hard case 2: the stale cycles 2 and 3 of a refreshed
	// record are not taken in the new year, last year's rows stay as they
	// were, and both years' student rows share the record's knack_id.
	t.Run("keep-and-refresh", func(t *testing.T) {
		t.Parallel()
		b := crafted(t, options{})
		r10, _, _ := keepAndRefresh(t, b)
		got := strings1(t, b.pool, `SELECT academic_year || ' ' || knack_id FROM public.students WHERE email = $1 ORDER BY 1`, refreshEmail)
		if want := []string{"2024/2025 " + r10, "2025/2026 " + r10}; !slices.Equal(got, want) {
			t.Errorf("students %v, want %v", got, want)
		}
		comments := strings1(t, b.pool, `SELECT c.academic_year || ' ' || c.cycle || ' ' || c.comment_text FROM public.student_comments c
			JOIN public.students s ON s.id = c.student_id WHERE s.email = $1 ORDER BY 1`, refreshEmail)
		want := []string{
			"2024/2025 1 Last year's first review", "2024/2025 2 Last year's second", "2024/2025 3 Last year's third",
			"2025/2026 1 This year's first review",
		}
		if diff := cmp.Diff(want, comments); diff != "" {
			t.Errorf("comments (-want +got):\n%s", diff)
		}
		answers := strings1(t, b.pool, `SELECT k || ' ' || count(*) FROM (
			SELECT q.academic_year || ' ' || q.cycle || ' ' || q.response_value AS k
			FROM public.question_responses q JOIN public.students s ON s.id = q.student_id WHERE s.email = $1) x
			GROUP BY k ORDER BY 1`, refreshEmail)
		for i, w := range []string{"2024/2025 1 2", "2024/2025 2 3", "2024/2025 3 4", "2025/2026 1 5"} {
			want := w + " " + strconv.Itoa(nq)
			if i >= len(answers) || answers[i] != want {
				t.Errorf("answers %v, want %s at %d", answers, want, i)
			}
		}
		if len(answers) != 4 {
			t.Errorf("answers by year and cycle %v, want 4 groups", answers)
		}
	})

	// Rule 9: answers that only field_792 links (no email, or another
	// person's), and one that links to nobody.
	t.Run("answers linked through field_792", func(t *testing.T) {
		t.Parallel()
		b := crafted(t, options{})
		ra, rb := oid(time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), 1), oid(time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), 2)
		qa, qb, qc := oid(time.Date(2025, 10, 2, 0, 0, 0, 0, time.UTC), 3), oid(time.Date(2025, 10, 2, 0, 0, 0, 0, time.UTC), 4), oid(time.Date(2025, 10, 2, 0, 0, 0, 0, time.UTC), 5)
		b.put(t, "object_10", ra, scoreFields(result("link.only@school.example", ukSchool, mdy(2025, time.October, 1), 1), 1, 5, 5, 5, 5, 5, 5))
		b.put(t, "object_10", rb, scoreFields(result("pupil.b@school.example", ukSchool, mdy(2025, time.October, 1), 1), 1, 5, 5, 5, 5, 5, 5))
		b.put(t, "object_29", qa, answerFields(questionnaire("", ra, mdy(2025, time.October, 2)), 1, 3))
		b.put(t, "object_29", qb, answerFields(questionnaire("parent.b@home.example", rb, mdy(2025, time.October, 2)), 1, 4))
		b.put(t, "object_29", qc, answerFields(questionnaire("nobody@nowhere.example", "", mdy(2025, time.October, 2)), 1, 5))
		b.sweep(t)
		got := strings1(t, b.pool, `SELECT k || ' ' || count(*) FROM (
			SELECT s.email || ' ' || q.academic_year || ' ' || q.response_value AS k
			FROM public.question_responses q JOIN public.students s ON s.id = q.student_id) x GROUP BY k ORDER BY 1`)
		want := []string{
			"link.only@school.example 2025/2026 3 " + strconv.Itoa(nq),
			"pupil.b@school.example 2025/2026 4 " + strconv.Itoa(nq),
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("answers (-want +got):\n%s", diff)
		}
		list := issues(t, b.pool)
		if !hasIssue(list, "object_29", qc, vespa.RuleUnlinked, "") {
			t.Errorf("no unlinked_answer issue for %s: %+v", qc, list)
		}
		for _, id := range []string{qa, qb} {
			if hasIssue(list, "object_29", id, vespa.RuleUnlinked, "") {
				t.Errorf("%s is linked, yet reported unlinked", id)
			}
		}
	})

	// Rule 3: the calendar year applies to scores and answers alike only
	// when is_australian and use_standard_year is false; empty or true
	// means the UK rule.
	t.Run("Australian calendar year", func(t *testing.T) {
		t.Parallel()
		b := crafted(t, options{})
		for i, c := range []struct{ school, email string }{
			{auCalendar, "cal@wattle.example"}, {auStdEmpty, "empty@banksia.example"}, {auStdTrue, "true@karri.example"},
		} {
			id := oid(time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), i+1)
			b.put(t, "object_10", id, scoreFields(result(c.email, c.school, mdy(2025, time.March, 15), 1), 1, 6, 6, 6, 6, 6, 6))
			b.put(t, "object_29", oid(time.Date(2025, 3, 16, 0, 0, 0, 0, time.UTC), i+1),
				answerFields(questionnaire(c.email, "", mdy(2025, time.March, 16)+" 10:30"), 1, 3))
		}
		b.sweep(t)
		got := strings1(t, b.pool, `SELECT k || ' ' || count(*) FROM (
			SELECT s.email || ' ' || s.academic_year || ' ' || v.academic_year || ' ' || q.academic_year AS k
			FROM public.students s
			JOIN public.vespa_scores v ON v.student_id = s.id
			JOIN public.question_responses q ON q.student_id = s.id) x
			GROUP BY k ORDER BY 1`)
		n := strconv.Itoa(nq)
		want := []string{
			"cal@wattle.example 2025/2025 2025/2025 2025/2025 " + n,
			"empty@banksia.example 2024/2025 2024/2025 2024/2025 " + n,
			"true@karri.example 2024/2025 2024/2025 2024/2025 " + n,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("academic years (-want +got):\n%s", diff)
		}
		if list := issues(t, b.pool); len(list) != 0 {
			t.Errorf("unexpected data issues: %+v", list)
		}
	})

	// Rules 1 and 12: a record without a valid email gives no student and
	// is reported.
	t.Run("bad email", func(t *testing.T) {
		t.Parallel()
		b := crafted(t, options{})
		id := oid(time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), 1)
		b.put(t, "object_10", id, scoreFields(result("not an email", ukSchool, mdy(2025, time.October, 1), 1), 1, 5, 5, 5, 5, 5, 5))
		b.sweep(t)
		if n := count(t, b.pool, `SELECT count(*) FROM public.students`); n != 0 {
			t.Errorf("%d students from a record without a valid email", n)
		}
		if !hasIssue(issues(t, b.pool), "object_10", id, vespa.RuleEmail, vespa.Object10.Email.Key) {
			t.Errorf("no bad_email issue for %s", id)
		}
	})

	// Rule 4 on rollover night: a record without a completion date keeps
	// the academic year in which it was first seen, also when a sweep runs
	// after 1 August and when the record changes later.
	t.Run("no completion date across 1 August", func(t *testing.T) {
		t.Parallel()
		b := crafted(t, options{now: time.Date(2025, 7, 31, 22, 0, 0, 0, time.UTC)})
		id := oid(time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), 1)
		rec := scoreFields(result("undated@school.example", ukSchool, "", 1), 1, 5, 5, 5, 5, 5, 5)
		b.put(t, "object_10", id, rec)
		b.sweep(t)
		b.clock.Set(time.Date(2025, 8, 1, 2, 0, 0, 0, time.UTC))
		b.sweep(t)
		scoreFields(rec, 1, 6, 6, 6, 6, 6, 6)
		b.put(t, "object_10", id, rec)
		b.sweep(t)
		// 2024/2025 ended on 31 July: its rows are history now (rule 11),
		// so the change is reported, not applied.
		got := strings1(t, b.pool, `SELECT s.academic_year || ' ' || v.cycle || ' ' || v.vision || ' ' || coalesce(v.completion_date::text, '<nil>')
			FROM public.students s JOIN public.vespa_scores v ON v.student_id = s.id`)
		if want := []string{"2024/2025 1 5 <nil>"}; !slices.Equal(got, want) {
			t.Errorf("rows %v, want %v", got, want)
		}
		if !hasIssue(issues(t, b.pool), "object_10", id, vespa.RuleHistoryLocked, "2024/2025") {
			t.Errorf("no history_locked issue for %s", id)
		}
	})

	// Rule 11 and hard cases 8 and 14: a cycle cleared in Knack is deleted
	// (current year); a cycle whose scores equal another's is kept.
	t.Run("cycle cleared", func(t *testing.T) {
		t.Parallel()
		b := crafted(t, options{})
		id := oid(time.Date(2025, 8, 20, 0, 0, 0, 0, time.UTC), 1)
		rec := result("cycles@school.example", ukSchool, mdy(2025, time.November, 10), 3)
		scoreFields(rec, 1, 5, 5, 5, 5, 5, 5)
		scoreFields(rec, 2, 5, 5, 5, 5, 5, 5)
		scoreFields(rec, 3, 7, 7, 7, 7, 7, 7)
		b.put(t, "object_10", id, rec)
		b.sweep(t)
		cycles := func() []string {
			return strings1(t, b.pool, `SELECT cycle FROM public.vespa_scores ORDER BY 1`)
		}
		if got := cycles(); !slices.Equal(got, []string{"1", "2", "3"}) {
			t.Fatalf("cycles %v, want 1 2 3 (cycle 2 equals cycle 1 and stays)", got)
		}
		for _, f := range vespa.Object10.Scores[2] {
			rec[f.Key] = nil
		}
		b.put(t, "object_10", id, rec)
		run := b.sweep(t)
		if got := cycles(); !slices.Equal(got, []string{"1", "2"}) {
			t.Errorf("cycles %v after cycle 3 was cleared, want 1 2", got)
		}
		if diff := cmp.Diff(map[string]int64{"vespa_scores": 1}, written(run)); diff != "" {
			t.Errorf("run counts (-want +got):\n%s", diff)
		}
	})

	// Hard case 7: a record moved to another establishment mid-year moves
	// its student row (the same row).
	t.Run("establishment changed", func(t *testing.T) {
		t.Parallel()
		b := crafted(t, options{})
		id := oid(time.Date(2025, 8, 20, 0, 0, 0, 0, time.UTC), 1)
		rec := scoreFields(result("mover@school.example", ukSchool, mdy(2025, time.October, 10), 1), 1, 5, 5, 5, 5, 5, 5)
		b.put(t, "object_10", id, rec)
		b.sweep(t)
		before := strings1(t, b.pool, `SELECT id::text FROM public.students`)
		rec["field_133"] = ukSchool2
		b.put(t, "object_10", id, rec)
		b.sweep(t)
		got := strings1(t, b.pool, `SELECT s.id || ' ' || e.knack_id FROM public.students s JOIN public.establishments e ON e.id = s.establishment_id`)
		if len(before) != 1 || !slices.Equal(got, []string{before[0] + " " + ukSchool2}) {
			t.Errorf("student %v after the move, want %v at %s", got, before, ukSchool2)
		}
	})

	// Rules 5 and 11: an object_10 record whose email changes within the
	// year leaves its old identity (deleted: it is the record's current
	// year), and its answers follow it through field_792.
	t.Run("email changed in the same year", func(t *testing.T) {
		t.Parallel()
		b := crafted(t, options{})
		r := oid(time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), 1)
		q := oid(time.Date(2025, 10, 2, 0, 0, 0, 0, time.UTC), 2)
		rec := scoreFields(result("typo@school.exmaple", ukSchool, mdy(2025, time.October, 1), 1), 1, 5, 5, 5, 5, 5, 5)
		b.put(t, "object_10", r, rec)
		b.put(t, "object_29", q, answerFields(questionnaire("", r, mdy(2025, time.October, 2)), 1, 3))
		b.sweep(t)
		rec["field_197"] = "fixed@school.example"
		b.put(t, "object_10", r, rec)
		b.sweep(t)
		got := strings1(t, b.pool, `SELECT k || ' ' || count(*) FROM (
			SELECT s.email || ' ' || s.knack_id || ' ' || coalesce(q.cycle::text, '-') AS k
			FROM public.students s LEFT JOIN public.question_responses q ON q.student_id = s.id) x GROUP BY k ORDER BY 1`)
		if want := []string{"fixed@school.example " + r + " 1 " + strconv.Itoa(nq)}; !slices.Equal(got, want) {
			t.Errorf("students and answers %v, want %v", got, want)
		}
	})

	// Hard case 15: a brand-new school. Its students may be synced before
	// the school is (a hint that arrives first, or a school created while a
	// sweep lists object_10): they are stored without an establishment and
	// reported; once the school is synced they must get it, and the issue
	// must go.
	t.Run("school synced after its students", func(t *testing.T) {
		t.Parallel()
		b := crafted(t, options{})
		const newSchool = "5e00000000000000000000b1"
		id := oid(time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), 1)
		// Completed this academic year under either calendar (rule 11 keeps
		// an earlier year's rows as they are).
		b.put(t, "object_10", id, scoreFields(result("early@new-school.example", newSchool, mdy(2025, time.October, 15), 1), 1, 5, 5, 5, 5, 5, 5))
		b.sweep(t)
		if !hasIssue(issues(t, b.pool), "object_10", id, vespa.RuleEstablishment, "") {
			t.Fatalf("no unknown_establishment issue for %s", id)
		}
		// The new school is Australian (calendar year): the student's year
		// changes with it.
		b.put(t, "object_2", newSchool, map[string]any{
			"field_44": "Jarrah Girls School", "field_2209": "Active", "field_63": "COACHING PORTAL", "field_3573": true, "field_3752": false,
		})
		b.sweep(t)
		got := strings1(t, b.pool, `SELECT s.academic_year || ' ' || coalesce(e.knack_id, '<nil>')
			FROM public.students s LEFT JOIN public.establishments e ON e.id = s.establishment_id`)
		if want := []string{"2025/2025 " + newSchool}; !slices.Equal(got, want) {
			t.Errorf("student %v once its school is synced, want %v", got, want)
		}
		if hasIssue(issues(t, b.pool), "object_10", id, vespa.RuleEstablishment, "") {
			t.Errorf("unknown_establishment issue for %s remains once its school is synced", id)
		}
	})

	// Hard case 19: two academic profiles for one email and year: one
	// profile, of the larger id (profiles have no date), the other reported.
	t.Run("duplicate profiles", func(t *testing.T) {
		t.Parallel()
		b := crafted(t, options{})
		acc1, acc2 := oid(time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC), 1), oid(time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC), 2)
		b.put(t, "object_3", acc1, map[string]any{"field_70": "Twin.Profile@school.example"})
		b.put(t, "object_3", acc2, map[string]any{"field_70": "twin.profile@school.example"})
		p1, p2 := oid(time.Date(2025, 9, 10, 0, 0, 0, 0, time.UTC), 3), oid(time.Date(2025, 9, 11, 0, 0, 0, 0, time.UTC), 4)
		b.put(t, "object_112", p1, map[string]any{"field_3064": acc1, "field_3069": ukSchool, "field_3076": "81%",
			"field_3080": `{"subject":"Biology","examType":"A Level"}`})
		b.put(t, "object_112", p2, map[string]any{"field_3064": acc2, "field_3069": ukSchool, "field_3076": "0.93",
			"field_3080": `{"subject":"Physics","examType":"A Level"}`, "field_3081": `{"subject":"Maths","examType":"A Level"}`})
		b.sweep(t)
		got := strings1(t, b.pool, `SELECT p.student_email || ' ' || p.academic_year || ' ' || p.knack_record_id || ' ' || p.attendance || ' ' ||
			string_agg(ss.subject_position || ':' || ss.subject_name, ',' ORDER BY ss.subject_position)
			FROM public.academic_profiles p JOIN public.student_subjects ss ON ss.profile_id = p.id
			GROUP BY p.student_email, p.academic_year, p.knack_record_id, p.attendance`)
		if want := []string{"twin.profile@school.example 2025/2026 " + p2 + " 0.93 1:Physics,2:Maths"}; !slices.Equal(got, want) {
			t.Errorf("profiles %v, want %v", got, want)
		}
		if !hasIssue(issues(t, b.pool), "object_112", p1, vespa.RuleDuplicate, "") {
			t.Errorf("no duplicate issue for the losing profile %s", p1)
		}
	})
}
