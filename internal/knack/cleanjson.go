package knack

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// CleanJSON removes from JSON text what rule 14 (docs/mapping.md) drops from
// every text and Postgres jsonb rejects: bytes that are not UTF-8, \u0000
// escapes, and surrogate escapes without their other half (\ud800 or
// \udc00 alone), which Go's decoder would turn into U+FFFD. An escaped
// backslash stays text ("\\u0000" is a backslash, then "u0000"). It only
// removes bytes, so a result as long as its input is the input; clean input
// is returned as it is.
func CleanJSON(b []byte) []byte {
	if utf8.Valid(b) && !bytes.Contains(b, []byte(`\u`)) {
		return b
	}
	b = bytes.ToValidUTF8(b, nil)
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			out = append(out, b[i])
			continue
		}
		// b[i] starts an escape; any escape but \uXXXX is copied whole, so
		// that "\\u0000" (a backslash, then text) stays text.
		if b[i+1] != 'u' {
			out = append(out, b[i], b[i+1])
			i++
			continue
		}
		r, ok := hex4(b[i+2:])
		switch {
		case !ok:
			out = append(out, b[i], b[i+1])
			i++
		case r == 0, r >= 0xdc00 && r <= 0xdfff:
			i += 5 // NUL, or a low surrogate without its high half
		case r >= 0xd800 && r <= 0xdbff:
			if len(b) >= i+12 && b[i+6] == '\\' && b[i+7] == 'u' {
				if lo, ok := hex4(b[i+8:]); ok && lo >= 0xdc00 && lo <= 0xdfff {
					out = append(out, b[i:i+12]...)
					i += 11
					continue
				}
			}
			i += 5 // a high surrogate without its low half
		default:
			out = append(out, b[i:i+6]...)
			i += 5
		}
	}
	return out
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 16)
	return rune(n), err == nil
}
