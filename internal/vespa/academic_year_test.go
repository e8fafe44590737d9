package vespa

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAcademicYear(t *testing.T) {
	t.Parallel()
	uk := EstablishmentInfo{}
	auCal := EstablishmentInfo{IsAustralian: true, UseStandardYear: ptr(false)}
	auStd := EstablishmentInfo{IsAustralian: true, UseStandardYear: ptr(true)}
	auNull := EstablishmentInfo{IsAustralian: true}
	ukFalse := EstablishmentInfo{IsAustralian: false, UseStandardYear: ptr(false)}
	tests := []struct {
		name string
		date *time.Time
		est  EstablishmentInfo
		want string
	}{
		{"UK 31 July", civil(2025, 7, 31), uk, "2024/2025"},
		{"UK 1 August", civil(2025, 8, 1), uk, "2025/2026"},
		{"UK 31 December", civil(2025, 12, 31), uk, "2025/2026"},
		{"UK 1 January", civil(2026, 1, 1), uk, "2025/2026"},
		{"AU calendar 31 July", civil(2025, 7, 31), auCal, "2025/2025"},
		{"AU calendar 1 August", civil(2025, 8, 1), auCal, "2025/2025"},
		{"AU calendar 31 December", civil(2025, 12, 31), auCal, "2025/2025"},
		{"AU calendar 1 January", civil(2026, 1, 1), auCal, "2026/2026"},
		{"AU standard year true: UK", civil(2025, 8, 1), auStd, "2025/2026"},
		{"AU standard year empty: UK", civil(2025, 7, 31), auNull, "2024/2025"},
		{"not Australian, standard year false: UK", civil(2025, 7, 31), ukFalse, "2024/2025"},
		{"only the calendar date counts", ptr(time.Date(2025, 7, 31, 23, 59, 59, 0, time.FixedZone("x", -10*3600))), uk, "2024/2025"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, AcademicYear(*tt.date, tt.est)); diff != "" {
				t.Errorf("academic year mismatch (-want +got):\n%s", diff)
			}
			q := QuestionnaireRows{YearUK: AcademicYear(*tt.date, uk), YearAU: AcademicYear(*tt.date, auCal)}
			if diff := cmp.Diff(tt.want, q.YearFor(tt.est)); diff != "" {
				t.Errorf("questionnaire YearFor mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
