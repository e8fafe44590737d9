package knack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzFilter builds a filter from arbitrary parts (a rule, possibly nested
// in groups, or the legacy bare array), marshals it and checks that:
// marshalling never panics; it fails exactly for a rule without field or
// operator, a group whose match is neither and nor or, or a value JSON
// cannot carry (NaN, ±Inf); otherwise the JSON is valid, has Knack's shape
// with exactly the keys it should (value only when the operator takes one,
// range and type only when set), carries every part unchanged, and parsed
// back into a Filter marshals to the same bytes.
func FuzzFilter(f *testing.F) {
	f.Add("field_1", "is", uint8(1), "test", 0.0, false, 0, "", "and", uint8(0), false)
	f.Add("field_12", "is during the previous", uint8(0), "", 0.0, false, 7, "days", "or", uint8(2), false)
	f.Add("field_2209", "is not", uint8(1), "Cancelled", 0.0, false, 0, "", "", uint8(0), true)
	f.Add("field_3", "higher than", uint8(2), "", 0.0, false, 0, "", "and", uint8(1), false)
	f.Add("field_4", "is", uint8(3), "", 0.0, false, 0, "", "AND", uint8(0), false)
	f.Add("", "is", uint8(1), "x", 0.0, false, 0, "", "and", uint8(0), false)
	f.Add("field_5", "", uint8(1), "x", 0.0, false, 0, "", "and", uint8(0), false)
	f.Add("field_6", "contains", uint8(1), `"); DROP TABLE students; --<script>`, 0.0, false, 0, "", "or", uint8(3), false)
	f.Add("field_7", "is", uint8(2), "", math.Inf(1), false, 0, "", "and", uint8(0), false)
	f.Fuzz(func(t *testing.T, field, op string, kind uint8, s string, n float64, b bool, rng int, typ, match string, nest uint8, bare bool) {
		var value any
		switch kind % 4 {
		case 1:
			value = s
		case 2:
			value = n
		case 3:
			value = b
		}
		rule := Rule{Field: field, Operator: Operator(op), Value: value, Range: rng, Type: RangeType(typ)}
		var filter *Filter
		matches := []Match{}
		if bare {
			filter = BareAnd(rule, rule)
		} else {
			// nest groups, alternating the fuzzed match with and/or, the
			// rule at the bottom and beside every group.
			var cond Condition = rule
			for i := range int(nest % 4) {
				m := MatchAnd
				if i%2 == 1 {
					m = MatchOr
				}
				cond = &Filter{Match: m, Rules: []Condition{rule, cond}}
				matches = append(matches, m)
			}
			filter = &Filter{Match: Match(match), Rules: []Condition{cond}}
			matches = append(matches, Match(match))
		}

		out, err := json.Marshal(filter)
		wantErr := field == "" || op == "" ||
			(!bare && match != string(MatchAnd) && match != string(MatchOr)) ||
			(kind%4 == 2 && Operator(op).TakesValue() && (math.IsNaN(n) || math.IsInf(n, 0)))
		if (err != nil) != wantErr {
			t.Fatalf("marshal error %v, want an error: %v (out %s)", err, wantErr, out)
		}
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON %s", out)
		}

		// Shape: walk the groups down to the rule.
		var node any
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.UseNumber()
		if err := dec.Decode(&node); err != nil {
			t.Fatal(err)
		}
		var rules []any
		if bare {
			arr, ok := node.([]any)
			if !ok || len(arr) != 2 {
				t.Fatalf("bare filter %s is not an array of the two rules", out)
			}
			rules = arr
		} else {
			for i := len(matches) - 1; i >= 0; i-- {
				g, ok := node.(map[string]any)
				if !ok || len(g) != 2 || g["match"] != string(matches[i]) {
					t.Fatalf("group %d of %s is not {match: %q, rules}", i, out, matches[i])
				}
				rs, ok := g["rules"].([]any)
				top := i == len(matches)-1
				if !ok || (top && len(rs) != 1) || (!top && len(rs) != 2) {
					t.Fatalf("group %d of %s has rules %v", i, out, g["rules"])
				}
				if top {
					node = rs[0]
				} else {
					rules = append(rules, rs[0])
					node = rs[1]
				}
			}
			rules = append(rules, node)
		}
		for _, r := range rules {
			checkRuleJSON(t, out, r, rule)
		}

		// Round trip: parsed back and marshalled again, the same JSON (the
		// same bytes once invalid UTF-8 was coerced on the first pass,
		// which escapes it as \ufffd where the second writes U+FFFD).
		again := roundTrip(t, out)
		if !jsonEqual(again, out) {
			t.Fatalf("round trip:\n%s\n%s", out, again)
		}
		if third := roundTrip(t, again); !bytes.Equal(third, again) {
			t.Fatalf("round trip not stable:\n%s\n%s", again, third)
		}
	})
}

func roundTrip(t *testing.T, out []byte) []byte {
	t.Helper()
	back, err := parseFilterJSON(out)
	if err != nil {
		t.Fatalf("parse %s: %v", out, err)
	}
	again, err := json.Marshal(back)
	if err != nil {
		t.Fatalf("marshal %s parsed back: %v", out, err)
	}
	return again
}

func jsonEqual(a, b []byte) bool {
	var va, vb any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	return da.Decode(&va) == nil && db.Decode(&vb) == nil && reflect.DeepEqual(va, vb)
}

// checkRuleJSON checks one decoded rule object against the rule it came from.
func checkRuleJSON(t *testing.T, out []byte, node any, rule Rule) {
	t.Helper()
	m, ok := node.(map[string]any)
	if !ok {
		t.Fatalf("rule %v of %s is not an object", node, out)
	}
	want := map[string]any{"field": coerceUTF8(rule.Field), "operator": coerceUTF8(string(rule.Operator))}
	if rule.Operator.TakesValue() && rule.Value != nil {
		switch v := rule.Value.(type) {
		case string:
			want["value"] = coerceUTF8(v)
		case float64:
			want["value"] = v
		case bool:
			want["value"] = v
		}
	}
	if rule.Range != 0 {
		want["range"] = float64(rule.Range)
	}
	if rule.Type != "" {
		want["type"] = coerceUTF8(string(rule.Type))
	}
	keys := func(m map[string]any) []string {
		var k []string
		for key := range m {
			k = append(k, key)
		}
		slices.Sort(k)
		return k
	}
	if !slices.Equal(keys(m), keys(want)) {
		t.Fatalf("rule keys %v, want %v in %s", keys(m), keys(want), out)
	}
	for k, w := range want {
		got := m[k]
		if num, ok := got.(json.Number); ok {
			f, err := num.Float64()
			if err != nil && !strings.Contains(err.Error(), "range") {
				t.Fatalf("%s: %v", k, err)
			}
			got = f
		}
		if got != w {
			t.Fatalf("rule %s = %#v, want %#v in %s", k, got, w, out)
		}
	}
}

// coerceUTF8 is what encoding/json makes of a string: each invalid byte
// becomes U+FFFD.
func coerceUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// parseFilterJSON reads a filter in Knack's JSON shape back into a Filter
// (the client never needs to: it lives here for the round trip).
func parseFilterJSON(b []byte) (*Filter, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if arr, ok := v.([]any); ok {
		var rules []Rule
		for _, it := range arr {
			r, err := parseRuleJSON(it)
			if err != nil {
				return nil, err
			}
			rules = append(rules, r)
		}
		return BareAnd(rules...), nil
	}
	c, err := parseConditionJSON(v)
	if err != nil {
		return nil, err
	}
	f, ok := c.(*Filter)
	if !ok {
		return nil, fmt.Errorf("top level is a rule, not a group")
	}
	return f, nil
}

func parseConditionJSON(v any) (Condition, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("condition %v is not an object", v)
	}
	rules, isGroup := m["rules"]
	if !isGroup {
		return parseRuleJSON(m)
	}
	arr, ok := rules.([]any)
	if !ok {
		return nil, fmt.Errorf("rules %v is not an array", rules)
	}
	match, _ := m["match"].(string)
	g := &Filter{Match: Match(match), Rules: []Condition{}}
	for _, it := range arr {
		c, err := parseConditionJSON(it)
		if err != nil {
			return nil, err
		}
		g.Rules = append(g.Rules, c)
	}
	return g, nil
}

func parseRuleJSON(v any) (Rule, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Rule{}, fmt.Errorf("rule %v is not an object", v)
	}
	var r Rule
	r.Field, _ = m["field"].(string)
	op, _ := m["operator"].(string)
	r.Operator = Operator(op)
	typ, _ := m["type"].(string)
	r.Type = RangeType(typ)
	if n, ok := m["range"].(json.Number); ok {
		i, err := n.Int64()
		if err != nil {
			return r, err
		}
		r.Range = int(i)
	}
	if val, ok := m["value"]; ok {
		if n, ok := val.(json.Number); ok {
			// The number as written, so that it marshals to the same text.
			r.Value = json.RawMessage(n.String())
		} else {
			r.Value = val
		}
	}
	return r, nil
}
