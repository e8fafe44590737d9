package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"knacksync/internal/vespa"
)

// Every value of an e-mail field is masked whole, whatever its shape: the
// first letter or digit of its text (outside HTML tags), "***", and the
// domain after the last "@" (or %40, &#64;) when there is one. The
// expected values follow that rule by hand.
func TestMaskIssue(t *testing.T) {
	t.Parallel()
	type emailField struct{ object, key string }
	fields := []emailField{
		{vespa.Object10.Object, vespa.Object10.Email.Key},
		{vespa.Object29.Object, vespa.Object29.Email.Key},
		{vespa.Object5.Object, vespa.Object5.Email.Key},
		{vespa.Object21.Object, vespa.Object21.Email.Key},
		{vespa.Object3.Object, vespa.Object3.Email.Key},
	}
	values := []struct{ in, want string }{
		{"jane.doe@school.example", "j***@school.example"},
		{"jane.doe @school.example", "j***@school.example"},
		{"jane.doe@ school.example", "j***@school.example"},
		{`"jane.doe"@school.example`, "j***@school.example"},
		{"jane.doe(at)school.example", "j***"},
		{"jane.doe at school dot example", "j***"},
		{"Jane Doe <jane.doe@school.example>", "J***@school.example"},
		{`"Doe, Jane" <jane.doe@school.example>`, "D***@school.example"},
		{`<a href="mailto:jane.doe@school.example">Jane.Doe@school.example</a>`, "J***@school.example"},
		{"jane.doe%40school.example", "j***@school.example"},
		{"jane.doe&#64;school.example", "j***@school.example"},
		{"<jane.doe@school.example>", "j***@school.example"},
		{"JANE DOE", "J***"},
		{"  ", ""},
		{"élodie.durand@école.example", "é***@école.example"},
	}
	for _, f := range fields {
		for _, v := range values {
			field, got := maskIssue(f.object, vespa.RuleEmail, f.key, v.in)
			if got != v.want || field != f.key {
				t.Errorf("%s %s %q: field %q value %q, want %q %q", f.object, f.key, v.in, field, got, v.want, f.key)
			}
			for _, leak := range []string{"jane", "doe", "élodie", "durand"} {
				if strings.Contains(strings.ToLower(got), leak) {
					t.Errorf("%s %s %q: %q still shows %q", f.object, f.key, v.in, got, leak)
				}
			}
		}
	}

	// A duplicate's claim key and value hold the address.
	field, value := maskIssue(vespa.Object10.Object, vespa.RuleDuplicate, "2025/2026|jane.doe @school.example", "jane.doe @school.example")
	if field != "2025/2026|j***@school.example" || value != "j***@school.example" {
		t.Errorf("duplicate: %q %q", field, value)
	}
	// Another field keeps its text, with any address in it masked.
	field, value = maskIssue(vespa.Object10.Object, vespa.RuleValue, "field_1", "see jane.doe@school.example")
	if field != "field_1" || value != "see j***@school.example" {
		t.Errorf("other field: %q %q", field, value)
	}
	// A field of another object with an e-mail field's key is not one.
	if _, value := maskIssue("object_999", vespa.RuleValue, vespa.Object10.Email.Key, "Year 11"); value != "Year 11" {
		t.Errorf("object_999's %s: %q, want it shown", vespa.Object10.Email.Key, value)
	}
}

// Through the full handler: the shapes a pattern misses do not reach the
// status page or its JSON.
func TestStatusMasksEmailFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.seed(t)
	for i, v := range []string{"jane.doe @school.example", `"jane.doe"@school.example`, "jane.doe(at)school.example", "Jane Doe <jane.doe@school.example>"} {
		if _, err := b.pool.Exec(t.Context(), `INSERT INTO knacksync.data_issues (object, record_id, rule, field, value, detail)
			VALUES ($1, $2, 'bad_email', $3, $4, 'invalid student email')`, vespa.Object10.Object, recordID(100+i), vespa.Object10.Email.Key, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range []string{"/", "/api/status", "/?rule=bad_email"} {
		rec := b.serve(getAdmin(path))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, rec.Code)
		}
		body := strings.ToLower(rec.Body.String())
		for _, leak := range []string{"jane.doe", "jane doe", "doe&#34;", `doe\"`} {
			if strings.Contains(body, leak) {
				t.Errorf("GET %s shows %q", path, leak)
			}
		}
	}
}
