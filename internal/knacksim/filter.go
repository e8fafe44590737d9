package knacksim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// errInvalidFilters is answered 400 {"errors":[{"message":"Invalid filters"}]}.
var errInvalidFilters = errors.New("invalid filters")

// filterEnv is what compiling a filter needs besides the object: the clock in
// app-local wall time and the text comparison mode.
type filterEnv struct {
	now           time.Time // app-local wall clock, UTC-labelled
	caseSensitive bool
}

// matcher is a compiled filter node.
type matcher interface {
	match(keys []keySlot, r *rec) bool
}

type group struct {
	or    bool
	nodes []matcher
}

func (g *group) match(keys []keySlot, r *rec) bool {
	if len(g.nodes) == 0 {
		return true
	}
	for _, n := range g.nodes {
		if n.match(keys, r) == g.or {
			return g.or
		}
	}
	return !g.or
}

// compileFilters parses the filters parameter: a {match, rules} object or a
// bare array of rules (AND). A rule that is itself {match, rules} is a nested
// group. Any problem is errInvalidFilters, wrapped with the reason.
func compileFilters(param string, o *objectStore, env filterEnv) (matcher, error) {
	d := json.NewDecoder(strings.NewReader(param))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %v", errInvalidFilters, err)
	}
	if d.More() {
		return nil, fmt.Errorf("%w: trailing data", errInvalidFilters)
	}
	return compileNode(v, o, env, 0)
}

func compileNode(v any, o *objectStore, env filterEnv, depth int) (matcher, error) {
	if depth > 16 {
		return nil, fmt.Errorf("%w: nested too deep", errInvalidFilters)
	}
	switch x := v.(type) {
	case []any:
		return compileGroup("and", x, o, env, depth)
	case map[string]any:
		if rules, ok := x["rules"]; ok {
			arr, ok := rules.([]any)
			if !ok {
				return nil, fmt.Errorf("%w: rules is not an array", errInvalidFilters)
			}
			m, isStr := x["match"].(string)
			if x["match"] != nil && !isStr {
				return nil, fmt.Errorf("%w: match is not a string", errInvalidFilters)
			}
			return compileGroup(m, arr, o, env, depth)
		}
		return compileRule(x, o, env)
	}
	return nil, fmt.Errorf("%w: not an object or array", errInvalidFilters)
}

func compileGroup(match string, rules []any, o *objectStore, env filterEnv, depth int) (matcher, error) {
	g := &group{}
	switch strings.ToLower(match) {
	case "", "and":
	case "or":
		g.or = true
	default:
		return nil, fmt.Errorf("%w: match %q", errInvalidFilters, match)
	}
	for _, r := range rules {
		n, err := compileNode(r, o, env, depth+1)
		if err != nil {
			return nil, err
		}
		g.nodes = append(g.nodes, n)
	}
	return g, nil
}

// rule is one compiled rule.
type rule struct {
	field         string
	typ           string
	raw, fmt      int // slots, -1 when no record carries the key
	op            string
	caseSensitive bool

	text   string   // text operand, folded
	texts  []string // "is any" operands, folded
	num    float64
	boolV  bool
	lo, hi time.Time // date operand as a half-open interval [lo, hi)
	isID   bool
	kind   string
}

// Kinds of field, as filters and sorts see them.
const (
	kindText   = "text"
	kindNumber = "number"
	kindBool   = "boolean"
	kindChoice = "choice"
	kindConn   = "connection"
	kindDate   = "date"
	kindID     = "id"
)

// kindOf is the kind of a field type; types the simulator does not know
// compare as text.
func kindOf(typ string) string {
	switch typ {
	case "number", "rating", "auto_increment", "equation", "sum", "count", "min", "max", "average", "timer":
		return kindNumber
	case "boolean":
		return kindBool
	case "multiple_choice":
		return kindChoice
	case "connection":
		return kindConn
	case "date_time":
		return kindDate
	}
	return kindText
}

// Operators by kind (docs/knack-api.md §3.2).
var kindOps = map[string]map[string]bool{
	kindText:   textOps,
	kindNumber: numberOps,
	kindBool:   boolOps,
	kindChoice: choiceOps,
	kindConn:   connOps,
	kindDate:   dateOps,
	kindID:     idOps,
}

var (
	textOps   = ops("is", "is not", "contains", "does not contain", "starts with", "ends with", "is blank", "is not blank")
	numberOps = ops("is", "is not", "higher than", "lower than", "is blank", "is not blank")
	boolOps   = ops("is", "is not", "is blank", "is not blank")
	choiceOps = ops("is", "is not", "contains", "does not contain", "is any", "is blank", "is not blank")
	connOps   = ops("is", "is not", "contains", "does not contain", "is blank", "is not blank")
	idOps     = ops("is", "is not")
	dateOps   = ops("is", "is not", "is before", "is after", "is today", "is today or before",
		"is today or after", "is before today", "is after today", "is before current time",
		"is after current time", "is during the current", "is during the previous",
		"is during the next", "is before the previous", "is after the next", "is blank", "is not blank")
)

func ops(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func compileRule(x map[string]any, o *objectStore, env filterEnv) (matcher, error) {
	field, _ := x["field"].(string)
	op, _ := x["operator"].(string)
	op = strings.ToLower(strings.TrimSpace(op))
	if field == "" || op == "" {
		return nil, fmt.Errorf("%w: a rule needs field and operator", errInvalidFilters)
	}
	r := &rule{field: field, op: op, caseSensitive: env.caseSensitive, raw: -1, fmt: -1}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s %s: %s", errInvalidFilters, field, op, fmt.Sprintf(format, a...))
	}
	kind := kindID
	if field == "id" {
		r.isID, r.typ = true, "id"
	} else {
		f, ok := o.fields[field]
		if !ok {
			return nil, bad("unknown field")
		}
		r.typ = f.Type
		r.raw, r.fmt = o.lookup(field+"_raw"), o.lookup(field)
		kind = kindOf(f.Type)
	}
	if !kindOps[kind][op] {
		return nil, bad("operator not supported for %s fields", r.typ)
	}
	r.kind = kind
	if op == "is blank" || op == "is not blank" {
		return r, nil
	}
	value := x["value"]
	switch {
	case kind == kindDate:
		if err := r.compileDate(x, env); err != nil {
			return nil, bad("%v", err)
		}
	case kind == kindNumber:
		n, ok := toFloat(value)
		if !ok {
			return nil, bad("value %v is not a number", value)
		}
		r.num = n
	case kind == kindBool:
		b, ok := parseBool(value)
		if !ok {
			return nil, bad("value %v is not yes or no", value)
		}
		r.boolV = b
	case op == "is any":
		switch v := value.(type) {
		case []any:
			for _, it := range v {
				s, ok := scalarText(it)
				if !ok {
					return nil, bad("value is not a list of options")
				}
				r.texts = append(r.texts, r.fold(s))
			}
		default:
			s, ok := scalarText(v)
			if !ok {
				return nil, bad("value is not a list of options")
			}
			r.texts = []string{r.fold(s)}
		}
	default:
		s, ok := scalarText(value)
		if !ok {
			return nil, bad("value is not text")
		}
		r.text = r.fold(s)
		if (kind == kindConn || kind == kindID) && (op == "is" || op == "is not") {
			r.text = strings.ToLower(s) // ids are hex: never case-sensitive
		}
	}
	return r, nil
}

func (r *rule) fold(s string) string {
	if r.caseSensitive {
		return s
	}
	return strings.ToLower(s)
}

// compileDate turns a date rule's operand into an interval [lo, hi) of
// app-local wall time.
func (r *rule) compileDate(x map[string]any, env filterEnv) error {
	today := time.Date(env.now.Year(), env.now.Month(), env.now.Day(), 0, 0, 0, 0, time.UTC)
	tomorrow := today.AddDate(0, 0, 1)
	var (
		minTime = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
		maxTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	)
	switch r.op {
	case "is", "is not", "is before", "is after":
		s, ok := x["value"].(string)
		if !ok {
			if m, isMap := x["value"].(map[string]any); isMap {
				w, err := parseDateObject(m)
				if err != nil {
					return err
				}
				return r.setDateOperand(w)
			}
			return fmt.Errorf("value is not a date")
		}
		w, err := parseDateString(s)
		if err != nil {
			return err
		}
		return r.setDateOperand(w)
	case "is today":
		r.lo, r.hi = today, tomorrow
	case "is today or before":
		r.lo, r.hi = minTime, tomorrow
	case "is today or after":
		r.lo, r.hi = today, maxTime
	case "is before today":
		r.lo, r.hi = minTime, today
	case "is after today":
		r.lo, r.hi = tomorrow, maxTime
	case "is before current time":
		r.lo, r.hi = minTime, env.now
	case "is after current time":
		r.lo, r.hi = env.now.Add(time.Nanosecond), maxTime
	case "is during the current":
		unit, _ := x["type"].(string)
		lo, hi, err := currentPeriod(today, unit)
		if err != nil {
			return err
		}
		r.lo, r.hi = lo, hi
	case "is during the previous", "is during the next", "is before the previous", "is after the next":
		n, ok := toFloat(x["range"])
		if !ok || n < 0 || n != float64(int(n)) {
			return fmt.Errorf("range %v is not a whole number", x["range"])
		}
		unit, _ := x["type"].(string)
		back, err := shift(today, unit, -int(n))
		if err != nil {
			return err
		}
		fwd, _ := shift(tomorrow, unit, int(n))
		// The previous N units run from N units before today up to the end
		// of today; the next N units from today to N units after it (both
		// include today: an unverified choice, see the package doc).
		switch r.op {
		case "is during the previous":
			r.lo, r.hi = back, tomorrow
		case "is during the next":
			r.lo, r.hi = today, fwd
		case "is before the previous":
			r.lo, r.hi = minTime, back
		case "is after the next":
			r.lo, r.hi = fwd, maxTime
		}
	}
	return nil
}

// setDateOperand sets the interval of an is/is not/is before/is after
// operand: the whole day for a date, the minute for a date with a time.
func (r *rule) setDateOperand(w wall) error {
	lo := w.t
	hi := lo.AddDate(0, 0, 1)
	if w.hasTime {
		lo = lo.Truncate(time.Minute)
		hi = lo.Add(time.Minute)
	}
	switch r.op {
	case "is", "is not":
		r.lo, r.hi = lo, hi
	case "is before":
		r.lo, r.hi = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), lo
	case "is after":
		r.lo, r.hi = hi, time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	return nil
}

func unitOf(unit string) string {
	u := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(unit)), "s")
	switch u {
	case "day", "week", "month", "quarter", "year":
		return u
	}
	return ""
}

// shift moves t by n units.
func shift(t time.Time, unit string, n int) (time.Time, error) {
	switch unitOf(unit) {
	case "day":
		return t.AddDate(0, 0, n), nil
	case "week":
		return t.AddDate(0, 0, 7*n), nil
	case "month":
		return t.AddDate(0, n, 0), nil
	case "quarter":
		return t.AddDate(0, 3*n, 0), nil
	case "year":
		return t.AddDate(n, 0, 0), nil
	}
	return time.Time{}, fmt.Errorf("type %q is not days, weeks, months or years", unit)
}

// currentPeriod is the week (from Sunday), month, quarter or year holding
// today.
func currentPeriod(today time.Time, unit string) (time.Time, time.Time, error) {
	switch unitOf(unit) {
	case "day":
		return today, today.AddDate(0, 0, 1), nil
	case "week":
		lo := today.AddDate(0, 0, -int(today.Weekday()))
		return lo, lo.AddDate(0, 0, 7), nil
	case "month":
		lo := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
		return lo, lo.AddDate(0, 1, 0), nil
	case "quarter":
		lo := time.Date(today.Year(), (today.Month()-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
		return lo, lo.AddDate(0, 3, 0), nil
	case "year":
		lo := time.Date(today.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		return lo, lo.AddDate(1, 0, 0), nil
	}
	return time.Time{}, time.Time{}, fmt.Errorf("type %q is not week, month, quarter or year", unit)
}

// negated operators match records whose value is blank.
func negated(op string) bool { return op == "is not" || op == "does not contain" }

func (r *rule) match(keys []keySlot, rc *rec) bool {
	if r.isID {
		eq := strings.EqualFold(rc.id, r.text)
		return eq == (r.op == "is")
	}
	raw, formatted := rc.value(keys, r.raw), rc.value(keys, r.fmt)
	blank := blankJSON(raw) && blankJSON(formatted)
	switch r.op {
	case "is blank":
		return blank || r.typedBlank(raw, formatted)
	case "is not blank":
		return !blank && !r.typedBlank(raw, formatted)
	}
	if blank {
		return negated(r.op)
	}
	switch r.kind {
	case kindNumber:
		n, ok := numberOf(raw, formatted)
		if !ok {
			return negated(r.op)
		}
		switch r.op {
		case "is":
			return n == r.num
		case "is not":
			return n != r.num
		case "higher than":
			return n > r.num
		case "lower than":
			return n < r.num
		}
	case kindBool:
		b, ok := boolOf(raw, formatted)
		if !ok {
			return negated(r.op)
		}
		return (b == r.boolV) == (r.op == "is")
	case kindChoice:
		values := choicesOf(raw, formatted)
		switch r.op {
		case "is", "is not":
			hit := false
			for _, v := range values {
				if r.fold(v) == r.text {
					hit = true
					break
				}
			}
			return hit == (r.op == "is")
		case "is any":
			for _, v := range values {
				for _, t := range r.texts {
					if r.fold(v) == t {
						return true
					}
				}
			}
			return false
		case "contains", "does not contain":
			hit := strings.Contains(r.fold(strings.Join(values, ", ")), r.text)
			return hit == (r.op == "contains")
		}
	case kindConn:
		refs := connectionsOf(raw)
		hit := false
		for _, c := range refs {
			switch r.op {
			case "is", "is not":
				hit = hit || strings.EqualFold(c.ID, r.text)
			default:
				hit = hit || strings.EqualFold(c.ID, r.text) || strings.Contains(r.fold(c.Identifier), r.text)
			}
		}
		return hit == (r.op == "is" || r.op == "contains")
	case kindDate:
		t, ok := dateOf(raw, formatted)
		if !ok {
			return negated(r.op)
		}
		in := !t.Before(r.lo) && t.Before(r.hi)
		return in == (r.op != "is not")
	default:
		s := r.fold(plainText(r.typ, raw, formatted))
		switch r.op {
		case "is":
			return s == r.text
		case "is not":
			return s != r.text
		case "contains":
			return strings.Contains(s, r.text)
		case "does not contain":
			return !strings.Contains(s, r.text)
		case "starts with":
			return strings.HasPrefix(s, r.text)
		case "ends with":
			return strings.HasSuffix(s, r.text)
		}
	}
	return false
}

// typedBlank catches values that are present but empty for their type
// (a name object with no parts, an empty connection array).
func (r *rule) typedBlank(raw, formatted []byte) bool {
	switch r.kind {
	case kindConn:
		return len(connectionsOf(raw)) == 0
	case kindChoice:
		return len(choicesOf(raw, formatted)) == 0
	case kindText:
		return strings.TrimSpace(plainText(r.typ, raw, formatted)) == ""
	}
	return bytes.Equal(raw, []byte(`""`)) && len(formatted) == 0
}
