package knacksim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"knacksync/internal/knack"
)

// fixedNow is the clock of most tests: Friday 15 March 2024, 10:30 UTC
// (10:30 in London too: GMT).
var fixedNow = time.Date(2024, 3, 15, 10, 30, 0, 0, time.UTC)

func fixedClock() time.Time { return fixedNow }

// testSchema is a small VESPA-shaped app: establishments and results, with
// every field type the sync reads.
func testSchema() Schema {
	return Schema{
		Name:     "VESPA Test",
		Timezone: "London",
		Objects: []Object{
			{Key: "object_2", Name: "Establishment", Identifier: "field_44", Type: "StandardObject", Fields: []Field{
				{Key: "field_44", Name: "Name", Type: "short_text", Required: true},
				{Key: "field_2209", Name: "Status", Type: "multiple_choice", Format: map[string]any{"type": "single", "options": []any{"Active", "Cancelled"}}},
				{Key: "field_3573", Name: "Is Australian", Type: "boolean", Format: map[string]any{"format": "yes_no"}},
			}},
			{Key: "object_10", Name: "VESPA Results", Identifier: "field_187", Type: "StandardObject", Fields: []Field{
				{Key: "field_197", Name: "Email", Type: "email", Required: true},
				{Key: "field_187", Name: "Name", Type: "name", Format: map[string]any{"format": "First Last"}},
				{Key: "field_133", Name: "Establishment", Type: "connection", Relationship: &Relationship{BelongsTo: "many", Has: "one", Object: "object_2"}},
				{Key: "field_855", Name: "Completion Date", Type: "date_time", Format: map[string]any{"date_format": "dd/mm/yyyy", "time_format": "Ignore Time"}},
				{Key: "field_146", Name: "Current Cycle", Type: "number", Format: map[string]any{"precision": "0"}},
				{Key: "field_155", Name: "Vision 1", Type: "number"},
				{Key: "field_223", Name: "Group", Type: "short_text"},
				{Key: "field_2302", Name: "RRC 1", Type: "paragraph_text"},
				{Key: "field_143", Name: "Gender", Type: "multiple_choice", Format: map[string]any{"type": "single"}},
				{Key: "field_900", Name: "Tags", Type: "multiple_choice", Format: map[string]any{"type": "checkboxes"}},
				{Key: "field_901", Name: "Modified", Type: "date_time", Format: map[string]any{"date_format": "mm/dd/yyyy", "time_format": "HH:MM am"}},
				{Key: "field_902", Name: "Active", Type: "boolean"},
				{Key: "field_903", Name: "Student Number", Type: "short_text", Unique: true},
			}},
		},
		Scenes: []Scene{
			{Key: "scene_1", Slug: "public", Name: "Public", Views: []View{{Key: "view_1", Type: "table", Object: "object_2"}}},
			{Key: "scene_2", Slug: "staff", Name: "Staff", LoginRequired: true, Views: []View{{Key: "view_2", Type: "table", Object: "object_10"}}},
		},
	}
}

// mustRender renders a value for a test record, failing the test on error.
func mustRender(t testing.TB, s Schema, object, field string, v any) (json.RawMessage, json.RawMessage) {
	t.Helper()
	for _, o := range s.Objects {
		if o.Key != object {
			continue
		}
		for _, f := range o.Fields {
			if f.Key == field {
				formatted, raw, err := Render(f, v)
				if err != nil {
					t.Fatalf("Render %s.%s %v: %v", object, field, v, err)
				}
				return formatted, raw
			}
		}
	}
	t.Fatalf("no field %s.%s", object, field)
	return nil, nil
}

// makeRecord renders values (field key -> write value) into a record.
func makeRecord(t testing.TB, s Schema, object, id string, values map[string]any) knack.Record {
	t.Helper()
	r := knack.Record{ID: id, Fields: map[string]json.RawMessage{}}
	for k, v := range values {
		f, raw := mustRender(t, s, object, k, v)
		r.Fields[k], r.Fields[k+"_raw"] = f, raw
	}
	return r
}

// hexID makes a deterministic 24-hex id.
func hexID(n int) string { return fmt.Sprintf("65f00000000000000%07x", n) }

// client talks to a simulator over real HTTP.
type client struct {
	t       testing.TB
	s       *Server
	base    string // overrides s.URL()
	http    *http.Client
	headers map[string]string
}

func newClient(t testing.TB, s *Server) *client {
	return &client{t: t, s: s, http: &http.Client{Timeout: 10 * time.Second}, headers: map[string]string{
		"X-Knack-Application-Id": s.AppID(),
		"X-Knack-REST-API-Key":   s.APIKey(),
	}}
}

// response is a read answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

func (c *client) do(method, path string, body any, extra ...string) response {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	base := c.base
	if base == "" {
		base = c.s.URL()
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			req.Header.Del(extra[i])
		} else {
			req.Header.Set(extra[i], extra[i+1])
		}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (c *client) get(path string, extra ...string) response {
	c.t.Helper()
	return c.do(http.MethodGet, path, nil, extra...)
}

// envelope is a decoded list answer.
type envelope struct {
	TotalPages   int            `json:"total_pages"`
	CurrentPage  any            `json:"current_page"`
	TotalRecords int            `json:"total_records"`
	Records      []knack.Record `json:"records"`
}

func ids(recs []knack.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

// testOptions returns options with no rate limit and the fixed clock.
func testOptions(ds *Dataset) Options {
	return Options{Dataset: ds, RatePerSecond: -1, Now: fixedClock, Seed: 1}
}
