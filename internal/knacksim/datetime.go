package knacksim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

func renderDate(f Field, v any) (json.RawMessage, json.RawMessage, error) {
	if isBlank(v) {
		return emptyString, emptyString, nil
	}
	from, to, allDay, err := parseDateWrite(v)
	if err != nil {
		return nil, nil, invalid(f, "must be a date ("+err.Error()+")")
	}
	dateFmt, _ := f.Format["date_format"].(string)
	timeFmt, _ := f.Format["time_format"].(string)
	raw := appendDateRaw(nil, from, dateFmt)
	if to != nil {
		raw = raw[:len(raw)-1]
		raw = append(raw, `,"to":`...)
		raw = appendDateRaw(raw, *to, dateFmt)
		raw = append(raw, '}')
	}
	if allDay != nil {
		raw = raw[:len(raw)-1]
		raw = append(raw, `,"all_day":`...)
		raw = strconv.AppendBool(raw, *allDay)
		raw = append(raw, '}')
	}
	shown := formatDateTime(from, dateFmt, timeFmt, true)
	if to != nil {
		sameDay := to.t.Year() == from.t.Year() && to.t.YearDay() == from.t.YearDay()
		shown += " to " + formatDateTime(*to, dateFmt, timeFmt, !sameDay || !to.hasTime)
	}
	return jsonString(shown), raw, nil
}

// wall is a wall-clock date and time in the app's timezone, kept as a UTC
// time.Time (Knack labels local wall time as UTC in its timestamps).
type wall struct {
	t       time.Time
	hasTime bool
}

// appendDateRaw writes Knack's raw date object (docs/knack-api.md §4).
func appendDateRaw(dst []byte, w wall, dateFmt string) []byte {
	t := w.t
	h12 := t.Hour() % 12
	if h12 == 0 {
		h12 = 12
	}
	ampm := "AM"
	if t.Hour() >= 12 {
		ampm = "PM"
	}
	minutes := t.Hour()*60 + t.Minute()
	if !w.hasTime {
		// A date-only value says 12:00 AM and midnight, yet "time": 720
		// (noon): recorded from real Knack output, kept as is.
		minutes = 720
	}
	date := t.Format("01/02/2006")
	dst = append(dst, `{"date":"`...)
	dst = append(dst, date...)
	dst = append(dst, `","date_formatted":"`...)
	dst = append(dst, formatDate(t, dateFmt)...)
	dst = append(dst, `","hours":"`...)
	dst = append(dst, fmt.Sprintf("%02d", h12)...)
	dst = append(dst, `","minutes":"`...)
	dst = append(dst, fmt.Sprintf("%02d", t.Minute())...)
	dst = append(dst, `","am_pm":"`...)
	dst = append(dst, ampm...)
	dst = append(dst, `","unix_timestamp":`...)
	dst = strconv.AppendInt(dst, t.UnixMilli(), 10)
	dst = append(dst, `,"iso_timestamp":"`...)
	dst = append(dst, t.Format("2006-01-02T15:04:05.000Z")...)
	dst = append(dst, `","timestamp":"`...)
	dst = append(dst, date...)
	dst = append(dst, ' ')
	dst = append(dst, fmt.Sprintf("%02d:%02d %s", h12, t.Minute(), strings.ToLower(ampm))...)
	dst = append(dst, `","time":`...)
	dst = strconv.AppendInt(dst, int64(minutes), 10)
	return append(dst, '}')
}

// formatDate writes the date part per a field's date_format.
func formatDate(t time.Time, dateFmt string) string {
	switch strings.ToLower(dateFmt) {
	case "dd/mm/yyyy":
		return t.Format("02/01/2006")
	case "m d, yyyy":
		return t.Format("Jan 2, 2006")
	case "yyyy-mm-dd":
		return t.Format("2006-01-02")
	case "yyyy/mm/dd":
		return t.Format("2006/01/02")
	default: // "mm/dd/yyyy"
		return t.Format("01/02/2006")
	}
}

// formatDateTime is the display form of a date for field_N.
func formatDateTime(w wall, dateFmt, timeFmt string, withDate bool) string {
	var parts []string
	if withDate && !strings.EqualFold(dateFmt, "Ignore Date") {
		parts = append(parts, formatDate(w.t, dateFmt))
	}
	if w.hasTime && !strings.EqualFold(timeFmt, "Ignore Time") {
		if strings.Contains(timeFmt, "military") {
			parts = append(parts, w.t.Format("15:04"))
		} else {
			parts = append(parts, w.t.Format("3:04pm"))
		}
	}
	return strings.Join(parts, " ")
}

// timeOnlyDate is the placeholder date Knack gives a time without a date.
var timeOnlyDate = time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC)

var dateLayouts = []string{"1/2/2006", "2006-01-02"}

var timeLayouts = []string{"15:04", "3:04pm", "3:04 pm", "3pm", "3 pm", "15:04:05", "3:04:05pm", "3:04:05 pm"}

// parseDateString reads a date written as text: MM/DD/YYYY with an optional
// time (h:mm am or HH:mm), a time alone, or ISO 8601 (wall clock as is).
func parseDateString(s string) (wall, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return wall{}, fmt.Errorf("empty")
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02t15:04:05z07:00", "2006-01-02t15:04:05", "2006-01-02t15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, strings.ToUpper(s)); err == nil {
			return wallOf(t, true), nil
		}
		if t, err := time.Parse(layout, s); err == nil {
			return wallOf(t, true), nil
		}
	}
	datePart, timePart, _ := strings.Cut(s, " ")
	for _, dl := range dateLayouts {
		d, err := time.Parse(dl, datePart)
		if err != nil {
			continue
		}
		timePart = strings.TrimSpace(timePart)
		if timePart == "" {
			return wall{t: d}, nil
		}
		tm, ok := parseClock(timePart)
		if !ok {
			return wall{}, fmt.Errorf("bad time %q", timePart)
		}
		return wall{t: d.Add(tm), hasTime: true}, nil
	}
	if tm, ok := parseClock(s); ok {
		return wall{t: timeOnlyDate.Add(tm), hasTime: true}, nil
	}
	return wall{}, fmt.Errorf("unrecognised date %q", s)
}

// parseClock reads a time of day.
func parseClock(s string) (time.Duration, bool) {
	for _, tl := range timeLayouts {
		if t, err := time.Parse(tl, s); err == nil {
			return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second, true
		}
	}
	return 0, false
}

func wallOf(t time.Time, hasTime bool) wall {
	return wall{t: time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC), hasTime: hasTime}
}

// parseDateWrite reads any accepted date write value.
func parseDateWrite(v any) (from wall, to *wall, allDay *bool, err error) {
	switch x := v.(type) {
	case time.Time:
		return wallOf(x, true), nil, nil, nil
	case string:
		from, err = parseDateString(x)
		return from, nil, nil, err
	case map[string]any:
		from, err = parseDateObject(x)
		if err != nil {
			return wall{}, nil, nil, err
		}
		if t, ok := x["to"].(map[string]any); ok {
			w, err := parseDateObject(t)
			if err != nil {
				return wall{}, nil, nil, fmt.Errorf("to: %w", err)
			}
			to = &w
		}
		if b, ok := x["all_day"].(bool); ok {
			allDay = &b
		}
		return from, to, allDay, nil
	}
	return wall{}, nil, nil, fmt.Errorf("unsupported value")
}

// parseDateObject reads a raw-like date object.
func parseDateObject(m map[string]any) (wall, error) {
	date, _ := m["date"].(string)
	if date == "" {
		if iso, ok := m["iso_timestamp"].(string); ok {
			return parseDateString(iso)
		}
		if ms, ok := toFloat(m["unix_timestamp"]); ok {
			return wallOf(time.UnixMilli(int64(ms)).UTC(), true), nil
		}
		return wall{}, fmt.Errorf("no date")
	}
	w, err := parseDateString(date)
	if err != nil {
		return wall{}, err
	}
	hs, hasHours := scalarText(m["hours"])
	if !hasHours || strings.TrimSpace(hs) == "" {
		return w, nil
	}
	h, err := strconv.Atoi(strings.TrimSpace(hs))
	if err != nil || h < 0 || h > 23 {
		return wall{}, fmt.Errorf("bad hours %q", hs)
	}
	mi := 0
	if ms, ok := scalarText(m["minutes"]); ok && strings.TrimSpace(ms) != "" {
		mi, err = strconv.Atoi(strings.TrimSpace(ms))
		if err != nil || mi < 0 || mi > 59 {
			return wall{}, fmt.Errorf("bad minutes %q", ms)
		}
	}
	if ampm, ok := m["am_pm"].(string); ok && ampm != "" {
		if h < 1 || h > 12 {
			return wall{}, fmt.Errorf("bad hours %q for am/pm", hs)
		}
		h %= 12
		if strings.EqualFold(ampm, "pm") {
			h += 12
		}
	}
	d := w.t
	return wall{t: time.Date(d.Year(), d.Month(), d.Day(), h, mi, 0, 0, time.UTC), hasTime: true}, nil
}
