package vespa

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestProjectStaff(t *testing.T) {
	t.Parallel()
	f := Staff
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
			row, issues, ok := ProjectStaff(record(t, id, tt.fields...), testContext())
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

func TestProjectSuperUser(t *testing.T) {
	t.Parallel()
	f := SuperUsers
	const id = "5b2100000000000000000001"
	row, issues, ok := ProjectSuperUser(record(t, id,
		fmtd(f.Email, `<a href="mailto:Admin@Vespa.example">Admin@Vespa.example</a>`),
		raw(f.Name, map[string]string{"full": "Ada Admin"}),
	))
	if diff := cmp.Diff(SuperUserRow{KnackID: id, Email: "Admin@Vespa.example", Name: "Ada Admin"}, row); diff != "" || !ok || len(issues) > 0 {
		t.Errorf("row mismatch (-want +got):\n%s\nok %v issues %v", diff, ok, issueKeys(issues))
	}
	row, issues, ok = ProjectSuperUser(record(t, id, raw(f.Email, "not-an-email")))
	if ok || row != (SuperUserRow{}) {
		t.Errorf("got a row %+v for an invalid email", row)
	}
	if diff := cmp.Diff([]string{"bad_email field_473 not-an-email"}, issueKeys(issues)); diff != "" {
		t.Errorf("issues mismatch (-want +got):\n%s", diff)
	}
}

func TestProjectAccount(t *testing.T) {
	t.Parallel()
	f := Accounts
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
			gotID, email, issues := ProjectAccount(record(t, id, tt.fields...))
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
