package knack

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFilterJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		filter *Filter
		want   string
	}{
		{
			name: "documented example",
			filter: And(
				Rule{Field: "field_1", Operator: OpIs, Value: "test"},
				Rule{Field: "field_2", Operator: OpIsNotBlank},
				Rule{Field: "field_12", Operator: OpIsDuringThePrevious, Range: 7, Type: RangeDays},
			),
			want: `{"match":"and","rules":[` +
				`{"field":"field_1","operator":"is","value":"test"},` +
				`{"field":"field_2","operator":"is not blank"},` +
				`{"field":"field_12","operator":"is during the previous","range":7,"type":"days"}]}`,
		},
		{
			name:   "legacy establishment filter as a bare array",
			filter: BareAnd(Rule{Field: "field_2209", Operator: OpIsNot, Value: "Cancelled"}, Rule{Field: "field_63", Operator: OpContains, Value: "COACHING PORTAL"}),
			want:   `[{"field":"field_2209","operator":"is not","value":"Cancelled"},{"field":"field_63","operator":"contains","value":"COACHING PORTAL"}]`,
		},
		{
			name: "on or after a date (OR of is and is after)",
			filter: Or(
				Rule{Field: "field_400", Operator: OpIs, Value: "01/31/2024"},
				Rule{Field: "field_400", Operator: OpIsAfter, Value: "01/31/2024"},
			),
			want: `{"match":"or","rules":[{"field":"field_400","operator":"is","value":"01/31/2024"},{"field":"field_400","operator":"is after","value":"01/31/2024"}]}`,
		},
		{
			name: "nested group",
			filter: And(
				Rule{Field: "field_2209", Operator: OpIsNot, Value: "Cancelled"},
				Or(
					Rule{Field: "field_63", Operator: OpContains, Value: "coaching portal"},
					Rule{Field: "field_63", Operator: OpIsBlank},
				),
			),
			want: `{"match":"and","rules":[{"field":"field_2209","operator":"is not","value":"Cancelled"},` +
				`{"match":"or","rules":[{"field":"field_63","operator":"contains","value":"coaching portal"},{"field":"field_63","operator":"is blank"}]}]}`,
		},
		{
			name: "empty string, false and zero values are sent",
			filter: And(
				Rule{Field: "field_1", Operator: OpIs, Value: ""},
				Rule{Field: "field_2", Operator: OpIs, Value: false},
				Rule{Field: "field_3", Operator: OpHigherThan, Value: 0},
			),
			want: `{"match":"and","rules":[{"field":"field_1","operator":"is","value":""},{"field":"field_2","operator":"is","value":false},{"field":"field_3","operator":"higher than","value":0}]}`,
		},
		{
			name: "operators without a value drop one given by mistake",
			filter: And(
				Rule{Field: "field_1", Operator: OpIsBlank, Value: "x"},
				Rule{Field: "field_2", Operator: OpIsToday, Value: "01/01/2024"},
				Rule{Field: "field_3", Operator: OpIsDuringTheCurrent, Type: RangeQuarter},
			),
			want: `{"match":"and","rules":[{"field":"field_1","operator":"is blank"},{"field":"field_2","operator":"is today"},{"field":"field_3","operator":"is during the current","type":"quarter"}]}`,
		},
		{
			name:   "nil value is left out",
			filter: Or(Rule{Field: "id", Operator: OpIs}),
			want:   `{"match":"or","rules":[{"field":"id","operator":"is"}]}`,
		},
		{
			name:   "connection by record id, near with a range",
			filter: And(Rule{Field: "field_50", Operator: OpIs, Value: "5ea46ad2b6ce4b0015000ae8"}, Rule{Field: "field_9", Operator: OpNear, Value: "78754", Range: 10}),
			want:   `{"match":"and","rules":[{"field":"field_50","operator":"is","value":"5ea46ad2b6ce4b0015000ae8"},{"field":"field_9","operator":"near","value":"78754","range":10}]}`,
		},
		{
			name:   "empty group",
			filter: And(),
			want:   `{"match":"and","rules":[]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := json.Marshal(tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFilterJSONErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		filter *Filter
	}{
		{"rule without field", And(Rule{Operator: OpIs, Value: "x"})},
		{"rule without operator", And(Rule{Field: "field_1"})},
		{"bad match", &Filter{Match: "xor", Rules: []Condition{Rule{Field: "field_1", Operator: OpIsBlank}}}},
		{"zero filter", &Filter{}},
		{"bare array with a group", &Filter{Match: MatchAnd, bare: true, Rules: []Condition{Or(Rule{Field: "field_1", Operator: OpIsBlank})}}},
		{"error in a nested group", And(Or(Rule{Field: "", Operator: OpIs}))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if b, err := json.Marshal(tt.filter); err == nil {
				t.Errorf("Marshal = %s, want an error", b)
			}
		})
	}
}

func TestOperatorTakesValue(t *testing.T) {
	t.Parallel()
	with := []Operator{OpContains, OpDoesNotContain, OpIs, OpIsNot, OpStartsWith, OpEndsWith, OpNear,
		OpHigherThan, OpLowerThan, OpIsAny, OpIsBefore, OpIsAfter, Operator("some future operator")}
	without := []Operator{OpIsBlank, OpIsNotBlank, OpIsToday, OpIsTodayOrBefore, OpIsTodayOrAfter,
		OpIsBeforeToday, OpIsAfterToday, OpIsBeforeCurrentTime, OpIsAfterCurrentTime,
		OpIsDuringTheCurrent, OpIsDuringThePrevious, OpIsDuringTheNext, OpIsBeforeThePrevious, OpIsAfterTheNext}
	for _, o := range with {
		if !o.TakesValue() {
			t.Errorf("%q.TakesValue() = false, want true", o)
		}
	}
	for _, o := range without {
		if o.TakesValue() {
			t.Errorf("%q.TakesValue() = true, want false", o)
		}
	}
}
