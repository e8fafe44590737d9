package vespa

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"knacksync/internal/knack"
)

const questA = "650000000000000000002901"

// question returns the answer field of a question id and cycle (1..3).
func question(t testing.TB, id string, cycle int) Field {
	t.Helper()
	for _, q := range Object29.Questions {
		if q.ID == id {
			return q.Cycles[cycle-1]
		}
	}
	t.Fatalf("no question %s", id)
	return Field{}
}

// questRecord is a clean object_29 record (email, linked result, completed
// 29/09/2025, q1 cycle 1 = 4) with extra fields laid over it.
func questRecord(t testing.TB, extra ...[]kv) knack.Record {
	t.Helper()
	f := Object29
	fields := []kv{
		raw(f.Email, emailRaw("sam.jones@northfield.example")),
		fmtd(f.Email, `<a href="mailto:sam.jones@northfield.example">sam.jones@northfield.example</a>`),
		raw(f.Result, connRaw(resultA)),
		raw(f.CompletionDate, dateRaw(2025, 9, 29, 10, 0)),
		fmtd(f.CompletionDate, "29/09/2025 10:00"),
		raw(question(t, "q1", 1), 4),
	}
	for _, e := range extra {
		fields = append(fields, e...)
	}
	return record(t, questA, fields...)
}

func TestProjectObject29Answers(t *testing.T) {
	t.Parallel()
	ans := func(id string, cycle int, v any) []kv { return kvs(raw(question(t, id, cycle), v)) }
	tests := []struct {
		name       string
		fields     [][]kv
		want       []Answer
		wantIssues []string
	}{
		{"one answer", nil, []Answer{{1, "q1", 4}}, nil},
		{
			"accepted shapes",
			[][]kv{ans("q2", 1, "3"), ans("q3", 1, 3.0), ans("q4", 1, " 5 "), ans("q5", 1, "1.0")},
			[]Answer{{1, "q1", 4}, {1, "q2", 3}, {1, "q3", 3}, {1, "q4", 5}, {1, "q5", 1}},
			nil,
		},
		{
			"all three cycles, map order",
			[][]kv{ans("q1", 3, 2), ans("q1", 2, 5), ans("outcome_q_confident", 1, 4), ans("q29_vision_grades", 2, 1)},
			[]Answer{{1, "q1", 4}, {2, "q1", 5}, {3, "q1", 2}, {2, "q29_vision_grades", 1}, {1, "outcome_q_confident", 4}},
			nil,
		},
		{
			"out of range and text skipped, one issue for the record",
			[][]kv{ans("q2", 1, 0), ans("q3", 1, 6), ans("q29_vision_grades", 1, 50), ans("q4", 1, "often"), ans("q5", 1, 2.5)},
			[]Answer{{1, "q1", 4}},
			[]string{`bad_answer  field_1954="0"; field_1959="6"; field_1962="often"; field_1965="2.5"; field_2927="50"`},
		},
		{
			"empty answers are no answers, not issues",
			[][]kv{ans("q2", 1, ""), ans("q3", 2, nil), kvs(raw(question(t, "q4", 1), []any{nil}))},
			[]Answer{{1, "q1", 4}},
			nil,
		},
		{
			"no answers at all: rows without answers",
			[][]kv{absent(question(t, "q1", 1))},
			nil, nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, issues, ok := ProjectObject29(questRecord(t, tt.fields...), testContext())
			if !ok {
				t.Fatalf("not ok; issues %v", issueKeys(issues))
			}
			if diff := cmp.Diff(tt.want, rows.Answers); diff != "" {
				t.Errorf("answers mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantIssues, issueKeys(issues)); diff != "" {
				t.Errorf("issues mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProjectObject29Link(t *testing.T) {
	t.Parallel()
	f := Object29
	tests := []struct {
		name       string
		fields     [][]kv
		wantEmail  string
		wantResult string
		wantOK     bool
		wantIssues []string
	}{
		{"email and result", nil, "sam.jones@northfield.example", resultA, true, nil},
		{
			"HTML mixed-case email only",
			[][]kv{absent(f.Email), absent(f.Result), kvs(fmtd(f.Email, `<a href="mailto:Sam.Jones@Northfield.Example">Sam</a>`))},
			"Sam.Jones@Northfield.Example", "", true, nil, // as given (rule 1); the store compares case-insensitively
		},
		{
			"linkable only through field_792",
			[][]kv{absent(f.Email)},
			"", resultA, true, nil,
		},
		{
			"field_792 as a formatted span only",
			[][]kv{absent(f.Email), absent(f.Result), kvs(fmtd(f.Result, `<span class="`+resultB+`">sam</span>`))},
			"", resultB, true, nil,
		},
		{
			"invalid email, field_792 links",
			[][]kv{absent(f.Email), kvs(raw(f.Email, emailRaw("sam at school")))},
			"", resultA, true, []string{"bad_email field_2732 sam at school"},
		},
		{
			"neither: reported, no rows",
			[][]kv{absent(f.Email), absent(f.Result), kvs(raw(f.Result, []string{}))},
			"", "", false, []string{"unlinked_answer field_2732 "},
		},
		{
			"invalid email and no field_792: both reported, no rows",
			[][]kv{absent(f.Email), absent(f.Result), kvs(raw(f.Email, "nobody"))},
			"", "", false, []string{"bad_email field_2732 nobody", "unlinked_answer field_2732 "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, issues, ok := ProjectObject29(questRecord(t, tt.fields...), testContext())
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.wantEmail, rows.Email); diff != "" {
				t.Errorf("email mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantResult, rows.ResultKnackID); diff != "" {
				t.Errorf("result id mismatch (-want +got):\n%s", diff)
			}
			if ok && rows.RecordID != questA {
				t.Errorf("record id = %q, want %q", rows.RecordID, questA)
			}
			if diff := cmp.Diff(tt.wantIssues, issueKeys(issues)); diff != "" {
				t.Errorf("issues mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProjectObject29Years(t *testing.T) {
	t.Parallel()
	f := Object29
	date := func(fmtV string) [][]kv { return [][]kv{absent(f.CompletionDate), kvs(fmtd(f.CompletionDate, fmtV))} }
	tests := []struct {
		name       string
		fields     [][]kv
		wantUK     string
		wantAU     string
		wantDate   string
		wantIssues []string
	}{
		{"raw date object", nil, "2025/2026", "2025/2025", "2025-09-29", nil},
		{"31 July", date("31/07/2025 23:59"), "2024/2025", "2025/2025", "2025-07-31", nil},
		{"1 August", date("01/08/2025"), "2025/2026", "2025/2025", "2025-08-01", nil},
		{"1 January", date("01/01/2026"), "2025/2026", "2026/2026", "2026-01-01", nil},
		{"no date: first seen", [][]kv{absent(f.CompletionDate)}, "2024/2025", "2025/2025", "", nil},
		{"unparseable: reported, first seen", date("sometime"), "2024/2025", "2025/2025", "", []string{"bad_date field_856 sometime"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, issues, ok := ProjectObject29(questRecord(t, tt.fields...), testContext())
			if !ok {
				t.Fatalf("not ok; issues %v", issueKeys(issues))
			}
			gotDate := ""
			if rows.CompletionDate != nil {
				gotDate = rows.CompletionDate.Format("2006-01-02")
			}
			got := []string{rows.YearUK, rows.YearAU, gotDate}
			if diff := cmp.Diff([]string{tt.wantUK, tt.wantAU, tt.wantDate}, got); diff != "" {
				t.Errorf("years and date mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantIssues, issueKeys(issues)); diff != "" {
				t.Errorf("issues mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Answers and scores of one enrolment share a year: an object_29 record and
// the object_10 record it belongs to, completed on the same day at an
// Australian calendar-year school, give the same label.
func TestQuestionnaireYearMatchesResult(t *testing.T) {
	t.Parallel()
	ctx := testContext()
	res, _, _ := ProjectObject10(resultRecord(t, resultA, kvs(raw(Object10.Establishment, connRaw(estAUCal)))), ctx)
	q, _, _ := ProjectObject29(questRecord(t), ctx)
	year := q.YearFor(ctx.Establishments[res.Student.EstablishmentKnackID])
	if year != res.Student.AcademicYear || year != "2025/2025" {
		t.Errorf("answers in %s, scores in %s", year, res.Student.AcademicYear)
	}
}

// BenchmarkProjectObject29 measures a full object_29 record (96 answer
// fields): the live app has about 40,000 of them.
func BenchmarkProjectObject29(b *testing.B) {
	var fields [][]kv
	for _, q := range Object29.Questions {
		for c, f := range q.Cycles {
			fields = append(fields, kvs(raw(f, (c+len(q.ID))%5+1), fmtd(f, (c+len(q.ID))%5+1)))
		}
	}
	rec := questRecord(b, fields...)
	ctx := testContext()
	b.ReportAllocs()
	for b.Loop() {
		ProjectObject29(rec, ctx)
	}
}
