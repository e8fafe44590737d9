package vespa_test

import (
	"testing"

	"knacksync/internal/doctor"
	"knacksync/internal/vespa"
)

// Every object and field the sync reads has a name for a person: a field
// added to the map without one fails here, not on the status page.
func TestLabelsCoverTheMap(t *testing.T) {
	t.Parallel()
	for _, o := range doctor.FieldMap() {
		if vespa.ObjectLabel(o.Key) == "" {
			t.Errorf("%s has no label", o.Key)
		}
		for _, f := range o.Fields {
			if vespa.FieldLabel(o.Key, f.Key) == "" {
				t.Errorf("%s %s (%s) has no label", o.Key, f.Key, f.Type)
			}
		}
	}
}

func TestLabels(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ object, field, wantObject, wantField string }{
		{"object_10", "field_197", "Results", "Email"},
		{"object_10", "field_155", "Results", "Cycle 1 vision score"},
		{"object_10", "field_172", "Results", "Cycle 3 overall score"},
		{"object_29", "field_1953", "Questionnaires", "Cycle 1 answer q1"},
		{"object_29", "field_2732", "Questionnaires", "Email"},
		{"object_2", "field_44", "Establishments", "Name"},
		{"object_5", "field_86", "Staff admins", "Email"},
		{"object_21", "field_473", "Super users", "Email"},
		{"object_3", "field_70", "Accounts", "Email"},
		{"object_112", "field_3080", "Academic profiles", "Subject 1"},
		{"object_99", "field_1", "", ""},
	} {
		if got := vespa.ObjectLabel(tt.object); got != tt.wantObject {
			t.Errorf("ObjectLabel(%s) = %q, want %q", tt.object, got, tt.wantObject)
		}
		if got := vespa.FieldLabel(tt.object, tt.field); got != tt.wantField {
			t.Errorf("FieldLabel(%s, %s) = %q, want %q", tt.object, tt.field, got, tt.wantField)
		}
	}
}
