package httpapi

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// GET /issues.csv: every open issue (not the page's first 200), masked as
// on the page, filtered by rule like the page, safe to open in a
// spreadsheet.
func TestIssuesCSV(t *testing.T) {
	t.Parallel()
	b := setup(t)
	runs := b.seed(t) // 5 issues, e-mails and markup in them
	const extra = 300
	if _, err := b.pool.Exec(context.Background(), `INSERT INTO knacksync.data_issues (object, record_id, rule, field, value, run_id, first_seen_at, last_seen_at)
		SELECT 'object_29', lpad(to_hex(1000 + i), 24, '0'), 'bad_answer', 'field_1953', i::text, $1, $2::timestamptz - make_interval(days => 1, secs => i), $2
		FROM generate_series(1, $3::int) i`, runs[1], testNow, extra); err != nil {
		t.Fatal(err)
	}
	if _, err := b.pool.Exec(context.Background(), `INSERT INTO knacksync.data_issues (object, record_id, rule, field, value, detail, first_seen_at, last_seen_at)
		VALUES ('object_10', $1, 'bad_value', 'field_223', '=HYPERLINK("http://evil.example","x")', '@SUM(A1)', $2, $2)`,
		recordID(9), testNow.Add(-30*24*3600e9)); err != nil {
		t.Fatal(err)
	}

	get := func(path string) (*http.Response, [][]string) {
		t.Helper()
		rec := b.serve(getAdmin(path))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
		rows, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
		if err != nil {
			t.Fatalf("GET %s: not CSV: %v", path, err)
		}
		return rec.Result(), rows
	}
	resp, rows := get("/issues.csv")
	body := func() string {
		var b strings.Builder
		for _, r := range rows {
			b.WriteString(strings.Join(r, ",") + "\n")
		}
		return b.String()
	}()

	t.Run("headers", func(t *testing.T) {
		for k, want := range map[string]string{
			"Content-Type":        "text/csv; charset=utf-8",
			"Content-Disposition": `attachment; filename="knacksync-issues.csv"`,
			"Cache-Control":       "no-store",
		} {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		if resp.Header.Get("Content-Security-Policy") != contentSecurityPolicy {
			t.Errorf("the CSV lost the security headers")
		}
	})

	t.Run("all of them", func(t *testing.T) {
		want := []string{"object", "object_name", "record_id", "duplicate_of", "rule", "field", "field_name",
			"value", "detail", "run_id", "first_seen_at", "last_seen_at"}
		if diff := cmp.Diff(want, rows[0]); diff != "" {
			t.Errorf("header mismatch (-want +got):\n%s", diff)
		}
		if got := len(rows) - 1; got != 5+extra+1 {
			t.Errorf("%d issues, want %d (all, past the page's %d)", got, 5+extra+1, issueLimit)
		}
	})

	t.Run("masked as on the page", func(t *testing.T) {
		for _, leak := range []string{"Jane.Doe", "jane.doe", "john.smith", "mia.jones", "mailto:"} {
			if strings.Contains(body, leak) {
				t.Errorf("CSV shows %q", leak)
			}
		}
		// The same values as the page's JSON, issue by issue.
		var page statusPage
		if err := json.Unmarshal(b.serve(getAdmin("/api/status")).Body.Bytes(), &page); err != nil {
			t.Fatal(err)
		}
		byRecord := map[string][]string{}
		for _, r := range rows[1:] {
			byRecord[r[2]] = r
		}
		for _, i := range page.DataIssues.Items {
			r := byRecord[i.RecordID]
			if r == nil {
				t.Errorf("%s: on the page, not in the CSV", i.RecordID)
				continue
			}
			got := []string{r[0], r[1], r[3], r[4], r[5], r[6], r[7], r[8]}
			want := []string{i.Object, i.ObjectName, i.DuplicateOf, i.Rule, i.Field, i.FieldName, cell(i.Value), cell(i.Detail)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: CSV and page differ (-page +csv):\n%s", i.RecordID, diff)
			}
		}
		email := byRecord[recordID(1)]
		if email[7] != "J***@School.example" || email[6] != "Email (field_197)" || email[1] != "Results (object_10)" {
			t.Errorf("e-mail issue = %q", email)
		}
	})

	t.Run("duplicates name both records", func(t *testing.T) {
		d := byRecord(rows, recordID(5))
		if d[3] != recordID(6) || d[6] != "the same student e-mail in 2025/2026" || d[7] != "m***@wattle.example" {
			t.Errorf("duplicate = %q, want it to name %s as kept", d, recordID(6))
		}
	})

	t.Run("no formulas", func(t *testing.T) {
		r := byRecord(rows, recordID(9))
		if r[7] != `'=HYPERLINK("http://evil.example","x")` || r[8] != "'@SUM(A1)" {
			t.Errorf("value %q, detail %q: want them quoted so no spreadsheet runs them", r[7], r[8])
		}
	})

	t.Run("filter by rule", func(t *testing.T) {
		resp, rows := get("/issues.csv?rule=bad_answer")
		if got := len(rows) - 1; got != extra {
			t.Errorf("?rule=bad_answer: %d rows, want %d", got, extra)
		}
		for _, r := range rows[1:] {
			if r[4] != "bad_answer" {
				t.Errorf("?rule=bad_answer: a %s row", r[4])
			}
		}
		if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="knacksync-issues-bad_answer.csv"` {
			t.Errorf("Content-Disposition %q", cd)
		}
		if _, rows := get("/issues.csv?rule=no_such_rule"); len(rows) != 1 {
			t.Errorf("an empty filter: %d rows, want the header alone", len(rows))
		}
		for _, bad := range []string{"/issues.csv?rule=%3Cscript%3E", "/issues.csv?rule=a%20b"} {
			if rec := b.serve(getAdmin(bad)); rec.Code != http.StatusBadRequest {
				t.Errorf("%s: %d, want 400", bad, rec.Code)
			}
		}
	})
}

// byRecord is the CSV row of a record id.
func byRecord(rows [][]string, id string) []string {
	for _, r := range rows[1:] {
		if r[2] == id {
			return r
		}
	}
	return make([]string, len(rows[0]))
}
