package doctor

import (
	"fmt"
	"reflect"

	"knacksync/internal/vespa"
)

// MappedObject is one object of the VESPA map and the fields read from it.
type MappedObject struct {
	Key    string // object_N
	Fields []vespa.Field
}

// fieldMaps are the per-object field maps the sync reads.
var fieldMaps = []any{
	vespa.Establishments,
	vespa.Accounts,
	vespa.Staff,
	vespa.Results,
	vespa.SuperUsers,
	vespa.Questionnaires,
	vespa.Profiles,
}

// FieldMap lists every field of the VESPA map, object by object, each key
// once. It walks the map structs by reflection rather than naming their
// members, so that a field added to a map is checked without anyone
// remembering to add it here too.
func FieldMap() []MappedObject {
	var out []MappedObject
	for _, m := range fieldMaps {
		v := reflect.ValueOf(m)
		obj := MappedObject{Key: v.FieldByName("Object").String()}
		if obj.Key == "" {
			panic(fmt.Sprintf("doctor: field map %T has no Object", m))
		}
		seen := map[string]bool{}
		collectFields(v, func(f vespa.Field) {
			if !seen[f.Key] {
				seen[f.Key] = true
				obj.Fields = append(obj.Fields, f)
			}
		})
		out = append(out, obj)
	}
	return out
}

var fieldType = reflect.TypeFor[vespa.Field]()

// collectFields calls fn for every vespa.Field inside v: struct members,
// arrays and slices of them, at any depth.
func collectFields(v reflect.Value, fn func(vespa.Field)) {
	switch {
	case v.Type() == fieldType:
		if f := v.Interface().(vespa.Field); f.Key != "" {
			fn(f)
		}
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				collectFields(v.Field(i), fn)
			}
		}
	case v.Kind() == reflect.Array || v.Kind() == reflect.Slice:
		for i := range v.Len() {
			collectFields(v.Index(i), fn)
		}
	}
}
