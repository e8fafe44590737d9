package vespa

import (
	"strconv"
	"time"
)

// AcademicYear is the label "YYYY/YYYY" of the academic year that a civil
// date falls in for an establishment (DOMAIN.md rule 3). UK rule: a date on
// or after 1 August of year Y belongs to Y/Y+1, an earlier one to Y-1/Y. The
// Australian rule, the calendar year Y/Y, applies only when the establishment
// is Australian and use_standard_year is explicitly false; an empty
// use_standard_year means the UK rule. Only the calendar date of d counts
// (its year, month and day as they read, whatever its location).
func AcademicYear(d time.Time, est EstablishmentInfo) string {
	y := d.Year()
	if calendarYear(est) {
		return label(y, y)
	}
	if d.Month() >= time.August {
		return label(y, y+1)
	}
	return label(y-1, y)
}

// calendarYear reports whether an establishment uses the Australian rule.
func calendarYear(est EstablishmentInfo) bool {
	return est.IsAustralian && est.UseStandardYear != nil && !*est.UseStandardYear
}

// australianRule is an EstablishmentInfo that selects the calendar-year
// rule (YearAU of questionnaire rows).
func australianRule() EstablishmentInfo {
	return EstablishmentInfo{IsAustralian: true, UseStandardYear: new(bool)}
}

func label(from, to int) string { return strconv.Itoa(from) + "/" + strconv.Itoa(to) }
