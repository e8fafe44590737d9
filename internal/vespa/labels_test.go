package vespa_test

import (
	"reflect"
	"testing"

	"knacksync/internal/vespa"
)

// Every object and field the sync reads has a name for a person, and every
// field of an object's map is in its Fields (which the labels give): a
// field added to a map struct without a label fails here, not on the
// status page or in `server doctor`. The maps are walked by reflection, so
// nobody has to remember to list a new member here.
func TestLabelsCoverTheMap(t *testing.T) {
	t.Parallel()
	maps := map[string]any{
		vespa.Object2.Object: vespa.Object2, vespa.Object3.Object: vespa.Object3, vespa.Object5.Object: vespa.Object5,
		vespa.Object10.Object: vespa.Object10, vespa.Object21.Object: vespa.Object21,
		vespa.Object29.Object: vespa.Object29, vespa.Object112.Object: vespa.Object112,
	}
	if len(maps) != len(vespa.Objects) {
		t.Fatalf("%d field maps here, %d objects in the registry", len(maps), len(vespa.Objects))
	}
	for _, o := range vespa.Objects {
		if vespa.ObjectLabel(o.Key) == "" {
			t.Errorf("%s has no label", o.Key)
		}
		listed := map[string]bool{}
		for _, f := range o.Fields() {
			listed[f.Key] = true
		}
		m, ok := maps[o.Key]
		if !ok {
			t.Fatalf("%s: no field map", o.Key)
		}
		walkFields(reflect.ValueOf(m), func(f vespa.Field) {
			if vespa.FieldLabel(o.Key, f.Key) == "" {
				t.Errorf("%s %s (%s) has no label", o.Key, f.Key, f.Type)
			}
			if !listed[f.Key] {
				t.Errorf("%s %s is in the map but not in Fields()", o.Key, f.Key)
			}
		})
	}
}

// walkFields calls fn for every vespa.Field inside v: struct members,
// arrays and slices of them, at any depth.
func walkFields(v reflect.Value, fn func(vespa.Field)) {
	switch {
	case v.Type() == reflect.TypeFor[vespa.Field]():
		if f := v.Interface().(vespa.Field); f.Key != "" {
			fn(f)
		}
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				walkFields(v.Field(i), fn)
			}
		}
	case v.Kind() == reflect.Array || v.Kind() == reflect.Slice:
		for i := range v.Len() {
			walkFields(v.Index(i), fn)
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
