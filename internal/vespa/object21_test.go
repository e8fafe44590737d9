package vespa

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestProjectObject21(t *testing.T) {
	t.Parallel()
	f := Object21
	const id = "5b2100000000000000000001"
	row, issues, ok := ProjectObject21(record(t, id,
		fmtd(f.Email, `<a href="mailto:Admin@Vespa.example">Admin@Vespa.example</a>`),
		raw(f.Name, map[string]string{"full": "Ada Admin"}),
	))
	if diff := cmp.Diff(SuperUserRow{KnackID: id, Email: "Admin@Vespa.example", Name: "Ada Admin"}, row); diff != "" || !ok || len(issues) > 0 {
		t.Errorf("row mismatch (-want +got):\n%s\nok %v issues %v", diff, ok, issueKeys(issues))
	}
	row, issues, ok = ProjectObject21(record(t, id, raw(f.Email, "not-an-email")))
	if ok || row != (SuperUserRow{}) {
		t.Errorf("got a row %+v for an invalid email", row)
	}
	if diff := cmp.Diff([]string{"bad_email field_473 not-an-email"}, issueKeys(issues)); diff != "" {
		t.Errorf("issues mismatch (-want +got):\n%s", diff)
	}
}
