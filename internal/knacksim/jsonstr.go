package knacksim

import (
	"encoding/json"
	"unicode/utf8"
)

// jsonString encodes s as a JSON string without HTML escaping (Knack's
// output carries <, > and & as they are).
func jsonString(s string) json.RawMessage { return AppendJSONString(make([]byte, 0, len(s)+2), s) }

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string, quoted.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = AppendJSONStringBody(dst, s)
	return append(dst, '"')
}

// AppendJSONStringBody appends s escaped for the inside of a JSON string:
// quotes, backslashes and control characters escaped, other bytes as they
// are (no HTML escaping, as Knack), and a byte that is not valid UTF-8 as
// U+FFFD, so the output is always valid UTF-8.
func AppendJSONStringBody(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

// escapeInvalidUTF8 rewrites every byte of the JSON text v that is not part
// of valid UTF-8 as the escape \udcXX (XX the byte): a low surrogate half
// alone, as Python's "surrogateescape" carries undecodable bytes. v must be
// valid JSON, where such bytes can only sit inside strings and never right
// after a backslash, so the result is valid JSON and valid UTF-8. A reader
// sees an unpaired surrogate where the byte was; the client drops it as it
// would have dropped the byte (docs/mapping.md, rule 14).
func escapeInvalidUTF8(v []byte) []byte {
	out := make([]byte, 0, len(v)+16)
	for i := 0; i < len(v); {
		r, size := utf8.DecodeRune(v[i:])
		if r == utf8.RuneError && size == 1 {
			out = append(out, '\\', 'u', 'd', 'c', hexDigits[v[i]>>4], hexDigits[v[i]&0xF])
		} else {
			out = append(out, v[i:i+size]...)
		}
		i += size
	}
	return out
}
