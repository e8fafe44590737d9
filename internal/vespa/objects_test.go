package vespa

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Every object of the registry has its SQL file, with the stage section
// the store runs first, and every named parameter its SQL uses is one the
// store gives every statement (@object, @run_id, @today) or one of the
// object's Params: a parameter nobody supplies would be NULL, and match
// nothing, silently. The unowned section runs outside a batch, with
// @object and @today only.
func TestObjectsSQL(t *testing.T) {
	t.Parallel()
	files, err := fs.Glob(SQL, "sql/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(Objects) {
		t.Errorf("%d SQL files for %d objects", len(files), len(Objects))
	}
	param := regexp.MustCompile(`@([a-z_]+)`)
	keys := map[string]bool{}
	for _, o := range Objects {
		if keys[o.Key] || o.Script != strings.ReplaceAll(o.Key, "_", "") {
			t.Errorf("%s: script %q, want one object, one name (objectN)", o.Key, o.Script)
		}
		keys[o.Key] = true
		b, err := fs.ReadFile(SQL, "sql/"+o.Script+".sql")
		if err != nil {
			t.Errorf("%s: %v", o.Key, err)
			continue
		}
		text := string(b)
		used := map[string]bool{}
		if !strings.Contains(text, "-- name: stage\n") {
			t.Errorf("%s: sql/%s.sql has no stage section", o.Key, o.Script)
		}
		for _, part := range strings.Split(text, "-- name: ")[1:] {
			name, body, _ := strings.Cut(part, "\n")
			for _, m := range param.FindAllStringSubmatch(stripComments(body), -1) {
				p := m[1]
				used[p] = true
				_, given := o.Params[p]
				switch {
				case name == "unowned" && p != "object" && p != "today":
					t.Errorf("%s: sql/%s.sql, unowned: @%s is not given outside a batch", o.Key, o.Script, p)
				case !given && !slices.Contains([]string{"object", "run_id", "today"}, p):
					t.Errorf("%s: sql/%s.sql, %s: @%s is not among the object's Params", o.Key, o.Script, name, p)
				}
			}
		}
		for p := range o.Params {
			if !used[p] {
				t.Errorf("%s: param %q is not used by sql/%s.sql", o.Key, p, o.Script)
			}
		}
	}
}

func stripComments(sql string) string {
	var b strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// The registry keeps the dependency order of the sync: an object comes
// after the objects whose rows its SQL resolves (establishments first,
// results before questionnaires, accounts before profiles).
func TestObjectsOrder(t *testing.T) {
	t.Parallel()
	var got []string
	for _, o := range Objects {
		got = append(got, o.Key)
	}
	want := []string{"object_2", "object_10", "object_29", "object_5", "object_21", "object_3", "object_112"}
	if !slices.Equal(got, want) {
		t.Errorf("Objects = %v, want %v", got, want)
	}
}
