package vespa

import (
	"strconv"
	"strings"
	"time"
)

// AcademicYear is the label "YYYY/YYYY" of the academic year that a civil
// date falls in for an establishment (docs/mapping.md, rule 3). UK rule: a date on
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

// IsHistory reports whether rows of academic year label are history on
// today (rule 11): the year ended before today's date. A UK label Y/Y+1
// ends on 31 July Y+1, a calendar label Y/Y on 31 December Y; so a row is
// history exactly when its year is earlier than its establishment's
// current year, and a school that switches calendars keeps the year that
// was current before the switch out of history until it ends. An
// unreadable label is not history. The store applies the same test in SQL
// (knacksync.is_history, migration 00007).
func IsHistory(label string, today time.Time) bool {
	from, to, ok := strings.Cut(label, "/")
	y1, err1 := strconv.Atoi(from)
	y2, err2 := strconv.Atoi(to)
	if !ok || err1 != nil || err2 != nil {
		return false
	}
	end := time.Date(y2, time.July, 31, 0, 0, 0, 0, time.UTC)
	if y1 == y2 {
		end = time.Date(y1, time.December, 31, 0, 0, 0, 0, time.UTC)
	}
	y, m, d := today.Date()
	return end.Before(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}
