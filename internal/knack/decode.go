package knack

// Field decoders: pure functions that read one field of a Record in the
// shapes of docs/knack-api.md §4. Each reads field_N_raw first and falls back to
// the formatted field_N only where the raw value is absent or empty (null,
// "", [], {}, [null]); formatted values are display text and often HTML.
// Every string they return has passed through CleanText (docs/mapping.md, rule 14).

import (
	"bytes"
	"encoding/json"
	"errors"
	"html"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Decoder error kinds. Test for them with errors.Is; the concrete error is
// *ValueError.
var (
	// ErrNoValue: the field is empty where a value is required (an email).
	// Decoders whose value is optional (number, date, boolean) return a nil
	// value and no error instead.
	ErrNoValue = errors.New("no value")
	// ErrInvalidValue: the field holds something that cannot be read as its
	// type.
	ErrInvalidValue = errors.New("invalid value")
)

// ValueError is a field value that a decoder could not take. Value is the
// offending value as received (the raw JSON text, or the formatted text); it
// may hold personal data (an email), so Error() leaves it out: show it only
// where student data may go.
type ValueError struct {
	Field  string // the field key, e.g. "field_855"
	Value  string
	Reason string // e.g. "not a date"
	Err    error  // ErrNoValue or ErrInvalidValue
}

func (e *ValueError) Error() string {
	if e.Reason == "" {
		return e.Field + ": " + e.Err.Error()
	}
	return e.Field + ": " + e.Reason
}

func (e *ValueError) Unwrap() error { return e.Err }

func invalidValue(field, value, reason string) *ValueError {
	return &ValueError{Field: field, Value: CleanText(value), Reason: reason, Err: ErrInvalidValue}
}

// CleanText removes NUL bytes and invalid UTF-8, which Postgres rejects in
// text, and keeps everything else as it is (docs/mapping.md, rule 14).
func CleanText(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, ""), "\x00", "")
}

// JSON value kinds, from the first byte of a value.
const (
	kindAbsent = iota
	kindNull
	kindString
	kindNumber
	kindBool
	kindArray
	kindObject
	kindBroken // not JSON at all
)

func jsonKind(b json.RawMessage) int {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return kindAbsent
	}
	switch c := b[0]; {
	case c == '"':
		return kindString
	case c == '{':
		return kindObject
	case c == '[':
		return kindArray
	case c == 'n':
		return kindNull
	case c == 't' || c == 'f':
		return kindBool
	case c == '-' || (c >= '0' && c <= '9'):
		return kindNumber
	}
	return kindBroken
}

// isBlank reports whether a value carries nothing: absent, null, a
// whitespace-only string, [], {}, or a list of null or blank strings such as
// [null]. A blank raw value sends the decoders to the formatted one.
func isBlank(b json.RawMessage) bool {
	switch jsonKind(b) {
	case kindAbsent, kindNull:
		return true
	case kindString:
		s, ok := jsonString(b)
		return ok && strings.TrimSpace(s) == ""
	case kindArray:
		var items []json.RawMessage
		if json.Unmarshal(b, &items) != nil {
			return false
		}
		for _, it := range items {
			// One level only: a list of lists is no Knack shape.
			if k := jsonKind(it); k != kindNull && (k != kindString || !isBlank(it)) {
				return false
			}
		}
		return true
	case kindObject:
		return bytes.Equal(compactJSON(b), []byte("{}"))
	}
	return false
}

// pick returns the value a decoder should read: the raw one unless it is
// blank, else the formatted one.
func pick(r Record, key string) json.RawMessage {
	if raw := r.Raw(key); !isBlank(raw) {
		return raw
	}
	return r.Formatted(key)
}

// jsonString decodes a JSON string, dropping invalid UTF-8 bytes and
// unpaired surrogate escapes (rather than turning them into U+FFFD) and NUL
// characters.
func jsonString(b json.RawMessage) (string, bool) {
	// Most values are plain quoted text: no escapes to undo, nothing to
	// clean. A page of questionnaires has tens of thousands of them.
	if n := len(b); n >= 2 && b[0] == '"' && b[n-1] == '"' && unescaped(b[1:n-1]) {
		return string(b[1 : n-1]), true
	}
	var s string
	if err := json.Unmarshal(CleanJSON(b), &s); err != nil {
		return "", false
	}
	return CleanText(s), true
}

// unescaped is JSON string content that decodes to itself: valid UTF-8
// without escapes, quotes, control characters or NUL.
func unescaped(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == '"' || c == '\\' {
			return false
		}
	}
	return utf8.Valid(b)
}

func compactJSON(b json.RawMessage) []byte {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return bytes.TrimSpace(b)
	}
	return buf.Bytes()
}

// shown is a value as received, for ValueError.Value: a JSON string's text,
// any other value's compact JSON.
func shown(b json.RawMessage) string {
	if s, ok := jsonString(b); ok {
		return s
	}
	return string(compactJSON(b))
}

// valueText renders a scalar, or an array of scalars, as text: strings as
// they are, numbers as written in the JSON, booleans as true/false; array
// items joined with ", ", skipping null and empty items. Objects have no text.
func valueText(b json.RawMessage) (string, bool) {
	switch jsonKind(b) {
	case kindString:
		return jsonString(b)
	case kindNumber:
		var n json.Number
		if json.Unmarshal(b, &n) != nil {
			return "", false
		}
		return n.String(), true
	case kindBool:
		var v bool
		if json.Unmarshal(b, &v) != nil {
			return "", false
		}
		return strconv.FormatBool(v), true
	case kindArray:
		var items []json.RawMessage
		if json.Unmarshal(b, &items) != nil {
			return "", false
		}
		parts := make([]string, 0, len(items))
		for _, it := range items {
			if jsonKind(it) == kindArray {
				continue // no nested lists in choice fields
			}
			if s, ok := valueText(it); ok && s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", "), true
	}
	return "", false
}

// DecodeText reads a text field (short or paragraph text, or anything read as
// text): the raw value, else the formatted one, as Knack gives it (no
// trimming, no HTML processing) apart from CleanText. A number is rendered as
// written; a list is joined with ", ". "" means no value.
func DecodeText(r Record, key string) string {
	if raw := r.Raw(key); !isBlank(raw) {
		if s, ok := valueText(raw); ok {
			return s
		}
		// An object where text was expected: the display text may serve.
	}
	s, _ := valueText(r.Formatted(key))
	return s
}

// DecodeChoice reads a multiple choice field: a string, or a list of options
// joined with ", ". An empty multi-select ([] or [null]) is "".
func DecodeChoice(r Record, key string) string {
	return DecodeText(r, key)
}

// DecodeName reads a name field. The raw object {title, first, middle, last,
// full} gives full, else first and last joined by a space; a raw string is
// taken as it is; else the formatted text with HTML tags removed and entities
// unescaped. "" means no value.
func DecodeName(r Record, key string) string {
	raw := r.Raw(key)
	switch jsonKind(raw) {
	case kindObject:
		var n map[string]json.RawMessage
		if json.Unmarshal(raw, &n) == nil {
			if full, _ := valueText(n["full"]); strings.TrimSpace(full) != "" {
				return strings.TrimSpace(full)
			}
			var parts []string
			for _, k := range []string{"first", "last"} {
				if p, _ := valueText(n[k]); strings.TrimSpace(p) != "" {
					parts = append(parts, strings.TrimSpace(p))
				}
			}
			if len(parts) > 0 {
				return strings.Join(parts, " ")
			}
		}
	case kindString:
		if s, ok := jsonString(raw); ok && strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	s, _ := valueText(r.Formatted(key))
	return htmlText(s)
}

var (
	breakTag = regexp.MustCompile(`(?i)<br\s*/?>`)
	anyTag   = regexp.MustCompile(`<[^>]*>`)
	spaces   = regexp.MustCompile(`\s+`)
)

// htmlText turns formatted HTML into plain text: line breaks become spaces,
// other tags are removed, entities unescaped, runs of white space collapsed.
func htmlText(s string) string {
	if strings.ContainsAny(s, "<&") {
		s = breakTag.ReplaceAllString(s, " ")
		s = anyTag.ReplaceAllString(s, "")
		s = html.UnescapeString(s)
	}
	return CleanText(strings.TrimSpace(spaces.ReplaceAllString(s, " ")))
}
