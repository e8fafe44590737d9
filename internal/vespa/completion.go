package vespa

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"

	"knacksync/internal/knack"
)

// completedAt is the completion timestamp that ranks duplicate records
// (rule 5): the calendar date d with the time of day Knack gives with it,
// read from the raw date object's iso_timestamp (the app's wall clock
// labelled Z) or from a formatted "DD/MM/YYYY HH:MM[:SS] [am|pm]". A date
// alone, or a time that belongs to another date, counts as 00:00. nil when
// d is nil.
func completedAt(rec knack.Record, f Field, d *time.Time) *time.Time {
	if d == nil {
		return nil
	}
	at := *d
	if h, m, s, ok := timeOfDay(rec, f, *d); ok {
		at = time.Date(d.Year(), d.Month(), d.Day(), h, m, s, 0, time.UTC)
	}
	return &at
}

var (
	isoClock  = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?`)
	textClock = regexp.MustCompile(`^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:\s+|\s*,\s*|T)(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(?i:([ap])\.?m\.?)?`)
)

func timeOfDay(rec knack.Record, f Field, d time.Time) (h, m, s int, ok bool) {
	raw := rec.Raw(f.Key)
	var obj struct {
		ISO string `json:"iso_timestamp"`
	}
	if json.Unmarshal(raw, &obj) == nil && obj.ISO != "" {
		if c := isoClock.FindStringSubmatch(strings.TrimSpace(obj.ISO)); c != nil && c[1] == d.Format("2006-01-02") {
			return clock(c[2], c[3], c[4], "")
		}
		return 0, 0, 0, false
	}
	for _, b := range []json.RawMessage{raw, rec.Formatted(f.Key)} {
		var text string
		if json.Unmarshal(b, &text) != nil {
			continue
		}
		text = strings.TrimSpace(text)
		if c := isoClock.FindStringSubmatch(text); c != nil && c[1] == d.Format("2006-01-02") {
			return clock(c[2], c[3], c[4], "")
		}
		// Day first, as knack.DecodeDate reads formatted dates.
		if c := textClock.FindStringSubmatch(text); c != nil {
			day, _ := strconv.Atoi(c[1])
			month, _ := strconv.Atoi(c[2])
			year, _ := strconv.Atoi(c[3])
			if day == d.Day() && time.Month(month) == d.Month() && year == d.Year() {
				return clock(c[4], c[5], c[6], c[7])
			}
		}
	}
	return 0, 0, 0, false
}

// clock reads hours, minutes, optional seconds and an optional a/p marker
// (12 am is 00, 12 pm is 12); ok is false for an impossible time.
func clock(hh, mm, ss, ampm string) (h, m, s int, ok bool) {
	h, _ = strconv.Atoi(hh)
	m, _ = strconv.Atoi(mm)
	if ss != "" {
		s, _ = strconv.Atoi(ss)
	}
	switch strings.ToLower(ampm) {
	case "a":
		if h < 1 || h > 12 {
			return 0, 0, 0, false
		}
		h %= 12
	case "p":
		if h < 1 || h > 12 {
			return 0, 0, 0, false
		}
		h = h%12 + 12
	}
	if h > 23 || m > 59 || s > 59 {
		return 0, 0, 0, false
	}
	return h, m, s, true
}

// completionDate reads a completion date (rule 2) and returns it (nil when
// absent or unparseable) and the date whose academic year the record takes:
// the completion date, else the day the service first saw the record
// (rule 4). ok is false when neither exists: that is a caller's bug (the
// context must carry FirstSeen), reported as a date issue rather than
// guessed from the clock.
func completionDate(rec knack.Record, f Field, ctx Context, is *issueList) (completed *time.Time, yearDate time.Time, ok bool) {
	d, err := knack.DecodeDate(rec, f.Key)
	if err != nil {
		is.addErr(RuleDate, f, err, "completion date cannot be read; academic year taken from when the record was first seen")
	}
	if d != nil {
		return d, *d, true
	}
	first, ok := firstSeenDate(ctx)
	if !ok {
		is.add(RuleDate, f, "", "no completion date and no first-seen time; record skipped")
		return nil, time.Time{}, false
	}
	return nil, first, true
}
