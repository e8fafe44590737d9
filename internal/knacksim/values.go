package knacksim

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Readers of stored values, used by filters, sorts and connection
// identifiers. They take the JSON bytes of field_N_raw (raw) and field_N
// (formatted), either of which may be nil when the record lacks the key, and
// are lenient: records stored through Put may hold anything.

// unquote returns the string a JSON string literal holds.
func unquote(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' {
		return "", false
	}
	inner := b[1 : len(b)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), true
	}
	var s string
	if json.Unmarshal(b, &s) != nil {
		return "", false
	}
	return s, true
}

// blankJSON reports whether a stored value is empty.
func blankJSON(b []byte) bool {
	switch string(b) {
	case "", `""`, "[]", "null", "[null]", "{}":
		return true
	}
	return false
}

var tagRe = regexp.MustCompile(`<[^>]*>`)

// plainText is the text a value compares as: raw when it is a string or a
// number, the address of an email, the full name of a name, else the
// formatted value without HTML tags.
func plainText(typ string, raw, formatted []byte) string {
	if s, ok := unquote(raw); ok {
		return s
	}
	if len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		return string(raw)
	}
	if len(raw) > 0 && raw[0] == '{' {
		// Fast path for the common shapes {"email":"..."} and {...,"full":"..."}.
		key := ""
		switch typ {
		case "email":
			key = `"email":`
		case "name":
			key = `"full":`
		}
		if key != "" {
			if i := bytes.Index(raw, []byte(key)); i >= 0 {
				rest := raw[i+len(key):]
				if j := bytes.IndexByte(rest[min(1, len(rest)):], '"'); len(rest) > 0 && rest[0] == '"' && j >= 0 {
					if s, ok := unquote(rest[:j+2]); ok {
						return s
					}
				}
			}
		}
		var m map[string]any
		if json.Unmarshal(raw, &m) == nil {
			switch typ {
			case "email":
				if s, ok := m["email"].(string); ok {
					return s
				}
				if s, ok := m["address"].(string); ok {
					return s
				}
			case "name":
				if s, ok := m["full"].(string); ok {
					return s
				}
			}
		}
	}
	if s, ok := unquote(formatted); ok {
		if strings.IndexByte(s, '<') >= 0 {
			return tagRe.ReplaceAllString(strings.ReplaceAll(s, "<br />", "\n"), "")
		}
		return s
	}
	if len(formatted) > 0 && formatted[0] != '[' && formatted[0] != '{' {
		return string(formatted)
	}
	return ""
}

// numberOf reads a number value (a JSON number or a numeric string).
func numberOf(raw, formatted []byte) (float64, bool) {
	b := raw
	if len(b) == 0 {
		b = formatted
	}
	if len(b) == 0 {
		return 0, false
	}
	if s, ok := unquote(b); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		return f, err == nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil
}

// boolOf reads a yes/no value.
func boolOf(raw, formatted []byte) (bool, bool) {
	b := raw
	if len(b) == 0 {
		b = formatted
	}
	switch string(b) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	if s, ok := unquote(b); ok {
		return parseBool(s)
	}
	return false, false
}

// choicesOf reads a multiple choice value: a string or an array of strings.
func choicesOf(raw, formatted []byte) []string {
	b := raw
	if len(b) == 0 {
		b = formatted
	}
	if s, ok := unquote(b); ok {
		if s == "" {
			return nil
		}
		if len(raw) == 0 { // formatted "A, B"
			return strings.Split(s, ", ")
		}
		return []string{s}
	}
	if len(b) > 0 && b[0] == '[' {
		var arr []any
		if json.Unmarshal(b, &arr) != nil {
			return nil
		}
		out := make([]string, 0, len(arr))
		for _, v := range arr {
			if s, ok := scalarText(v); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// connRef is one connected record.
type connRef struct {
	ID         string `json:"id"`
	Identifier string `json:"identifier"`
}

// connectionsOf reads a connection value.
func connectionsOf(raw []byte) []connRef {
	if len(raw) == 0 {
		return nil
	}
	if s, ok := unquote(raw); ok {
		if s == "" {
			return nil
		}
		return []connRef{{ID: s}}
	}
	if raw[0] != '[' {
		return nil
	}
	var refs []connRef
	if json.Unmarshal(raw, &refs) == nil {
		return refs
	}
	var ids []string
	if json.Unmarshal(raw, &ids) == nil {
		for _, id := range ids {
			refs = append(refs, connRef{ID: id})
		}
	}
	return refs
}

var unixKey = []byte(`"unix_timestamp":`)

// dateOf reads a date value as wall time (UTC-labelled). It takes the raw
// object's unix_timestamp (local wall time labelled UTC), else the object's
// date/hours/minutes, else a date string.
func dateOf(raw, formatted []byte) (time.Time, bool) {
	if len(raw) > 0 && raw[0] == '{' {
		if i := bytes.Index(raw, unixKey); i >= 0 {
			if ms, ok := leadingInt(raw[i+len(unixKey):]); ok {
				return time.UnixMilli(ms).UTC(), true
			}
		}
		var m map[string]any
		if json.Unmarshal(raw, &m) == nil {
			if w, err := parseDateObject(m); err == nil {
				return w.t, true
			}
		}
		return time.Time{}, false
	}
	b := raw
	if len(b) == 0 {
		b = formatted
	}
	if s, ok := unquote(b); ok && s != "" {
		if w, err := parseDateString(s); err == nil {
			return w.t, true
		}
	}
	return time.Time{}, false
}

// leadingInt reads the integer that b starts with, up to a ',' or '}'.
func leadingInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	var n int64
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9' && i < 18; i++ {
		n = n*10 + int64(b[i]-'0')
	}
	if i == 0 || i < len(b) && b[i] != ',' && b[i] != '}' {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}
