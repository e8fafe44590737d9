package vespa

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestProjectObject3(t *testing.T) {
	t.Parallel()
	f := Object3
	const id = "5c3000000000000000000009"
	tests := []struct {
		name       string
		fields     []kv
		wantEmail  string
		wantIssues []string
	}{
		{"raw", []kv{raw(f.Email, emailRaw("Pat.Lee@Northfield.example"))}, "Pat.Lee@Northfield.example", nil},
		{"HTML anchor only", []kv{fmtd(f.Email, `<a href="mailto:pat@x.example">pat@x.example</a>`)}, "pat@x.example", nil},
		{"empty", []kv{raw(f.Email, emailRaw("")), fmtd(f.Email, "")}, "", []string{"bad_email field_70 "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gotID, email, issues := ProjectObject3(record(t, id, tt.fields...))
			if gotID != id {
				t.Errorf("id = %q, want %q", gotID, id)
			}
			if diff := cmp.Diff(tt.wantEmail, email); diff != "" {
				t.Errorf("email mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantIssues, issueKeys(issues)); diff != "" {
				t.Errorf("issues mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
