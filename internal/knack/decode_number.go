package knack

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// DecodeNumber reads a number field: a JSON number, or a numeric string
// (" 7 ", "7.0", "6.5", "-1e2", and in formatted text "1,234.5" with
// thousands separators). An empty field ("", null, absent, [], [null]) gives
// (nil, nil): no value is not an error. Anything else (text, a boolean, an
// object, NaN or an infinite value) gives a *ValueError matching
// ErrInvalidValue.
func DecodeNumber(r Record, key string) (*float64, error) {
	b := pick(r, key)
	if isBlank(b) {
		return nil, nil
	}
	var (
		v  float64
		ok bool
	)
	switch jsonKind(b) {
	case kindNumber:
		// parseNumberText accepts a subset of JSON number syntax; a
		// value outside it is not a JSON number either.
		v, ok = parseNumberText(string(b))
	case kindString:
		s, _ := jsonString(b)
		v, ok = parseNumberText(s)
	}
	if !ok {
		return nil, invalidValue(key, shown(b), "not a number")
	}
	return &v, nil
}

var (
	plainNumber     = regexp.MustCompile(`^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$`)
	thousandsNumber = regexp.MustCompile(`^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$`)
)

// parseNumberText accepts decimal notation only: ParseFloat alone would also
// take "NaN", "Inf", hex floats and underscores, none of which is a Knack
// number.
func parseNumberText(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	switch {
	case smallInteger(s):
	case plainNumber.MatchString(s):
	case thousandsNumber.MatchString(s):
		s = strings.ReplaceAll(s, ",", "")
	default:
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

// DecodeBool reads a yes/no field: JSON true/false, or the strings yes/no,
// true/false, on/off, y/n, 1/0 in any case (and the numbers 1 and 0). An
// empty field gives (nil, nil): unknown. Anything else gives a *ValueError
// matching ErrInvalidValue.
func DecodeBool(r Record, key string) (*bool, error) {
	b := pick(r, key)
	if isBlank(b) {
		return nil, nil
	}
	var s string
	switch jsonKind(b) {
	case kindBool, kindNumber, kindString:
		s, _ = valueText(b)
	}
	var v bool
	switch strings.ToLower(strings.TrimSpace(htmlText(s))) {
	case "true", "yes", "on", "y", "1":
		v = true
	case "false", "no", "off", "n", "0":
		v = false
	default:
		return nil, invalidValue(key, shown(b), "not a yes/no value")
	}
	return &v, nil
}

// smallInteger is one to nine digits, the common case, checked without a
// regular expression.
func smallInteger(s string) bool {
	if len(s) == 0 || len(s) > 9 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
