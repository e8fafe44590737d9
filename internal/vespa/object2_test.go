package vespa

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestProjectObject2(t *testing.T) {
	t.Parallel()
	f := Object2
	const id = "5a1000000000000000000009"
	tests := []struct {
		name       string
		fields     []kv
		want       EstablishmentRow
		wantIssues []string
	}{
		{
			"full record",
			[]kv{
				raw(f.Name, "Northfield Academy"), fmtd(f.Name, "Northfield Academy"),
				raw(f.Status, "Active"), raw(f.PortalType, "COACHING PORTAL"),
				raw(f.IsAustralian, false), fmtd(f.IsAustralian, "No"),
				raw(f.UseStandardYear, ""), fmtd(f.UseStandardYear, ""),
			},
			EstablishmentRow{KnackID: id, Name: "Northfield Academy", Status: "Active", PortalType: "COACHING PORTAL"},
			nil,
		},
		{
			"Australian, calendar year",
			[]kv{raw(f.Name, "Coastal College"), raw(f.IsAustralian, true), raw(f.UseStandardYear, false)},
			EstablishmentRow{KnackID: id, Name: "Coastal College", IsAustralian: true, UseStandardYear: ptr(false)},
			nil,
		},
		{
			"yes/no as text",
			[]kv{raw(f.Name, "Harbour High"), fmtd(f.IsAustralian, "Yes"), raw(f.UseStandardYear, "True")},
			EstablishmentRow{KnackID: id, Name: "Harbour High", IsAustralian: true, UseStandardYear: ptr(true)},
			nil,
		},
		{
			"cancelled resource portal is still mirrored",
			[]kv{raw(f.Name, "Old School"), raw(f.Status, "Cancelled"), raw(f.PortalType, []string{"RESOURCE PORTAL"})},
			EstablishmentRow{KnackID: id, Name: "Old School", Status: "Cancelled", PortalType: "RESOURCE PORTAL"},
			nil,
		},
		{
			"EMPTY name: fallback field_11",
			[]kv{raw(f.Name, "empty"), raw(f.NameFallback, "Fallback College")},
			EstablishmentRow{KnackID: id, Name: "Fallback College"},
			nil,
		},
		{
			"both empty: identifier",
			[]kv{raw(f.Name, " EMPTY "), raw(f.NameFallback, ""), {"identifier", "Ident School"}},
			EstablishmentRow{KnackID: id, Name: "Ident School"},
			nil,
		},
		{
			"nothing: from the id",
			[]kv{raw(f.Name, ""), raw(f.NameFallback, "Empty")},
			EstablishmentRow{KnackID: id, Name: "Establishment 5a100000"},
			nil,
		},
		{
			"name text kept as given, NUL removed",
			[]kv{raw(f.Name, "St Mary\u0000's & All Saints ")},
			EstablishmentRow{KnackID: id, Name: "St Mary's & All Saints "},
			nil,
		},
		{
			"unreadable flags reported",
			[]kv{raw(f.Name, "Odd School"), raw(f.IsAustralian, "maybe"), raw(f.UseStandardYear, "sometimes")},
			EstablishmentRow{KnackID: id, Name: "Odd School"},
			[]string{"bad_value field_3573 maybe", "bad_value field_3752 sometimes"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			row, issues := ProjectObject2(record(t, id, tt.fields...))
			if diff := cmp.Diff(tt.want, row); diff != "" {
				t.Errorf("row mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantIssues, issueKeys(issues)); diff != "" {
				t.Errorf("issues mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(EstablishmentInfo{Name: row.Name, IsAustralian: row.IsAustralian, UseStandardYear: row.UseStandardYear}, row.Info()); diff != "" {
				t.Errorf("Info mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
