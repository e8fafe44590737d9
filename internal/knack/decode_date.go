package knack

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Dates outside these years are typing errors, not completions.
const (
	minYear = 1900
	maxYear = 2199
)

// DecodeDate reads a date field as a civil date: a time.Time at midnight UTC.
// Knack's raw date object comes first: its iso_timestamp is the app's local
// wall time labelled Z, so its calendar date is taken as it is (no time-zone
// conversion), else its "date" key (MM/DD/YYYY). Otherwise the formatted text
// is read day first (the VESPA app's date format): DD/MM/YYYY, optionally with
// a time HH:MM or HH:MM:SS and am/pm, or ISO 8601 (2025-09-29,
// 2025-09-29T04:50:00Z, whose calendar date is also taken as written). A raw
// string is read like the formatted text.
//
// An empty field gives (nil, nil). Text that is not a date gives a
// *ValueError matching ErrInvalidValue; the caller decides what to do, and
// must never substitute today's date (docs/mapping.md, rule 2).
func DecodeDate(r Record, key string) (*time.Time, error) {
	raw := r.Raw(key)
	switch jsonKind(raw) {
	case kindObject:
		if d, ok := dateFromObject(raw); ok {
			return &d, nil
		}
		// An object without a readable date: the formatted text may still
		// have one; if not, an object whose values are all empty is an
		// empty date, and any other is the offending value.
		if d, ok, err := dateFromText(r.Formatted(key), key); ok {
			return d, err
		}
		if emptyDateObject(raw) {
			return nil, nil
		}
		return nil, invalidValue(key, shown(raw), "not a date")
	case kindString:
		if !isBlank(raw) {
			d, _, err := dateFromText(raw, key)
			return d, err
		}
	case kindAbsent, kindNull, kindArray:
		if !isBlank(raw) {
			return nil, invalidValue(key, shown(raw), "not a date")
		}
	default:
		return nil, invalidValue(key, shown(raw), "not a date")
	}
	d, _, err := dateFromText(r.Formatted(key), key)
	return d, err
}

// dateFromText parses a formatted (or raw string) value. ok is false when
// the value is blank.
func dateFromText(b json.RawMessage, key string) (*time.Time, bool, error) {
	if isBlank(b) {
		return nil, false, nil
	}
	s, ok := valueText(b)
	if !ok {
		return nil, true, invalidValue(key, shown(b), "not a date")
	}
	d, ok := parseDateText(s)
	if !ok {
		return nil, true, invalidValue(key, s, "not a date")
	}
	return &d, true, nil
}

// dateFromObject reads Knack's raw date object.
func dateFromObject(b json.RawMessage) (time.Time, bool) {
	var o struct {
		ISO  json.RawMessage `json:"iso_timestamp"`
		Date json.RawMessage `json:"date"`
	}
	if json.Unmarshal(b, &o) != nil {
		return time.Time{}, false
	}
	if s, ok := jsonString(o.ISO); ok {
		if d, ok := parseISODate(strings.TrimSpace(s)); ok {
			return d, true
		}
	}
	if s, ok := jsonString(o.Date); ok {
		if m := slashDate.FindStringSubmatch(strings.TrimSpace(s)); m != nil && m[2] == m[4] && m[6] == "" {
			// The raw "date" key is month first, whatever the display format.
			return civilDate(m[5], m[1], m[3])
		}
	}
	return time.Time{}, false
}

// emptyDateObject reports whether a raw date object carries nothing at all:
// every value blank.
func emptyDateObject(b json.RawMessage) bool {
	var o map[string]json.RawMessage
	if json.Unmarshal(b, &o) != nil {
		return false
	}
	for _, v := range o {
		if !isBlank(v) {
			return false
		}
	}
	return true
}

var (
	// DD/MM/YYYY (also with - or .), then an optional time: HH:MM, HH:MM:SS,
	// am/pm with or without a space and dots.
	slashDate = regexp.MustCompile(`^(\d{1,2})([/.-])(\d{1,2})([/.-])(\d{4})` +
		`(?:(?:\s+|\s*,\s*|T)(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(?i:([ap])\.?m\.?)?)?$`)
	// ISO 8601: a date, optionally a time, fractional seconds and a zone.
	isoDate = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})` +
		`(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$`)
)

// parseDateText reads a formatted date: day first, or ISO 8601. A trailing
// range (" to ...") is ignored: the start is the date.
func parseDateText(s string) (time.Time, bool) {
	s = htmlText(s)
	if i := strings.Index(strings.ToLower(s), " to "); i > 0 {
		s = strings.TrimSpace(s[:i])
	}
	if d, ok := parseISODate(s); ok {
		return d, true
	}
	m := slashDate.FindStringSubmatch(s)
	// m: 1 day, 2 and 4 separators (the same twice), 3 month, 5 year,
	// 6 hour, 7 minute, 8 second, 9 a|p.
	if m == nil || m[2] != m[4] {
		return time.Time{}, false
	}
	if m[6] != "" && !validClock(m[6], m[7], m[8], m[9]) {
		return time.Time{}, false
	}
	return civilDate(m[5], m[3], m[1])
}

func parseISODate(s string) (time.Time, bool) {
	m := isoDate.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	if m[4] != "" && !validClock(m[4], m[5], m[6], "") {
		return time.Time{}, false
	}
	return civilDate(m[1], m[2], m[3])
}

func validClock(h, m, s, ampm string) bool {
	hh, _ := strconv.Atoi(h)
	mm, _ := strconv.Atoi(m)
	ss := 0
	if s != "" {
		ss, _ = strconv.Atoi(s)
	}
	maxHour := 23
	if ampm != "" {
		maxHour = 12
	}
	return hh <= maxHour && mm <= 59 && ss <= 59
}

// civilDate builds midnight UTC of a calendar date given as digits, rejecting
// dates that do not exist (31/02) rather than letting time.Date roll them
// over.
func civilDate(year, month, day string) (time.Time, bool) {
	y, err1 := strconv.Atoi(year)
	mo, err2 := strconv.Atoi(month)
	d, err3 := strconv.Atoi(day)
	if err1 != nil || err2 != nil || err3 != nil || y < minYear || y > maxYear {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || t.Month() != time.Month(mo) || t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}
