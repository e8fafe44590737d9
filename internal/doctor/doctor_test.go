package doctor

import (
	"cmp"
	"errors"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"knacksync/internal/config"
	"knacksync/internal/knack"
	"knacksync/internal/knacksim/vespagen"
	"knacksync/internal/vespa"
)

// TestFieldMapMatchesGenerator cross-checks the mapping registry's fields against
// the simulator's schema, which vespagen builds from the map member by
// member.
func TestFieldMapMatchesGenerator(t *testing.T) {
	t.Parallel()
	type field struct{ Object, Key, Type, Target string }
	var want []field
	for _, o := range vespagen.Schema().Objects {
		for _, f := range o.Fields {
			ff := field{Object: o.Key, Key: f.Key, Type: f.Type}
			if f.Relationship != nil {
				ff.Target = f.Relationship.Object
			}
			want = append(want, ff)
		}
	}
	var got []field
	for _, o := range vespa.Objects {
		for _, f := range o.Fields() {
			got = append(got, field{o.Key, f.Key, f.Type, f.Object})
		}
	}
	sortFields := func(fs []field) {
		slices.SortFunc(fs, func(a, b field) int { return cmp.Compare(a.Object+"."+a.Key, b.Object+"."+b.Key) })
	}
	sortFields(want)
	sortFields(got)
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("FieldMap mismatch (-vespagen +doctor):\n%s", diff)
	}
	if len(got) != 170 {
		t.Errorf("FieldMap has %d fields, want 170", len(got))
	}
}

func TestFieldProblem(t *testing.T) {
	t.Parallel()
	obj := knack.ObjectSchema{Key: "object_10", Fields: []knack.FieldSchema{
		{Key: "field_197", Type: "email"},
		{Key: "field_187", Type: "short_text"},
		{Key: "field_133", Type: "connection", Relationship: &knack.FieldRelationship{Object: "object_2"}},
		{Key: "field_134", Type: "connection"},
	}}
	tests := []struct {
		field vespa.Field
		want  string
	}{
		{vespa.Field{Key: "field_197", Type: vespa.TypeEmail}, ""},
		{vespa.Field{Key: "field_187", Type: vespa.TypeName}, "expected name, found short_text"},
		{vespa.Field{Key: "field_999", Type: vespa.TypeNumber}, "missing (expected number)"},
		{vespa.Field{Key: "field_133", Type: vespa.TypeConnection, Object: "object_2"}, ""},
		{vespa.Field{Key: "field_133", Type: vespa.TypeConnection, Object: "object_3"}, "expected a connection to object_3, found one to object_2"},
		{vespa.Field{Key: "field_134", Type: vespa.TypeConnection, Object: "object_2"}, "expected a connection to object_2, found one without a target object"},
	}
	for _, tt := range tests {
		if got := fieldProblem(obj, tt.field); got != tt.want {
			t.Errorf("fieldProblem(%+v) = %q, want %q", tt.field, got, tt.want)
		}
	}
}

func TestConfigProblems(t *testing.T) {
	t.Parallel()
	_, err := config.Load(func(k string) string {
		return map[string]string{"PORT": "x", "KNACK_APP_ID": "app"}[k]
	})
	got := configProblems(err)
	want := []string{
		`PORT: "x" is not a port number (0-65535)`,
		"KNACK_APP_ID and KNACK_API_KEY: set both or neither",
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if got := configProblems(errors.New("one\n  two")); !gocmp.Equal(got, []string{"one two"}) {
		t.Errorf("plain error: %q", got)
	}
}

func TestScrubber(t *testing.T) {
	t.Parallel()
	scrub := scrubber(config.Config{
		DatabaseURL:   "postgres://u:dbpass@h/db",
		KnackAPIKey:   "knack-key",
		WebhookSecret: "hook-secret",
		AdminPassword: "admin-pass",
		SMTPURL:       "smtp://m:smtppass@h:25",
		SentryDSN:     "https://sentrykey@o1.ingest.sentry.io/2",
	})
	in := "dbpass knack-key hook-secret admin-pass smtppass sentrykey plain"
	if got, want := scrub(in), "xxxxx xxxxx xxxxx xxxxx xxxxx xxxxx plain"; got != want {
		t.Errorf("scrub = %q, want %q", got, want)
	}
}
