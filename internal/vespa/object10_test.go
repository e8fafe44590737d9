package vespa

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"knacksync/internal/knack"
)

const (
	resultA = "64f000000000000000000a01"
	resultB = "64f000000000000000000b02"
	resultC = "6500000000000000000000c3"
)

// absent removes a field (raw and formatted).
func absent(f Field) []kv {
	return []kv{{f.Key + "_raw", json.RawMessage(nil)}, {f.Key, json.RawMessage(nil)}}
}

// resultRecord is a clean object_10 record (UK school, completed on
// 29/09/2025, current cycle 1 with six scores) with extra fields laid over it.
func resultRecord(t testing.TB, id string, extra ...[]kv) knack.Record {
	t.Helper()
	f := Object10
	fields := []kv{
		raw(f.Email, emailRaw("sam.jones@northfield.example")),
		fmtd(f.Email, `<a href="mailto:sam.jones@northfield.example">sam.jones@northfield.example</a>`),
		raw(f.Name, map[string]string{"first": "Sam", "last": "Jones"}),
		fmtd(f.Name, "Sam Jones"),
		raw(f.Establishment, connRaw(estUK)),
		raw(f.CompletionDate, dateRaw(2025, 9, 29, 4, 50)),
		fmtd(f.CompletionDate, "29/09/2025 04:50"),
		raw(f.CurrentCycle, 1),
		raw(f.YearGroup, "12"),
		raw(f.Group, "12B"),
		raw(f.Course, "A Level"),
		raw(f.Faculty, "Sixth Form"),
		raw(f.Gender, "Female"),
	}
	for k, v := range []int{6, 7, 5, 8, 6, 7} {
		fields = append(fields, raw(f.Scores[0][k], v))
	}
	for _, e := range extra {
		fields = append(fields, e...)
	}
	return record(t, id, fields...)
}

func kvs(fields ...kv) []kv { return fields }

func TestProjectObject10Email(t *testing.T) {
	t.Parallel()
	f := Object10
	tests := []struct {
		name       string
		email      []kv
		wantEmail  string
		wantOK     bool
		wantIssues []string
	}{
		{"raw object", kvs(raw(f.Email, emailRaw("sam.jones@northfield.example"))), "sam.jones@northfield.example", true, nil},
		// Rule 1: stored as Knack gives it, trimmed; never lower-cased.
		{"mixed case and spaces", kvs(raw(f.Email, emailRaw(" Sam.Jones@Northfield.EXAMPLE "))), "Sam.Jones@Northfield.EXAMPLE", true, nil},
		{
			"HTML only",
			append(absent(f.Email), fmtd(f.Email, `<a href="mailto:Sam.Jones@Northfield.example">Sam.Jones@Northfield.example</a>`)),
			"Sam.Jones@Northfield.example", true, nil,
		},
		{"nested object", kvs(raw(f.Email, map[string]any{"email": map[string]string{"address": "SAM@northfield.example"}})), "SAM@northfield.example", true, nil},
		{"empty: no rows", append(absent(f.Email), raw(f.Email, emailRaw(""))), "", false, []string{"bad_email field_197 "}},
		{"invalid: no rows", append(absent(f.Email), raw(f.Email, emailRaw("sam jones at school"))), "", false, []string{"bad_email field_197 sam jones at school"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, issues, ok := ProjectObject10(resultRecord(t, resultA, tt.email), testContext())
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.wantEmail, rows.Student.Email); diff != "" {
				t.Errorf("email mismatch (-want +got):\n%s", diff)
			}
			if !ok && (len(rows.Scores) > 0 || len(rows.Comments) > 0 || rows.Student.KnackID != "") {
				t.Errorf("rows for a record without identity: %+v", rows)
			}
			for _, s := range rows.Scores {
				if s.Email != tt.wantEmail {
					t.Errorf("score row email = %q, want %q", s.Email, tt.wantEmail)
				}
			}
			if diff := cmp.Diff(tt.wantIssues, issueKeys(issues)); diff != "" {
				t.Errorf("issues mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProjectObject10AcademicYear(t *testing.T) {
	t.Parallel()
	f := Object10
	date := func(rawV, fmtV any) []kv {
		out := absent(f.CompletionDate)
		if rawV != nil {
			out = append(out, raw(f.CompletionDate, rawV))
		}
		if fmtV != nil {
			out = append(out, fmtd(f.CompletionDate, fmtV))
		}
		return out
	}
	est := func(id string) []kv { return kvs(raw(f.Establishment, connRaw(id))) }
	tests := []struct {
		name       string
		fields     [][]kv
		wantYear   string
		wantDate   string // "" for nil
		wantIssues []string
	}{
		{"raw date object", nil, "2025/2026", "2025-09-29", nil},
		{"formatted with time", [][]kv{date(nil, "29/09/2025 04:50")}, "2025/2026", "2025-09-29", nil},
		{"formatted date only", [][]kv{date(nil, "29/09/2025")}, "2025/2026", "2025-09-29", nil},
		{"formatted ISO", [][]kv{date(nil, "2025-09-29T04:50:00Z")}, "2025/2026", "2025-09-29", nil},
		{"raw wall time late on 31 July stays in July", [][]kv{date(dateRaw(2025, 7, 31, 23, 30), "31/07/2025 23:30")}, "2024/2025", "2025-07-31", nil},
		{"UK 31 July", [][]kv{date(nil, "31/07/2025")}, "2024/2025", "2025-07-31", nil},
		{"UK 1 August", [][]kv{date(nil, "01/08/2025")}, "2025/2026", "2025-08-01", nil},
		{"UK 1 January", [][]kv{date(nil, "01/01/2026")}, "2025/2026", "2026-01-01", nil},
		{"AU calendar 31 December", [][]kv{est(estAUCal), date(nil, "31/12/2025")}, "2025/2025", "2025-12-31", nil},
		{"AU calendar 1 January", [][]kv{est(estAUCal), date(nil, "01/01/2026")}, "2026/2026", "2026-01-01", nil},
		{"AU calendar 1 August", [][]kv{est(estAUCal), date(nil, "01/08/2025")}, "2025/2025", "2025-08-01", nil},
		{"AU standard year true: UK rule", [][]kv{est(estAUStd), date(nil, "01/08/2025")}, "2025/2026", "2025-08-01", nil},
		{"AU standard year empty: UK rule", [][]kv{est(estAUNull), date(nil, "31/07/2025")}, "2024/2025", "2025-07-31", nil},
		{"no date: first seen (10 March 2025)", [][]kv{date(nil, nil)}, "2024/2025", "", nil},
		{"empty date: first seen", [][]kv{date("", "")}, "2024/2025", "", nil},
		{"no date, AU calendar: first seen", [][]kv{est(estAUCal), date(nil, nil)}, "2025/2025", "", nil},
		{
			"unparseable date: reported, then first seen",
			[][]kv{date(nil, "31/02/2025")}, "2024/2025", "",
			[]string{"bad_date field_855 31/02/2025"},
		},
		{
			"unknown establishment: UK rule",
			[][]kv{est(estGone), date(nil, "01/08/2025")}, "2025/2026", "2025-08-01",
			[]string{"unknown_establishment field_133 " + estGone},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, issues, ok := ProjectObject10(resultRecord(t, resultA, tt.fields...), testContext())
			if !ok {
				t.Fatalf("not ok; issues %v", issueKeys(issues))
			}
			if diff := cmp.Diff(tt.wantYear, rows.Student.AcademicYear); diff != "" {
				t.Errorf("academic year mismatch (-want +got):\n%s", diff)
			}
			gotDate := ""
			if d := rows.Student.CompletionDate; d != nil {
				gotDate = d.Format("2006-01-02")
			}
			if diff := cmp.Diff(tt.wantDate, gotDate); diff != "" {
				t.Errorf("completion date mismatch (-want +got):\n%s", diff)
			}
			for _, s := range rows.Scores {
				if s.AcademicYear != tt.wantYear {
					t.Errorf("cycle %d year = %q, want %q", s.Cycle, s.AcademicYear, tt.wantYear)
				}
				if diff := cmp.Diff(rows.Student.CompletionDate, s.CompletionDate); diff != "" {
					t.Errorf("cycle %d completion date mismatch (-student +score):\n%s", s.Cycle, diff)
				}
			}
			if diff := cmp.Diff(tt.wantIssues, issueKeys(issues)); diff != "" {
				t.Errorf("issues mismatch (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("no date: the year of FirstSeen, never of the clock", func(t *testing.T) {
		t.Parallel()
		ctx := testContext()
		ctx.FirstSeen = time.Date(1999, 8, 1, 0, 30, 0, 0, time.UTC)
		rows, _, ok := ProjectObject10(resultRecord(t, resultA, date(nil, nil)), ctx)
		if !ok || rows.Student.AcademicYear != "1999/2000" {
			t.Errorf("year = %q, ok %v; want 1999/2000 from FirstSeen", rows.Student.AcademicYear, ok)
		}
		ctx.FirstSeen = time.Time{}
		_, issues, ok := ProjectObject10(resultRecord(t, resultA, date(nil, nil)), ctx)
		if ok {
			t.Errorf("ok with neither a date nor FirstSeen")
		}
		if diff := cmp.Diff([]string{"bad_date field_855 "}, issueKeys(issues)); diff != "" {
			t.Errorf("issues mismatch (-want +got):\n%s", diff)
		}
	})
}

// scoresOf lays values over the six score fields of a cycle (1..3); nil
// leaves a field out.
func scoresOf(cycle int, values ...any) []kv {
	var out []kv
	for k, v := range values {
		if v != nil {
			out = append(out, raw(Object10.Scores[cycle-1][k], v))
		}
	}
	return out
}

func comment(f Field, text string) []kv { return kvs(raw(f, text), fmtd(f, text)) }

func TestProjectObject10Cycles(t *testing.T) {
	t.Parallel()
	f := Object10
	current := func(v any) []kv { return kvs(raw(f.CurrentCycle, v), fmtd(f.CurrentCycle, v)) }
	tests := []struct {
		name         string
		fields       [][]kv
		wantCycles   []int
		wantComments []string // "type cycle"
		wantIssues   []string
	}{
		{"cycle 1 only", nil, []int{1}, nil, nil},
		{
			"all three cycles",
			[][]kv{current(3), scoresOf(2, 5, 5, 5, 5, 5, 5), scoresOf(3, 6, 6, 6, 6, 6, 6)},
			[]int{1, 2, 3}, nil, nil,
		},
		{
			"keep-and-refresh: field_146 back to 1, stale cycle 2 and 3 values not taken",
			[][]kv{
				current(1), scoresOf(2, 5, 5, 5, 5, 5, 5), scoresOf(3, 6, 6, 6, 6, 6, 6),
				comment(f.RRC[0], "New year reflection"), comment(f.RRC[1], "Last year's cycle 2"), comment(f.Goal[2], "Last year's goal"),
			},
			[]int{1}, []string{"rrc 1"}, nil,
		},
		{
			"current cycle 2: cycle 3 ignored",
			[][]kv{current("2"), scoresOf(2, 5, 5, 5, 5, 5, 5), scoresOf(3, 6, 6, 6, 6, 6, 6)},
			[]int{1, 2}, nil, nil,
		},
		{
			"a cycle with one score only",
			[][]kv{current(2), scoresOf(2, nil, nil, nil, nil, nil, 7)},
			[]int{1, 2}, nil, nil,
		},
		{
			"an empty middle cycle is no row",
			[][]kv{current(3), scoresOf(2, "", "", "", "", "", ""), scoresOf(3, 4, 4, 4, 4, 4, 4)},
			[]int{1, 3}, nil, nil,
		},
		{
			"no current cycle: every cycle with values",
			[][]kv{absent(f.CurrentCycle), scoresOf(3, 4, 4, 4, 4, 4, 4)},
			[]int{1, 3}, nil, nil,
		},
		{
			"current cycle 0: reported, every cycle taken",
			[][]kv{current(0), scoresOf(2, 4, 4, 4, 4, 4, 4)},
			[]int{1, 2}, nil, []string{"bad_value field_146 0"},
		},
		{
			"current cycle text: reported, every cycle taken",
			[][]kv{current("two"), scoresOf(2, 4, 4, 4, 4, 4, 4)},
			[]int{1, 2}, nil, []string{"bad_value field_146 two"},
		},
		{
			"no scores at all: student only",
			[][]kv{scoresOf(1, "", "", "", "", "", "")},
			nil, nil, nil,
		},
		// Rule 6: a cycle row needs at least one valid score.
		{
			"an out-of-range score alone makes no cycle, and is reported",
			[][]kv{current(2), scoresOf(2, nil, nil, nil, nil, nil, 20879)},
			[]int{1}, nil, []string{"score_out_of_range field_166 20879"},
		},
		{
			"text scores alone make no cycle",
			[][]kv{current(2), scoresOf(2, "seven", nil, nil, nil, nil, nil)},
			[]int{1}, nil, []string{"score_out_of_range field_161 seven"},
		},
		{
			"one valid score among invalid ones makes the cycle",
			[][]kv{current(2), scoresOf(2, 11, nil, nil, nil, nil, 4)},
			[]int{1, 2}, nil, []string{"score_out_of_range field_161 11"},
		},
		{
			"comments above field_146 skipped with the scores",
			[][]kv{current(1), scoresOf(2, 5, 5, 5, 5, 5, 5), comment(f.Goal[1], "Last year's goal"), comment(f.RRC[2], "Last year's review")},
			[]int{1}, nil, nil,
		},
		{
			"comments per cycle, blank ones skipped",
			[][]kv{
				current(2), scoresOf(2, 5, 5, 5, 5, 5, 5),
				comment(f.RRC[0], "Went well"), comment(f.Goal[0], "Plan weekly"),
				comment(f.RRC[1], "  "), comment(f.Goal[1], "Revise <b>daily</b>"),
			},
			[]int{1, 2}, []string{"rrc 1", "goal 1", "goal 2"}, nil,
		},
		{
			"comments without scores still count",
			[][]kv{current(2), comment(f.Goal[1], "Keep going")},
			[]int{1}, []string{"goal 2"}, nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, issues, ok := ProjectObject10(resultRecord(t, resultA, tt.fields...), testContext())
			if !ok {
				t.Fatalf("not ok; issues %v", issueKeys(issues))
			}
			var cycles []int
			for _, s := range rows.Scores {
				cycles = append(cycles, s.Cycle)
			}
			if diff := cmp.Diff(tt.wantCycles, cycles); diff != "" {
				t.Errorf("cycles mismatch (-want +got):\n%s", diff)
			}
			var comments []string
			for _, c := range rows.Comments {
				comments = append(comments, c.Type+" "+string(rune('0'+c.Cycle)))
				if c.Email != rows.Student.Email || c.AcademicYear != rows.Student.AcademicYear {
					t.Errorf("comment %+v does not carry the student's key", c)
				}
			}
			if diff := cmp.Diff(tt.wantComments, comments); diff != "" {
				t.Errorf("comments mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantIssues, issueKeys(issues)); diff != "" {
				t.Errorf("issues mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProjectObject10CommentText(t *testing.T) {
	t.Parallel()
	f := Object10
	rec := resultRecord(t, resultA,
		kvs(raw(f.RRC[0], "Line one\u0000 and caf\u00e9 <b>kept</b>"), fmtd(f.RRC[0], "ignored")),
		kvs(kv{f.Goal[0].Key + "_raw", json.RawMessage("\"bad \xff byte\"")}),
	)
	rows, _, _ := ProjectObject10(rec, testContext())
	want := []CommentRow{
		{Email: "sam.jones@northfield.example", AcademicYear: "2025/2026", Cycle: 1, Type: CommentRRC, Text: "Line one and café <b>kept</b>", FieldKey: f.RRC[0].Key},
		{Email: "sam.jones@northfield.example", AcademicYear: "2025/2026", Cycle: 1, Type: CommentGoal, Text: "bad  byte", FieldKey: f.Goal[0].Key},
	}
	if diff := cmp.Diff(want, rows.Comments); diff != "" {
		t.Errorf("comments mismatch (-want +got):\n%s", diff)
	}
}

func TestProjectObject10Scores(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		values     []any
		want       [6]*int
		wantIssues []string
	}{
		{"integers", []any{0, 10, 5, 7, 3, 1}, [6]*int{ptr(0), ptr(10), ptr(5), ptr(7), ptr(3), ptr(1)}, nil},
		{"numeric strings", []any{"7", "7.0", " 7 ", 7.0, "6", "5"}, [6]*int{ptr(7), ptr(7), ptr(7), ptr(7), ptr(6), ptr(5)}, nil},
		{
			"non-integral rounded half up and reported",
			[]any{6.5, "6.5", 6.4, "9.5", 0.5, 7},
			[6]*int{ptr(7), ptr(7), ptr(6), ptr(10), ptr(1), ptr(7)},
			[]string{
				"score_rounded field_155 6.5", "score_rounded field_156 6.5", "score_rounded field_157 6.4",
				"score_rounded field_158 9.5", "score_rounded field_159 0.5",
			},
		},
		{
			"out of range: NULL, reported, row kept",
			[]any{11, 5, -1, "12", 5, 20879},
			[6]*int{nil, ptr(5), nil, nil, ptr(5), nil},
			[]string{
				"score_out_of_range field_155 11", "score_out_of_range field_157 -1",
				"score_out_of_range field_158 12", "score_out_of_range field_160 20879",
			},
		},
		// Rule 7: round half up first (reported), then range-check.
		{
			"rounded, then range-checked",
			[]any{10.4, 10.5, -0.4, -0.5, "10.49", 9.5},
			[6]*int{ptr(10), nil, ptr(0), ptr(0), ptr(10), ptr(10)},
			[]string{
				"score_rounded field_155 10.4",
				"score_rounded field_156 10.5", "score_out_of_range field_156 10.5",
				"score_rounded field_157 -0.4",
				"score_rounded field_158 -0.5",
				"score_rounded field_159 10.49",
				"score_rounded field_160 9.5",
			},
		},
		{
			"empty and null are NULL without an issue",
			[]any{"", nil, 5, 5, 5, 5},
			[6]*int{nil, nil, ptr(5), ptr(5), ptr(5), ptr(5)},
			nil,
		},
		{
			"text is NULL and reported",
			[]any{"seven", 5, 5, 5, 5, 5},
			[6]*int{nil, ptr(5), ptr(5), ptr(5), ptr(5), ptr(5)},
			[]string{"score_out_of_range field_155 seven"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fields := append(absentScores(1), scoresOf(1, tt.values...)...)
			rows, issues, ok := ProjectObject10(resultRecord(t, resultA, fields), testContext())
			if !ok || len(rows.Scores) != 1 {
				t.Fatalf("ok %v, %d score rows; want one", ok, len(rows.Scores))
			}
			if diff := cmp.Diff(tt.want, rows.Scores[0].Scores); diff != "" {
				t.Errorf("scores mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantIssues, issueKeys(issues)); diff != "" {
				t.Errorf("issues mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func absentScores(cycle int) []kv {
	var out []kv
	for _, sf := range Object10.Scores[cycle-1] {
		out = append(out, absent(sf)...)
	}
	return out
}

func TestProjectObject10Establishment(t *testing.T) {
	t.Parallel()
	f := Object10
	tests := []struct {
		name       string
		fields     []kv
		want       string
		wantIssues []string
	}{
		{"known", kvs(raw(f.Establishment, connRaw(estUK))), estUK, nil},
		{"formatted span only", append(absent(f.Establishment), fmtd(f.Establishment, `<span class="`+estAUCal+`">Coastal College</span>`)), estAUCal, nil},
		{"first known of several", kvs(raw(f.Establishment, connRaw(estGone, estUK))), estUK, nil},
		{"unknown: stored without, reported", kvs(raw(f.Establishment, connRaw(estGone))), "", []string{"unknown_establishment field_133 " + estGone}},
		{"empty: stored without, reported", append(absent(f.Establishment), raw(f.Establishment, []string{})), "", []string{"unknown_establishment field_133 "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, issues, ok := ProjectObject10(resultRecord(t, resultA, tt.fields), testContext())
			if !ok {
				t.Fatal("student not stored")
			}
			if diff := cmp.Diff(tt.want, rows.Student.EstablishmentKnackID); diff != "" {
				t.Errorf("establishment mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantIssues, issueKeys(issues)); diff != "" {
				t.Errorf("issues mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProjectObject10StudentFields(t *testing.T) {
	t.Parallel()
	f := Object10
	rec := resultRecord(t, resultA,
		kvs(raw(f.Gender, []any{nil}), fmtd(f.Gender, "")),
		kvs(raw(f.Name, map[string]string{"first": "Sam", "last": "Jones", "full": "Samantha Jones"})),
		kvs(raw(f.YearGroup, 13)),
	)
	rows, issues, ok := ProjectObject10(rec, testContext())
	if !ok || len(issues) > 0 {
		t.Fatalf("ok %v, issues %v", ok, issueKeys(issues))
	}
	want := StudentRow{
		KnackID:              resultA,
		Email:                "sam.jones@northfield.example",
		AcademicYear:         "2025/2026",
		Name:                 "Samantha Jones",
		EstablishmentKnackID: estUK,
		YearGroup:            "13",
		Course:               "A Level",
		Faculty:              "Sixth Form",
		Group:                "12B",
		Gender:               "",
		CompletionDate:       civil(2025, 9, 29),
		// Rule 5 ranks by the time of day Knack gives: "29/09/2025 04:50".
		CompletedAt: ptr(time.Date(2025, 9, 29, 4, 50, 0, 0, time.UTC)),
		LastCycle:   1, // field_146 of the fixture
	}
	if diff := cmp.Diff(want, rows.Student); diff != "" {
		t.Errorf("student mismatch (-want +got):\n%s", diff)
	}
}

func BenchmarkProjectObject10(b *testing.B) {
	rec := resultRecord(b, resultA, scoresOf(2, 5, 5, 5, 5, 5, 5), kvs(raw(Object10.CurrentCycle, 2)))
	ctx := testContext()
	b.ReportAllocs()
	for b.Loop() {
		ProjectObject10(rec, ctx)
	}
}
