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

func TestSupersedes(t *testing.T) {
	t.Parallel()
	const lo, hi = "64f000000000000000000a01", "64F000000000000000000B02"
	tests := []struct {
		name         string
		dateA, dateB *time.Time
		idA, idB     string
		want         bool
	}{
		{"later date", civil(2025, 10, 2), civil(2025, 10, 1), lo, hi, true},
		{"earlier date", civil(2025, 10, 1), civil(2025, 10, 2), hi, lo, false},
		{"tie, larger id (any case)", civil(2025, 10, 1), civil(2025, 10, 1), hi, lo, true},
		{"tie, smaller id", civil(2025, 10, 1), civil(2025, 10, 1), lo, hi, false},
		{"a date beats none", civil(2020, 1, 1), nil, lo, hi, true},
		{"none loses to a date", nil, civil(2020, 1, 1), hi, lo, false},
		{"no dates, larger id", nil, nil, hi, lo, true},
		{"longer id is larger", nil, nil, "1" + lo, "f" + lo[1:], true},
		{"same record", nil, nil, lo, lo, false},
	}
	for _, tt := range tests {
		if got := Supersedes(tt.dateA, tt.idA, tt.dateB, tt.idB); got != tt.want {
			t.Errorf("%s: Supersedes = %v, want %v", tt.name, got, tt.want)
		}
	}
}
