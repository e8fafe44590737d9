package vespa

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A student re-uploaded in Knack (deleted and created again) has a new
// knack_id: the projection gives the same (email, year) key with the new id,
// and within one batch the newer record wins.
func TestProjectResultReupload(t *testing.T) {
	t.Parallel()
	ctx := testContext()
	old, _, _ := ProjectResult(resultRecord(t, resultA), ctx)
	reup, _, _ := ProjectResult(resultRecord(t, resultB), ctx)
	if old.Student.Email != reup.Student.Email || old.Student.AcademicYear != reup.Student.AcademicYear {
		t.Fatalf("keys differ: %s %s vs %s %s", old.Student.Email, old.Student.AcademicYear, reup.Student.Email, reup.Student.AcademicYear)
	}
	if reup.Student.KnackID != resultB {
		t.Errorf("knack id = %s, want %s", reup.Student.KnackID, resultB)
	}
	winners, losers := ResolveStudentDuplicates([]ResultRows{old, reup})
	if len(winners) != 1 || winners[0].Student.KnackID != resultB {
		t.Errorf("winners = %+v, want only %s", winners, resultB)
	}
	if diff := cmp.Diff([]string{"duplicate field_197 sam.jones@northfield.example"}, issueKeys(losers)); diff != "" {
		t.Errorf("losers mismatch (-want +got):\n%s", diff)
	}
	if losers[0].RecordID != resultA {
		t.Errorf("loser = %s, want %s", losers[0].RecordID, resultA)
	}
}

func TestResolveStudentDuplicates(t *testing.T) {
	t.Parallel()
	student := func(id, email, year string, date *time.Time) ResultRows {
		return ResultRows{Student: StudentRow{KnackID: id, Email: email, AcademicYear: year, CompletionDate: date}}
	}
	const a, b = "ann@x.example", "ben@x.example"
	tests := []struct {
		name        string
		batch       []ResultRows
		wantWinners []string
		wantLosers  []string // record ids
	}{
		{"no duplicates", []ResultRows{student(resultA, a, "2025/2026", nil), student(resultB, b, "2025/2026", nil)}, []string{resultA, resultB}, nil},
		{
			"later completion date wins",
			[]ResultRows{student(resultB, a, "2025/2026", civil(2025, 10, 1)), student(resultA, a, "2025/2026", civil(2025, 11, 1))},
			[]string{resultA}, []string{resultB},
		},
		{
			"tie: larger id wins",
			[]ResultRows{student(resultC, a, "2025/2026", civil(2025, 10, 1)), student(resultA, a, "2025/2026", civil(2025, 10, 1))},
			[]string{resultC}, []string{resultA},
		},
		{
			"a date beats no date",
			[]ResultRows{student(resultC, a, "2025/2026", nil), student(resultA, a, "2025/2026", civil(2025, 10, 1))},
			[]string{resultA}, []string{resultC},
		},
		{
			"no dates: larger id wins",
			[]ResultRows{student(resultB, a, "2025/2026", nil), student(resultA, a, "2025/2026", nil)},
			[]string{resultB}, []string{resultA},
		},
		{
			"other years are other students",
			[]ResultRows{student(resultA, a, "2024/2025", civil(2025, 3, 1)), student(resultB, a, "2025/2026", civil(2025, 10, 1))},
			[]string{resultA, resultB}, nil,
		},
		{
			"three records: two losers, both against the final winner",
			[]ResultRows{
				student(resultA, a, "2025/2026", civil(2025, 9, 1)),
				student(resultB, b, "2025/2026", nil),
				student(resultC, a, "2025/2026", civil(2025, 9, 2)),
				student("64f000000000000000000d04", a, "2025/2026", civil(2025, 9, 3)),
			},
			[]string{resultB, "64f000000000000000000d04"}, []string{resultA, resultC},
		},
		{
			"the same record twice: the later copy, no issue",
			[]ResultRows{student(resultA, a, "2025/2026", civil(2025, 9, 1)), student(resultA, a, "2025/2026", civil(2025, 9, 1))},
			[]string{resultA}, nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			winners, losers := ResolveStudentDuplicates(tt.batch)
			var got []string
			for _, w := range winners {
				got = append(got, w.Student.KnackID)
			}
			if diff := cmp.Diff(tt.wantWinners, got); diff != "" {
				t.Errorf("winners mismatch (-want +got):\n%s", diff)
			}
			var lost []string
			for _, l := range losers {
				lost = append(lost, l.RecordID)
				if l.Rule != RuleDuplicate || l.Object != Results.Object {
					t.Errorf("loser issue %+v", l)
				}
			}
			if diff := cmp.Diff(tt.wantLosers, lost); diff != "" {
				t.Errorf("losers mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
