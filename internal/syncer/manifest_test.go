package syncer_test

// The tiny dataset's manifest of dirty cases, checked after a sweep.

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
	"knacksync/internal/knacksim/vespagen"
	"knacksync/internal/vespa"
)

// checkManifest checks each dirty case of the manifest against the rows
// and issues that docs/mapping.md asks for.
func checkManifest(t *testing.T, pool *pgxpool.Pool, ds *knacksim.Dataset, d *vespagen.Dirty) {
	t.Helper()
	res, qn, pr := vespa.Object10, vespa.Object29, vespa.Object112
	got := issues(t, pool)

	// Every issue is one the manifest planted, and every planted one is
	// there (rule 12).
	var wantIssues []string
	add := func(object, rule string, ids ...string) {
		for _, id := range ids {
			wantIssues = append(wantIssues, object+" "+id+" "+rule)
		}
	}
	refIDs := func(refs ...[]vespagen.Ref) []string {
		var out []string
		for _, list := range refs {
			for _, r := range list {
				out = append(out, r.ID)
			}
		}
		return out
	}
	losers := func(dups ...[]vespagen.Duplicate) []string {
		var out []string
		for _, list := range dups {
			for _, p := range list {
				out = append(out, p.Loser)
			}
		}
		return out
	}
	add(res.Object, vespa.RuleEstablishment, refIDs(d.UnknownEstablishment)...)
	add(res.Object, vespa.RuleScore, refIDs(d.ScoreHuge, d.ScoreEleven)...)
	add(res.Object, vespa.RuleScoreRounded, refIDs(d.ScoreFraction)...)
	add(res.Object, vespa.RuleDate, refIDs(d.DateUnparseable)...)
	add(res.Object, vespa.RuleDuplicate, losers(d.Duplicates, d.DuplicatesEqualDate)...)
	add(qn.Object, vespa.RuleDuplicate, losers(d.DuplicateAnswers)...)
	add(qn.Object, vespa.RuleAnswer, refIDs(d.AnswerZero, d.AnswerSix, d.AnswerFifty)...)
	add(qn.Object, vespa.RuleUnlinked, refIDs(d.AnswerOrphan)...)
	add(pr.Object, vespa.RuleAccount, refIDs(d.ProfileMissingAccount)...)
	add(pr.Object, vespa.RuleSubject, refIDs(d.SubjectInvalidJSON, d.SubjectNoSubject)...)
	slices.Sort(wantIssues)
	wantIssues = slices.Compact(wantIssues)
	var gotIssues []string
	for _, is := range got {
		gotIssues = append(gotIssues, is.Object+" "+is.RecordID+" "+is.Rule)
	}
	gotIssues = slices.Compact(gotIssues)
	if diff := cmp.Diff(wantIssues, gotIssues); diff != "" {
		t.Errorf("data issues mismatch (-manifest +got):\n%s", diff)
	}
	for _, r := range d.ScoreHuge {
		if !slices.Contains(got, issue{res.Object, r.ID, vespa.RuleScore, r.Field, "20879"}) {
			t.Errorf("no score_out_of_range issue with value 20879 for %s.%s", r.ID, r.Field)
		}
	}
	for _, r := range d.AnswerFifty {
		if !slices.ContainsFunc(got, func(is issue) bool {
			return is.RecordID == r.ID && is.Rule == vespa.RuleAnswer && strings.Contains(is.Value, r.Field+`="50"`)
		}) {
			t.Errorf("bad_answer issue of %s does not name %s=50", r.ID, r.Field)
		}
	}

	one := func(sql string, args ...any) string {
		t.Helper()
		list := strings1(t, pool, sql, args...)
		if len(list) != 1 {
			t.Errorf("%s %v: %d rows %v, want 1", strings.Join(strings.Fields(sql), " "), args, len(list), list)
			return ""
		}
		return list[0]
	}
	eq := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
	}

	// Rule 1: one student per email compared case-insensitively (the
	// manifest's Want is the lower-cased address), stored as the record
	// gives it, trimmed.
	rec10 := map[string]knack.Record{}
	for _, r := range ds.Records[res.Object] {
		rec10[r.ID] = r
	}
	for _, list := range [][]vespagen.Ref{d.EmailMixedCase, d.EmailSpaces, d.EmailAnchorOnly, d.EmailNested, d.EmailAddressKey} {
		for _, r := range list {
			eq("email of "+r.ID, one(`SELECT lower(email) FROM public.students WHERE knack_id = $1`, r.ID), r.Want)
			eq("stored email of "+r.ID, one(`SELECT email FROM public.students WHERE knack_id = $1`, r.ID), oEmail(rec10[r.ID], res.Email.Key))
		}
	}
	for _, r := range d.EmailMixedCase {
		if got := one(`SELECT email FROM public.students WHERE knack_id = $1`, r.ID); got == strings.ToLower(got) {
			t.Errorf("mixed-case email of %s stored lower-cased: %q", r.ID, got)
		}
	}

	// Rules 2 and 3: the completion date and the academic year it gives.
	yearOf := func(id string) string {
		return one(`SELECT academic_year FROM public.students WHERE knack_id = $1`, id)
	}
	dateOf := func(id string) string {
		return one(`SELECT DISTINCT coalesce(v.completion_date::text, '<nil>') FROM public.vespa_scores v
			JOIN public.students s ON s.id = v.student_id WHERE s.knack_id = $1`, id)
	}
	for _, list := range [][]vespagen.Ref{d.DateWithTimeNoRaw, d.DateJuly31, d.DateAugust1, d.DateDecember31, d.DateJanuary1, d.DateISO} {
		for _, r := range list {
			eq("completion date of "+r.ID, dateOf(r.ID), r.Want)
		}
	}
	for _, r := range d.DateJuly31 {
		eq("academic year of 31/07 "+r.ID, yearOf(r.ID), "2024/2025")
	}
	for _, r := range d.DateAugust1 {
		eq("academic year of 01/08 "+r.ID, yearOf(r.ID), "2025/2026")
	}
	for _, list := range [][]vespagen.Ref{d.DateDecember31, d.DateJanuary1} {
		for _, r := range list {
			y := r.Want[:4]
			eq("Australian academic year of "+r.Want+" "+r.ID, yearOf(r.ID), y+"/"+y)
		}
	}
	// Rule 4: no (or no readable) date: the year the record was first seen,
	// never today's date as completion date.
	for _, r := range append(slices.Clone(d.DateMissing), d.DateUnparseable...) {
		au := one(`SELECT coalesce(e.is_australian AND e.use_standard_year = false, false)::text
			FROM public.students s LEFT JOIN public.establishments e ON e.id = s.establishment_id WHERE s.knack_id = $1`, r.ID)
		want := "2025/2026"
		if au == "true" {
			want = "2025/2025"
		}
		eq("first-seen year of "+r.ID, yearOf(r.ID), want)
		eq("completion date of "+r.ID, dateOf(r.ID), "<nil>")
	}

	// Rule 7: scores, cycle 1.
	scoreOf := func(id string, k int) string {
		return one(`SELECT coalesce(`+vespa.ScoreNames[k]+`::text, '') FROM public.vespa_scores v
			JOIN public.students s ON s.id = v.student_id WHERE s.knack_id = $1 AND v.cycle = 1`, id)
	}
	for _, list := range [][]vespagen.Ref{d.ScoreDecimalText, d.ScorePadded, d.ScoreFraction, d.ScoreHuge, d.ScoreEleven, d.ScoreEmpty} {
		for _, r := range list {
			k := slices.IndexFunc(res.Scores[0][:], func(f vespa.Field) bool { return f.Key == r.Field })
			eq(vespa.ScoreNames[k]+" of "+r.ID, scoreOf(r.ID, k), r.Want)
			// The rest of the row is still written.
			other := (k + 1) % 6
			if scoreOf(r.ID, other) == "" {
				t.Errorf("%s of %s is NULL: the rest of the row must be written", vespa.ScoreNames[other], r.ID)
			}
		}
	}
	for _, r := range d.CyclePartial { // rule 6: one score is enough for a cycle
		for k := range 5 {
			eq(vespa.ScoreNames[k]+" of partial "+r.ID, scoreOf(r.ID, k), "")
		}
		eq("overall of partial "+r.ID, scoreOf(r.ID, 5), r.Want)
	}

	// Rule 8: answers, cycle 1. The student is found by the record's email.
	rec29 := map[string]knack.Record{}
	for _, r := range ds.Records[qn.Object] {
		rec29[r.ID] = r
	}
	questionOf := func(field string) string {
		for _, q := range qn.Questions {
			if q.Cycles[0].Key == field {
				return q.ID
			}
		}
		t.Fatalf("no question with cycle 1 field %s", field)
		return ""
	}
	for _, list := range [][]vespagen.Ref{d.AnswerZero, d.AnswerSix, d.AnswerFifty, d.AnswerEmpty, d.AnswerText3, d.AnswerFloat3} {
		for _, r := range list {
			email := oEmail(rec29[r.ID], qn.Email.Key)
			vals := strings1(t, pool, `SELECT q.response_value FROM public.question_responses q
				JOIN public.students s ON s.id = q.student_id WHERE lower(s.email) = lower($1) AND q.cycle = 1 AND q.question_id = $2`,
				email, questionOf(r.Field))
			want := []string{r.Want}
			if r.Want == "" {
				want = nil
			}
			if !slices.Equal(vals, want) {
				t.Errorf("answer %s of %s = %v, want %v", r.Field, r.ID, vals, want)
			}
			if n := count(t, pool, `SELECT count(*) FROM public.question_responses q JOIN public.students s ON s.id = q.student_id
				WHERE lower(s.email) = lower($1) AND q.cycle = 1`, email); n == 0 {
				t.Errorf("no cycle 1 answers at all for %s: the other answers must be taken", r.ID)
			}
		}
	}
	// Rule 9: linked through field_792 only.
	for _, r := range d.AnswerByLink {
		if n := count(t, pool, `SELECT count(*) FROM public.question_responses q JOIN public.students s ON s.id = q.student_id
			WHERE lower(s.email) = $1`, r.Want); n == 0 {
			t.Errorf("answers of %s (linked through field_792 only) not stored for %s", r.ID, r.Want)
		}
	}

	// Rule 5: duplicates and re-uploads.
	for _, p := range slices.Concat(d.Duplicates, d.DuplicatesEqualDate) {
		if n := count(t, pool, `SELECT count(*) FROM public.students WHERE knack_id = $1`, p.Winner); n != 1 {
			t.Errorf("duplicate winner %s has %d student rows, want 1", p.Winner, n)
		}
		if n := count(t, pool, `SELECT count(*) FROM public.students WHERE knack_id = $1`, p.Loser); n != 0 {
			t.Errorf("duplicate loser %s has %d student rows, want 0", p.Loser, n)
		}
	}
	for _, l := range d.ReUploads {
		old, nw := yearOf(l.From.ID), yearOf(l.To.ID)
		if old == nw {
			t.Errorf("re-upload %s and %s share the academic year %s", l.From.ID, l.To.ID, old)
		}
		eq("email of re-upload "+l.To.ID, one(`SELECT lower(email) FROM public.students WHERE knack_id = $1`, l.To.ID), l.To.Want)
	}

	// Rule 6: keep-and-refresh: the stale cycles 2 and 3 are not taken,
	// neither scores nor comments nor answers.
	for i := 0; i+1 < len(d.KeepAndRefresh); i += 2 {
		r10, r29 := d.KeepAndRefresh[i], d.KeepAndRefresh[i+1]
		for _, table := range []string{"vespa_scores", "student_comments"} {
			cycles := strings1(t, pool, `SELECT DISTINCT t.cycle FROM public.`+table+` t
				JOIN public.students s ON s.id = t.student_id WHERE s.knack_id = $1 ORDER BY 1`, r10.ID)
			if slices.ContainsFunc(cycles, func(c string) bool { return c != "1" }) {
				t.Errorf("keep-and-refresh %s: %s cycles %v, want only 1", r10.ID, table, cycles)
			}
		}
		cycles := strings1(t, pool, `SELECT DISTINCT q.cycle FROM public.question_responses q
			JOIN public.students s ON s.id = q.student_id WHERE lower(s.email) = lower($1) ORDER BY 1`, oEmail(rec29[r29.ID], qn.Email.Key))
		if !slices.Equal(cycles, []string{"1"}) {
			t.Errorf("keep-and-refresh %s: answer cycles %v, want [1]", r29.ID, cycles)
		}
	}

	// Rule 10: schools, and a student of an unknown one.
	estCol := func(id, col string) string {
		return one(`SELECT coalesce(`+col+`::text, '<nil>') FROM public.establishments WHERE knack_id = $1`, id)
	}
	for _, r := range d.UnknownEstablishment {
		eq("establishment of "+r.ID, one(`SELECT coalesce(establishment_id::text, '<nil>') FROM public.students WHERE knack_id = $1`, r.ID), "<nil>")
	}
	for _, c := range []struct {
		list     []vespagen.Ref
		col, val string
	}{
		{d.SchoolCancelled, "status", "Cancelled"},
		{d.SchoolResourcePortal, "portal_type", "RESOURCE PORTAL"},
		{d.SchoolEmptyPortal, "portal_type", "<nil>"},
		{d.SchoolLowerPortal, "portal_type", "coaching portal"},
		{d.AusStandardYearEmpty, "use_standard_year", "<nil>"},
		{d.AusStandardYearFalse, "use_standard_year", "false"},
		{d.AusStandardYearTrue, "use_standard_year", "true"},
		{slices.Concat(d.AusStandardYearEmpty, d.AusStandardYearFalse, d.AusStandardYearTrue), "is_australian", "true"},
	} {
		for _, r := range c.list {
			eq(c.col+" of school "+r.ID, estCol(r.ID, c.col), c.val)
		}
	}
	for _, r := range d.SchoolNameEmpty {
		eq("name of school "+r.ID, estCol(r.ID, "name"), r.Want)
	}

	// Staff and super users.
	for _, r := range d.StaffNoEstablishment {
		eq("establishment of staff "+r.ID, one(`SELECT coalesce(establishment_id::text, '<nil>') FROM public.staff_admins WHERE knack_id = $1`, r.ID), "<nil>")
	}
	for _, l := range d.SuperUserAlsoStaff {
		eq("super user "+l.From.ID, one(`SELECT lower(email) FROM public.super_users WHERE knack_id = $1`, l.From.ID), l.From.Want)
		eq("staff "+l.To.ID, one(`SELECT email FROM public.staff_admins WHERE knack_id = $1`, l.To.ID), l.To.Want)
	}

	// Rule 13: academic profiles.
	profCol := func(id, col string) string {
		return one(`SELECT coalesce(`+col+`::text, '<nil>') FROM public.academic_profiles WHERE knack_record_id = $1`, id)
	}
	for _, r := range slices.Concat(d.AttendancePercent, d.AttendanceFraction) {
		eq("attendance of "+r.ID, profCol(r.ID, "attendance"), "0.93")
	}
	for _, r := range d.AttendanceEmpty {
		eq("attendance of "+r.ID, profCol(r.ID, "attendance"), "<nil>")
	}
	for _, r := range d.PriorAttainmentEmpty {
		eq("prior attainment of "+r.ID, profCol(r.ID, "prior_attainment"), "<nil>")
	}
	positions := func(id string) []string {
		return strings1(t, pool, `SELECT ss.subject_position FROM public.student_subjects ss
			JOIN public.academic_profiles p ON p.id = ss.profile_id WHERE p.knack_record_id = $1 ORDER BY 1`, id)
	}
	for _, c := range []struct {
		list []vespagen.Ref
		pos  string
	}{{d.SubjectInvalidJSON, "1"}, {d.SubjectNoSubject, "2"}} {
		for _, r := range c.list {
			got := positions(r.ID)
			if slices.Contains(got, c.pos) || len(got) == 0 {
				t.Errorf("subjects of %s at positions %v: want the others, not %s", r.ID, got, c.pos)
			}
		}
	}
	for _, r := range d.ProfileMissingAccount {
		if n := count(t, pool, `SELECT count(*) FROM public.academic_profiles WHERE knack_record_id = $1`, r.ID); n != 0 {
			t.Errorf("profile %s without account stored", r.ID)
		}
	}
	for _, r := range d.ProfileAccountText {
		eq("email of profile "+r.ID, strings.ToLower(profCol(r.ID, "student_email")), r.Want)
	}
	for _, r := range d.AccountAnchorOnly {
		if n := count(t, pool, `SELECT count(*) FROM public.academic_profiles WHERE lower(student_email) = $1`, r.Want); n != 1 {
			t.Errorf("%d profiles for the account %s known only by its anchor (%s), want 1", n, r.ID, r.Want)
		}
	}

	// Rule 14: text.
	for _, r := range slices.Concat(d.TextNUL, d.TextHTML) {
		eq("name of "+r.ID, one(`SELECT name FROM public.students WHERE knack_id = $1`, r.ID), r.Want)
	}
	for _, r := range d.TextInvalidUTF8 {
		typ := "rrc"
		if r.Field == res.Goal[0].Key {
			typ = "goal"
		}
		eq(typ+" comment of "+r.ID, one(`SELECT comment_text FROM public.student_comments c
			JOIN public.students s ON s.id = c.student_id WHERE s.knack_id = $1 AND c.cycle = 1 AND c.comment_type = $2`, r.ID, typ), r.Want)
	}
}

// manifestIDs is every record id the manifest names: records with a dirty
// case, which a test that wants an ordinary record avoids.
func manifestIDs(d *vespagen.Dirty) []string {
	var out []string
	for _, c := range d.Cases() {
		out = append(out, c.Records...)
	}
	return out
}
