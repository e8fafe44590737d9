package vespa

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestProjectObject5(t *testing.T) {
	t.Parallel()
	f := Object5
	const id = "5b0500000000000000000001"
	tests := []struct {
		name       string
		fields     []kv
		want       StaffRow
		wantOK     bool
		wantIssues []string
	}{
		{
			"full",
			[]kv{
				raw(f.Email, emailRaw("R.Patel@Northfield.example")),
				raw(f.Name, map[string]string{"first": "Rita", "last": "Patel"}),
				raw(f.Establishment, connRaw(estUK)),
			},
			StaffRow{KnackID: id, Email: "r.patel@northfield.example", Name: "Rita Patel", EstablishmentKnackID: estUK},
			true, nil,
		},
		{
			"HTML email, no establishment (not reported)",
			[]kv{
				fmtd(f.Email, `<a href="mailto:T.Obi@Coastal.example">T.Obi@Coastal.example</a>`),
				fmtd(f.Name, "Tunde Obi"),
				raw(f.Establishment, []string{}),
			},
			StaffRow{KnackID: id, Email: "t.obi@coastal.example", Name: "Tunde Obi"},
			true, nil,
		},
		{
			"unknown establishment reported",
			[]kv{raw(f.Email, emailRaw("x@y.example")), raw(f.Establishment, connRaw(estGone))},
			StaffRow{KnackID: id, Email: "x@y.example"},
			true, []string{"unknown_establishment field_110 " + estGone},
		},
		{
			"no email: no row",
			[]kv{raw(f.Email, emailRaw("")), raw(f.Name, map[string]string{"full": "Nobody"})},
			StaffRow{}, false, []string{"bad_email field_86 "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			row, issues, ok := ProjectObject5(record(t, id, tt.fields...), testContext())
			if ok != tt.wantOK {
				t.Errorf("ok = %v, want %v", ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.want, row); diff != "" {
				t.Errorf("row mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantIssues, issueKeys(issues)); diff != "" {
				t.Errorf("issues mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
