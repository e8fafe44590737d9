package knack

import (
	"encoding/json"
	"html"
	"net/url"
	"regexp"
	"strings"
	"unicode"
)

// DecodeEmail reads an email field (docs/mapping.md, rule 1) and returns the
// normalised address (trimmed, lower-cased). It takes, in order: the raw
// value (an object {"email": ...} whose email may itself be an object with
// "address" or "email", an object {"address": ...}, a plain string, or a list
// of those, first usable item), else the address of a mailto: anchor in the
// formatted value, else the formatted text. The error is a *ValueError
// matching ErrNoValue when the field is empty, ErrInvalidValue when the
// address fails ValidEmail.
func DecodeEmail(r Record, key string) (string, error) {
	e, err := DecodeEmailAsGiven(r, key)
	return strings.ToLower(e), err
}

// DecodeEmailAsGiven is DecodeEmail without the lower-casing: the address
// trimmed, in the casing Knack gives it (the dashboard matches some
// e-mails exactly as the Knack login gives them).
func DecodeEmailAsGiven(r Record, key string) (string, error) {
	addr, ok := emailFromRaw(r.Raw(key), 0)
	if !ok {
		addr, ok = emailFromFormatted(r.Formatted(key))
	}
	if !ok || strings.TrimSpace(addr) == "" {
		return "", &ValueError{Field: key, Err: ErrNoValue, Reason: "no email"}
	}
	e := TrimEmail(addr)
	if !ValidEmail(e) {
		return "", invalidValue(key, strings.TrimSpace(addr), "invalid email")
	}
	return e, nil
}

// NormaliseEmail trims an address, drops a leading "mailto:" and lower-cases
// it, so that "Foo@School.org " and "foo@school.org" are one person.
func NormaliseEmail(s string) string { return strings.ToLower(TrimEmail(s)) }

// TrimEmail is NormaliseEmail without the lower-casing.
func TrimEmail(s string) string {
	s = strings.TrimSpace(CleanText(s))
	if len(s) >= 7 && strings.EqualFold(s[:7], "mailto:") {
		s = strings.TrimSpace(s[7:])
	}
	return s
}

// ValidEmail is a loose check of a normalised address: one @ with text on
// both sides, a domain holding a dot that neither starts nor ends it and no
// empty label, and no white space, control, invisible formatting characters
// or characters that only appear around an address ( <>()[],;:"\ ).
func ValidEmail(s string) bool {
	// RFC 5321 caps an address at 254 characters; the tables at 255.
	if len(s) > 254 {
		return false
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') {
		return false
	}
	domain := s[at+1:]
	if domain == "" || !strings.Contains(domain, ".") ||
		strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return false
	}
	for _, c := range s {
		if unicode.IsSpace(c) || unicode.IsControl(c) || unicode.Is(unicode.Cf, c) ||
			c == unicode.ReplacementChar || strings.ContainsRune(`<>()[],;:"\`, c) {
			return false
		}
	}
	return true
}

// emailFromRaw finds the address in a raw value; ok is false when the raw
// value carries none, so that the formatted value is tried.
func emailFromRaw(b json.RawMessage, depth int) (string, bool) {
	if depth > 3 {
		return "", false
	}
	switch jsonKind(b) {
	case kindString:
		s, ok := jsonString(b)
		if !ok || strings.TrimSpace(s) == "" {
			return "", false
		}
		if strings.ContainsAny(s, "<>") || strings.Contains(strings.ToLower(s), "mailto:") {
			return emailFromHTML(s), true
		}
		return s, true
	case kindObject:
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) != nil {
			return "", false
		}
		for _, k := range []string{"email", "address"} {
			if s, ok := emailFromRaw(m[k], depth+1); ok {
				return s, true
			}
		}
	case kindArray:
		var items []json.RawMessage
		if json.Unmarshal(b, &items) != nil {
			return "", false
		}
		for _, it := range items {
			if s, ok := emailFromRaw(it, depth+1); ok {
				return s, true
			}
		}
	}
	return "", false
}

func emailFromFormatted(b json.RawMessage) (string, bool) {
	s, ok := valueText(b)
	if !ok || strings.TrimSpace(s) == "" {
		return "", false
	}
	return emailFromHTML(s), true
}

var mailtoHref = regexp.MustCompile(`(?i)mailto:([^"'<>?\s]*)`)

// emailFromHTML takes the address of the first mailto: link, else the text
// of the HTML.
func emailFromHTML(s string) string {
	if m := mailtoHref.FindStringSubmatch(s); m != nil && m[1] != "" {
		addr := html.UnescapeString(m[1])
		if u, err := url.PathUnescape(addr); err == nil {
			addr = u
		}
		return addr
	}
	return htmlText(s)
}
