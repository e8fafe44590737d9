package knack

import (
	"encoding/json"
	"errors"
)

// splitObject calls fn with each member of the JSON object b: its key,
// decoded, and its value as the exact bytes of b (not copied). b must be
// valid JSON, as encoding/json guarantees to an UnmarshalJSON method: a
// page's records are split without scanning and copying every record a
// second time, which json.Unmarshal into a map would (it was most of a
// sweep's decoding time).
func splitObject(b []byte, fn func(key string, value []byte)) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errors.New("not a JSON object")
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return nil
	}
	for i < len(b) {
		end, err := valueEnd(b, i)
		if err != nil || b[i] != '"' {
			return errors.New("malformed JSON object")
		}
		key, ok := plainKey(b[i:end])
		if !ok {
			if err := json.Unmarshal(b[i:end], &key); err != nil {
				return err
			}
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return errors.New("malformed JSON object")
		}
		i = skipSpace(b, i+1)
		if end, err = valueEnd(b, i); err != nil {
			return err
		}
		fn(key, b[i:end])
		i = skipSpace(b, end)
		if i >= len(b) {
			break
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return nil
		default:
			return errors.New("malformed JSON object")
		}
	}
	return errors.New("unterminated JSON object")
}

// plainKey is a quoted key without escapes, as text.
func plainKey(q []byte) (string, bool) {
	if len(q) < 2 || !unescaped(q[1:len(q)-1]) {
		return "", false
	}
	return string(q[1 : len(q)-1]), true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// valueEnd is the index just past the JSON value that starts at b[i].
func valueEnd(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errors.New("missing JSON value")
	}
	depth := 0
	for j := i; j < len(b); j++ {
		switch c := b[j]; c {
		case '"':
			for j++; j < len(b) && b[j] != '"'; j++ {
				if b[j] == '\\' {
					j++
				}
			}
			if j >= len(b) {
				return 0, errors.New("unterminated JSON string")
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth < 0 {
				return j, nil // the end of the enclosing object: a bare literal ended
			}
		case ',', ' ', '\t', '\n', '\r', ':':
			if depth == 0 {
				return j, nil
			}
		}
		if depth == 0 && (b[j] == '"' || b[j] == '}' || b[j] == ']') {
			return j + 1, nil
		}
	}
	if depth == 0 {
		return len(b), nil
	}
	return 0, errors.New("unterminated JSON value")
}
