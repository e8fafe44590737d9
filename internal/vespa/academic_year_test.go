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
			q := Object29Rows{YearUK: AcademicYear(*tt.date, uk), YearAU: AcademicYear(*tt.date, auCal)}
			if diff := cmp.Diff(tt.want, q.YearFor(tt.est)); diff != "" {
				t.Errorf("questionnaire YearFor mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Rule 11: history is by the calendar: earlier than the establishment's
// current academic year on today's date.
func TestIsHistory(t *testing.T) {
	t.Parallel()
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 15, 0, 0, 0, time.UTC) }
	tests := []struct {
		label string
		today time.Time
		want  bool
	}{
		{"2024/2025", day(2025, 11, 20), true},  // UK: last year
		{"2025/2026", day(2025, 11, 20), false}, // UK: this year
		{"2024/2025", day(2025, 7, 31), false},  // its last day
		{"2024/2025", day(2025, 8, 1), true},    // the new UK year starts
		{"2025/2025", day(2025, 12, 31), false}, // calendar year: its last day
		{"2025/2025", day(2026, 1, 1), true},    // the next calendar year
		{"2025/2026", day(2026, 3, 1), false},   // UK year current after a switch to the calendar rule
		{"2026/2027", day(2025, 11, 20), false}, // a future year is not history
		{"garbage", day(2025, 11, 20), false},   // unreadable: not history
		{"2023/2024", day(2025, 11, 20), true},  // two years back
	}
	for _, tt := range tests {
		if got := IsHistory(tt.label, tt.today); got != tt.want {
			t.Errorf("IsHistory(%q, %s) = %v, want %v", tt.label, tt.today.Format("2006-01-02"), got, tt.want)
		}
	}
}
