package vespa

import (
	"encoding/json"
	"regexp"
	"strconv"
	"testing"
	"time"

	"knacksync/internal/knack"
)

var labelRE = regexp.MustCompile(`^(\d{4})/(\d{4})$`)

// FuzzAcademicYear checks rule 3 for any date and any establishment: the
// date is read from formatted Knack text (as a completion date is) and also
// built from numbers in any time zone; the establishment's flags are read
// from raw Knack values by ProjectObject2. For each date the label is
// "YYYY/YYYY" and:
//   - calendar-year rule (Australian and use_standard_year explicitly
//     false): Y/Y where Y is the date's year;
//   - UK rule otherwise: Y/Y+1 from 1 August, Y-1/Y before it; the date
//     lies in [1 August of the first year, 1 August of the second);
//   - only the calendar date counts (not the time, zone or the
//     establishment's name), questionnaire rows agree (YearFor), and the
//     next day has the same label or the next one, only on 1 August (UK)
//     or 1 January (calendar).
func FuzzAcademicYear(f *testing.F) {
	f.Add("31/07/2025", 2025, 7, 31, 23, 0, `false`, `""`, "Northfield Academy")
	f.Add("01/08/2025", 2025, 8, 1, 0, -600, `true`, `false`, "Coastal College")
	f.Add("2025-12-31", 2025, 12, 31, 12, 840, `"Yes"`, `"No"`, "Coastal College")
	f.Add("01/01/2026", 2026, 1, 1, 0, 0, `true`, `true`, "Harbour High")
	f.Add("29/02/2024 04:50", 2024, 2, 29, 4, 60, `true`, `null`, "Ridge School")
	f.Add("not a date", 1900, 1, 1, 0, 0, `"maybe"`, `[]`, "<script>alert(1)</script>")
	f.Add("31/12/2199", 9997, 12, 31, 23, -840, `1`, `0`, "")
	f.Fuzz(func(t *testing.T, dateText string, year, month, day, hour, offsetMin int, auRaw, stdRaw, name string) {
		rec := knack.Record{ID: "5a1000000000000000000001", Fields: map[string]json.RawMessage{}}
		nameJSON, _ := json.Marshal(name)
		rec.Fields[Object2.Name.Key+"_raw"] = nameJSON
		for key, raw := range map[string]string{Object2.IsAustralian.Key: auRaw, Object2.UseStandardYear.Key: stdRaw} {
			if raw != "" {
				rec.Fields[key+"_raw"] = json.RawMessage(raw)
			}
		}
		row, _ := ProjectObject2(rec)
		est := row.Info()
		// The rule's choice, from the flags as Knack holds them.
		au, _ := knack.DecodeBool(rec, Object2.IsAustralian.Key)
		std, _ := knack.DecodeBool(rec, Object2.UseStandardYear.Key)
		calendar := au != nil && *au && std != nil && !*std

		var dates []time.Time
		dateRec := knack.Record{ID: rec.ID, Fields: map[string]json.RawMessage{}}
		dateRec.Fields["d"], _ = json.Marshal(dateText)
		if d, err := knack.DecodeDate(dateRec, "d"); err == nil && d != nil {
			dates = append(dates, *d)
		}
		zone := time.FixedZone("z", (mod(offsetMin, 28*60)-14*60)*60)
		dates = append(dates, time.Date(1001+mod(year, 8997), time.Month(1+mod(month, 12)), 1+mod(day, 31), mod(hour, 24), 30, 0, 0, zone))

		for _, d := range dates {
			checkAcademicYear(t, d, est, calendar)
		}
	})
}

func checkAcademicYear(t *testing.T, d time.Time, est EstablishmentInfo, calendar bool) {
	t.Helper()
	label := AcademicYear(d, est)
	m := labelRE.FindStringSubmatch(label)
	if m == nil {
		t.Fatalf("%s (%+v): label %q is not YYYY/YYYY", d, est, label)
	}
	from, _ := strconv.Atoi(m[1])
	to, _ := strconv.Atoi(m[2])
	y, month, day := d.Date()
	civilDay := time.Date(y, month, day, 0, 0, 0, 0, time.UTC)
	if calendar {
		if from != y || to != y {
			t.Fatalf("%s under the calendar-year rule: %s, want %d/%d", d, label, y, y)
		}
	} else {
		if to != from+1 {
			t.Fatalf("%s under the UK rule: %s does not span two years", d, label)
		}
		start := time.Date(from, time.August, 1, 0, 0, 0, 0, time.UTC)
		end := time.Date(to, time.August, 1, 0, 0, 0, 0, time.UTC)
		if civilDay.Before(start) || !civilDay.Before(end) {
			t.Fatalf("%s under the UK rule: %s, but the date is outside %s..%s", d, label, start.Format(time.DateOnly), end.Format(time.DateOnly))
		}
	}

	// Only the calendar date counts.
	renamed := est
	renamed.Name = "another name"
	for _, same := range []struct {
		d   time.Time
		est EstablishmentInfo
	}{
		{civilDay, est},
		{time.Date(y, month, day, 23, 59, 59, 999999999, time.FixedZone("far east", 14*3600)), est},
		{d, renamed},
	} {
		if got := AcademicYear(same.d, same.est); got != label {
			t.Fatalf("%s (%+v): %s, but %s (%+v) gives %s", d, est, label, same.d, same.est, got)
		}
	}
	q := Object29Rows{YearUK: AcademicYear(d, EstablishmentInfo{}), YearAU: AcademicYear(d, australianRule())}
	if got := q.YearFor(est); got != label {
		t.Fatalf("%s (%+v): questionnaire YearFor %s, want %s", d, est, got, label)
	}

	// The next day: the same year, or the next one on its first day.
	next := civilDay.AddDate(0, 0, 1)
	nextLabel := AcademicYear(next, est)
	nm := labelRE.FindStringSubmatch(nextLabel)
	if nm == nil {
		if next.Year() > 9998 {
			return // past the four-digit years
		}
		t.Fatalf("%s: label %q is not YYYY/YYYY", next, nextLabel)
	}
	nextFrom, _ := strconv.Atoi(nm[1])
	firstDay := (calendar && next.Month() == time.January && next.Day() == 1) ||
		(!calendar && next.Month() == time.August && next.Day() == 1)
	switch {
	case nextFrom == from && !firstDay:
	case nextFrom == from+1 && firstDay:
	default:
		t.Fatalf("%s is %s but the next day %s is %s", civilDay.Format(time.DateOnly), label, next.Format(time.DateOnly), nextLabel)
	}
}

// mod is n mod m in 0..m-1, for any n.
func mod(n, m int) int {
	r := n % m
	if r < 0 {
		r += m
	}
	return r
}
