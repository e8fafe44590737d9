package httpapi

import (
	"fmt"
	"strconv"
	"strings"

	"knacksync/internal/vespa"
)

// The status pages are read by a school's data manager, who knows
// "Results" and "Email", not object_10 and field_197: names come from the
// VESPA map (vespa.ObjectLabel, vespa.FieldLabel), with the id kept beside
// them for the Knack builder.

// objectName is "Results (object_10)", or the key alone when the map does
// not name it.
func objectName(object string) string {
	if l := vespa.ObjectLabel(object); l != "" {
		return l + " (" + object + ")"
	}
	return object
}

// fieldName is "Email (field_197)", or the field as given when the map
// does not name it (an issue's field may be an academic year, or empty).
func fieldName(object, field string) string {
	if l := vespa.FieldLabel(object, field); l != "" {
		return l + " (" + field + ")"
	}
	return field
}

// objectNames names a run's objects: "all 7 objects" for every object the
// service syncs, else each by name.
func objectNames(objects, all []string) string {
	if len(all) > 1 && len(objects) == len(all) {
		same := true
		for i := range objects {
			same = same && objects[i] == all[i]
		}
		if same {
			return fmt.Sprintf("all %d objects", len(all))
		}
	}
	names := make([]string, len(objects))
	for i, o := range objects {
		names[i] = objectName(o)
	}
	return strings.Join(names, ", ")
}

// duplicateKey says in words what a duplicate's claim key is: the claims
// of the results and the profiles are "YYYY/YYYY|e-mail", those of the
// questionnaires "YYYY/YYYY|student id|cycle" (store/sql/claims.sql). The
// e-mail itself is not repeated here: the value holds it, masked.
func duplicateKey(object, claim string) string {
	parts := strings.Split(claim, "|")
	switch {
	case len(parts) == 3:
		return fmt.Sprintf("the same student's cycle %s answers in %s", parts[2], parts[0])
	case len(parts) == 2:
		return "the same student e-mail in " + parts[0]
	}
	return "the same key"
}

// formatNumber writes an integer with thousands separators: 99,999,978.
func formatNumber(v any) string {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case *int64:
		if x == nil {
			return ""
		}
		n = *x
	default:
		return fmt.Sprint(v)
	}
	s := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return sign + b.String()
}
