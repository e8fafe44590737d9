package knack

import (
	"encoding/json"
	"regexp"
	"strings"
)

// DecodeConnectionIDs reads a connection field as the ids of the connected
// records, in order and without repeats. The raw value may be a list of
// {"id", "identifier"} objects, a list of id strings, a bare id string, or an
// {"id"} or {"value"} object; without a usable raw value, the ids are taken
// from the <span class="ID"> elements of the formatted HTML, or the formatted
// value itself when it is a bare id (only Knack record ids, 24 hex digits,
// are taken from formatted text). An empty connection gives nil.
func DecodeConnectionIDs(r Record, key string) []string {
	if ids := connectionIDs(r.Raw(key), 0); len(ids) > 0 {
		return ids
	}
	s, ok := valueText(r.Formatted(key))
	if !ok {
		return nil
	}
	if s = strings.TrimSpace(s); objectID.MatchString(s) {
		return []string{s} // a bare record id
	}
	return spanIDs(s)
}

// DecodeConnectionID is the first id of DecodeConnectionIDs, or "".
func DecodeConnectionID(r Record, key string) string {
	if ids := DecodeConnectionIDs(r, key); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

func connectionIDs(b json.RawMessage, depth int) []string {
	if depth > 2 {
		return nil
	}
	switch jsonKind(b) {
	case kindString:
		s, _ := jsonString(b)
		s = strings.TrimSpace(s)
		switch {
		case s == "":
			return nil
		case strings.Contains(s, "<"):
			return spanIDs(s)
		case strings.ContainsFunc(s, isSpaceOrComma):
			return nil // display text, not an id
		}
		return []string{s}
	case kindObject:
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) != nil {
			return nil
		}
		for _, k := range []string{"id", "value"} {
			if jsonKind(m[k]) == kindString {
				if ids := connectionIDs(m[k], depth+1); len(ids) > 0 {
					return ids
				}
			}
		}
	case kindArray:
		var items []json.RawMessage
		if json.Unmarshal(b, &items) != nil {
			return nil
		}
		var ids []string
		for _, it := range items {
			ids = appendNew(ids, connectionIDs(it, depth+1)...)
		}
		return ids
	}
	return nil
}

func isSpaceOrComma(c rune) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' }

var (
	spanClass = regexp.MustCompile(`(?i)<span[^>]*\sclass\s*=\s*["']([^"']*)["']`)
	objectID  = regexp.MustCompile(`^[0-9a-fA-F]{24}$`)
)

func spanIDs(s string) []string {
	var ids []string
	for _, m := range spanClass.FindAllStringSubmatch(s, -1) {
		for _, c := range strings.Fields(m[1]) {
			if objectID.MatchString(c) {
				ids = appendNew(ids, c)
			}
		}
	}
	return ids
}

func appendNew(ids []string, more ...string) []string {
next:
	for _, id := range more {
		for _, have := range ids {
			if have == id {
				continue next
			}
		}
		ids = append(ids, id)
	}
	return ids
}
