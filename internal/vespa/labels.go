package vespa

// Names for people: the status page, its CSV and reports say "Results
// (object_10)" and "Email (field_197)" rather than bare Knack ids. The
// labels are attached to the map's own members (each object's Label and
// its file's labels function), so that a field id changed in the map
// keeps its name.

// objectLabels names each object of the map; fieldLabels each field, by
// object and field key.
var objectLabels, fieldLabels = func() (map[string]string, map[string]map[string]string) {
	objects := map[string]string{}
	fields := map[string]map[string]string{}
	for _, o := range Objects {
		objects[o.Key] = o.Label
		m := map[string]string{}
		o.labels(func(f Field, label string) { m[f.Key] = label })
		fields[o.Key] = m
	}
	return objects, fields
}()

// ObjectLabel is an object's name for a person ("Results"), or "" when the
// object is not in the map.
func ObjectLabel(object string) string { return objectLabels[object] }

// FieldLabel is a field's name for a person ("Email"), or "" when the
// field is not in the object's map.
func FieldLabel(object, field string) string { return fieldLabels[object][field] }
