package knack

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Operator is a Knack filter operator (docs/knack-api.md §3.2). Which operators a
// field accepts depends on its type; the client does not check that.
type Operator string

// Text-like fields (short/paragraph/rich text, name, email, phone, currency,
// auto increment, text formula); several also apply to other types.
const (
	OpContains       Operator = "contains"
	OpDoesNotContain Operator = "does not contain"
	OpIs             Operator = "is"
	OpIsNot          Operator = "is not"
	OpStartsWith     Operator = "starts with"
	OpEndsWith       Operator = "ends with"
	OpIsBlank        Operator = "is blank"
	OpIsNotBlank     Operator = "is not blank"
)

// Address proximity; value is an address or zip, with Range.
const OpNear Operator = "near"

// Numbers, ratings, timers, formulas.
const (
	OpHigherThan Operator = "higher than"
	OpLowerThan  Operator = "lower than"
)

// Multiple choice.
const OpIsAny Operator = "is any"

// Dates. Values are "MM/DD/YYYY" or "MM/DD/YYYY HH:mm", compared in the app's
// timezone. The relative operators take Range and Type instead of a value.
const (
	OpIsBefore            Operator = "is before"
	OpIsAfter             Operator = "is after"
	OpIsToday             Operator = "is today"
	OpIsTodayOrBefore     Operator = "is today or before"
	OpIsTodayOrAfter      Operator = "is today or after"
	OpIsBeforeToday       Operator = "is before today"
	OpIsAfterToday        Operator = "is after today"
	OpIsBeforeCurrentTime Operator = "is before current time"
	OpIsAfterCurrentTime  Operator = "is after current time"
	OpIsDuringTheCurrent  Operator = "is during the current"  // Type: week, month, quarter, year
	OpIsDuringThePrevious Operator = "is during the previous" // Range + Type: days, weeks, months, years
	OpIsDuringTheNext     Operator = "is during the next"
	OpIsBeforeThePrevious Operator = "is before the previous"
	OpIsAfterTheNext      Operator = "is after the next"
)

// TakesValue reports whether rules with this operator carry a "value". Blank
// checks, "today"/"current time" comparisons and the relative date operators
// do not; unknown operators are assumed to.
func (o Operator) TakesValue() bool {
	switch o {
	case OpIsBlank, OpIsNotBlank,
		OpIsToday, OpIsTodayOrBefore, OpIsTodayOrAfter, OpIsBeforeToday, OpIsAfterToday,
		OpIsBeforeCurrentTime, OpIsAfterCurrentTime,
		OpIsDuringTheCurrent, OpIsDuringThePrevious, OpIsDuringTheNext,
		OpIsBeforeThePrevious, OpIsAfterTheNext:
		return false
	}
	return true
}

// RangeType is the unit of a relative date rule.
type RangeType string

// Units for "is during the previous/next", "is before the previous", "is
// after the next" (plural) and "is during the current" (singular).
const (
	RangeDays    RangeType = "days"
	RangeWeeks   RangeType = "weeks"
	RangeMonths  RangeType = "months"
	RangeYears   RangeType = "years"
	RangeWeek    RangeType = "week"
	RangeMonth   RangeType = "month"
	RangeQuarter RangeType = "quarter"
	RangeYear    RangeType = "year"
)

// Match says how a group combines its rules.
type Match string

// Group combinators.
const (
	MatchAnd Match = "and"
	MatchOr  Match = "or"
)

// Condition is a Rule or a nested *Filter group.
type Condition interface {
	isCondition()
}

// Rule is one filter rule. It marshals to {"field","operator","value",
// "range","type"}, leaving out "value" when the operator takes none (or Value
// is nil) and "range"/"type" when zero.
type Rule struct {
	Field    string // field_N, or "id"
	Operator Operator
	Value    any // string, number, bool; a record id for connections
	Range    int
	Type     RangeType
}

func (Rule) isCondition() {}

// MarshalJSON writes the rule in Knack's shape.
func (r Rule) MarshalJSON() ([]byte, error) {
	if r.Field == "" {
		return nil, errors.New("knack filter rule without field")
	}
	if r.Operator == "" {
		return nil, fmt.Errorf("knack filter rule on %s without operator", r.Field)
	}
	out := struct {
		Field    string    `json:"field"`
		Operator Operator  `json:"operator"`
		Value    any       `json:"value,omitempty"`
		Range    int       `json:"range,omitempty"`
		Type     RangeType `json:"type,omitempty"`
	}{Field: r.Field, Operator: r.Operator, Range: r.Range, Type: r.Type}
	if r.Operator.TakesValue() && r.Value != nil {
		// Wrapped so that an empty string or false is still sent: "is ''" is
		// a real rule, and omitempty would drop it.
		out.Value = jsonValue{r.Value}
	}
	return json.Marshal(out)
}

// jsonValue is non-empty for omitempty whatever it holds.
type jsonValue struct{ v any }

func (j jsonValue) MarshalJSON() ([]byte, error) { return json.Marshal(j.v) }

// Filter is a group {"match": "and"|"or", "rules": [...]}; rules may be
// nested groups. Build one with And, Or or BareAnd.
//
// Whether Knack evaluates nested groups is unverified (docs/knack-api.md §3.4);
// for production queries prefer a flat group.
type Filter struct {
	Match Match
	Rules []Condition
	// bare marks the old array form, [rule, rule, ...], which Knack treats as
	// AND.
	bare bool
}

func (*Filter) isCondition() {}

// And is a group that matches when every condition does.
func And(conds ...Condition) *Filter { return &Filter{Match: MatchAnd, Rules: conds} }

// Or is a group that matches when any condition does.
func Or(conds ...Condition) *Filter { return &Filter{Match: MatchOr, Rules: conds} }

// BareAnd is the legacy form, a bare JSON array of rules that Knack treats
// as AND. The old Python sync sent its establishment filter this way; it is
// here so that tests can pin what that filter did. It cannot hold groups.
func BareAnd(rules ...Rule) *Filter {
	conds := make([]Condition, len(rules))
	for i, r := range rules {
		conds[i] = r
	}
	return &Filter{Match: MatchAnd, Rules: conds, bare: true}
}

// MarshalJSON writes {"match","rules"} or, for BareAnd, the bare array.
func (f *Filter) MarshalJSON() ([]byte, error) {
	rules := f.Rules
	if rules == nil {
		rules = []Condition{}
	}
	if f.bare {
		for _, c := range rules {
			switch c.(type) {
			case Rule, *Rule:
			default:
				return nil, errors.New("knack filter: a bare-array filter cannot hold groups")
			}
		}
		return json.Marshal(rules)
	}
	if f.Match != MatchAnd && f.Match != MatchOr {
		return nil, fmt.Errorf("knack filter: match %q is neither %q nor %q", f.Match, MatchAnd, MatchOr)
	}
	return json.Marshal(struct {
		Match Match       `json:"match"`
		Rules []Condition `json:"rules"`
	}{f.Match, rules})
}
