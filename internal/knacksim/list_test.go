package knacksim

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"knacksync/internal/knack"
)

// numbered builds an object with n records whose field_1 is i (1..n).
func numbered(t *testing.T, n int, mutate ...func(*Options)) (*Server, *client, []string) {
	t.Helper()
	schema := Schema{Objects: []Object{{Key: "object_1", Name: "Numbers", Identifier: "field_1", Fields: []Field{
		{Key: "field_1", Name: "N", Type: "number"},
		{Key: "field_2", Name: "Label", Type: "short_text"},
	}}}}
	ds := &Dataset{Schema: schema, Records: map[string][]knack.Record{}}
	var want []string
	for i := 1; i <= n; i++ {
		id := hexID(i)
		want = append(want, id)
		ds.Records["object_1"] = append(ds.Records["object_1"], makeRecord(t, schema, "object_1", id, map[string]any{"field_1": i, "field_2": fmt.Sprintf("label %03d", i)}))
	}
	opts := testOptions(ds)
	for _, m := range mutate {
		m(&opts)
	}
	s := Start(t, opts)
	return s, newClient(t, s), want
}

func TestPaging(t *testing.T) {
	t.Parallel()
	s, c, all := numbered(t, 60)
	_ = s
	tests := []struct {
		query     string
		wantPage  any
		wantPages int
		wantIDs   []string
	}{
		{"", 1.0, 3, all[:25]},
		{"?page=2", 2.0, 3, all[25:50]},
		{"?page=3", 3.0, 3, all[50:]},
		{"?page=4", 4.0, 3, nil},     // past the end: 200, records []
		{"?page=999", 999.0, 3, nil}, // far past the end
		{"?page=0", 1.0, 3, all[:25]},
		{"?page=-2", 1.0, 3, all[:25]},
		{"?page=abc", 1.0, 3, all[:25]},
		{"?rows_per_page=10&page=6", 6.0, 6, all[50:60]},
		{"?rows_per_page=7&page=9", 9.0, 9, all[56:]},
		{"?rows_per_page=0", 1.0, 3, all[:25]},
		{"?rows_per_page=100", 1.0, 1, all},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			resp := c.get("/objects/object_1/records" + tt.query)
			if resp.status != 200 {
				t.Fatalf("status %d: %s", resp.status, resp.body)
			}
			var env envelope
			resp.json(t, &env)
			if env.CurrentPage != tt.wantPage || env.TotalPages != tt.wantPages || env.TotalRecords != 60 {
				t.Errorf("envelope page=%v pages=%d total=%d, want %v %d 60", env.CurrentPage, env.TotalPages, env.TotalRecords, tt.wantPage, tt.wantPages)
			}
			if diff := cmp.Diff(tt.wantIDs, ids(env.Records), cmpEmpty); diff != "" {
				t.Errorf("ids mismatch (-want +got):\n%s", diff)
			}
			if !strings.Contains(string(resp.body), `"records":[`) {
				t.Errorf("records is not an array: %s", resp.body)
			}
		})
	}
}

// cmpEmpty treats nil and empty slices alike.
var cmpEmpty = cmp.FilterValues(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 }, cmp.Ignore())

func TestRowsPerPageCap(t *testing.T) {
	t.Parallel()
	_, c, all := numbered(t, 1201)
	var env envelope
	c.get("/objects/object_1/records?rows_per_page=5000").json(t, &env)
	if len(env.Records) != 1000 || env.TotalPages != 2 || env.TotalRecords != 1201 {
		t.Errorf("got %d records, %d pages, %d total; want 1000, 2, 1201", len(env.Records), env.TotalPages, env.TotalRecords)
	}
	c.get("/objects/object_1/records?rows_per_page=5000&page=2").json(t, &env)
	if diff := cmp.Diff(all[1000:], ids(env.Records)); diff != "" {
		t.Errorf("page 2 mismatch (-want +got):\n%s", diff)
	}
}

func TestEmptyResult(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp := b.c.get("/objects/object_10/records")
	if got, want := string(resp.body), `{"total_pages":0,"current_page":1,"total_records":0,"records":[]}`; got != want {
		t.Errorf("body %s, want %s", got, want)
	}
}

func TestCurrentPageAsString(t *testing.T) {
	t.Parallel()
	_, c, _ := numbered(t, 3, func(o *Options) { o.CurrentPageAsString = true })
	var env envelope
	c.get("/objects/object_1/records?page=2").json(t, &env)
	if env.CurrentPage != "2" {
		t.Errorf("current_page = %#v, want \"2\"", env.CurrentPage)
	}
	c.get("/objects/object_1/records").json(t, &env)
	if env.CurrentPage != 1.0 {
		t.Errorf("without page: current_page = %#v, want 1", env.CurrentPage)
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	_, c, all := numbered(t, 2)
	for _, tt := range []struct {
		format string
		want   []string
	}{
		{"", []string{"field_1", "field_1_raw", "field_2", "field_2_raw", "id"}},
		{"both", []string{"field_1", "field_1_raw", "field_2", "field_2_raw", "id"}},
		{"raw", []string{"field_1_raw", "field_2_raw", "id"}},
		{"html", []string{"field_1", "field_2", "id"}},
	} {
		var env struct{ Records []map[string]json.RawMessage }
		c.get("/objects/object_1/records?format="+tt.format).json(t, &env)
		var got []string
		for k := range env.Records[1] {
			got = append(got, k)
		}
		if diff := cmp.Diff(tt.want, got, cmpSorted); diff != "" {
			t.Errorf("format=%s keys mismatch (-want +got):\n%s", tt.format, diff)
		}
		if string(env.Records[1]["id"]) != `"`+all[1]+`"` {
			t.Errorf("format=%s id = %s", tt.format, env.Records[1]["id"])
		}
		var one map[string]json.RawMessage
		c.get("/objects/object_1/records/"+all[0]+"?format="+tt.format).json(t, &one)
		if len(one) != len(tt.want) {
			t.Errorf("format=%s single record keys = %d, want %d", tt.format, len(one), len(tt.want))
		}
	}
}

var cmpSorted = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

func TestSort(t *testing.T) {
	t.Parallel()
	schema := testSchema()
	id := func(n int) string { return hexID(100 + n) }
	recs := []knack.Record{
		makeRecord(t, schema, "object_10", id(1), map[string]any{"field_197": "b@x.org", "field_155": 7, "field_901": "03/01/2024 9:00am", "field_223": "beta", "field_187": map[string]any{"first": "Zoe", "last": "Adams"}}),
		makeRecord(t, schema, "object_10", id(2), map[string]any{"field_197": "A@x.org", "field_155": 10, "field_901": "01/15/2024 11:00pm", "field_223": "Alpha", "field_187": map[string]any{"first": "amy", "last": "Baker"}}),
		makeRecord(t, schema, "object_10", id(3), map[string]any{"field_197": "c@x.org", "field_155": "", "field_223": "", "field_187": map[string]any{"first": "Bob", "last": "Cole"}}),
		makeRecord(t, schema, "object_10", id(4), map[string]any{"field_197": "d@x.org", "field_155": 2.5, "field_901": "01/15/2024 10:00pm", "field_223": "gamma", "field_187": map[string]any{"first": "Amy", "last": "Dunn"}}),
	}
	s := Start(t, testOptions(&Dataset{Schema: schema, Records: map[string][]knack.Record{"object_10": recs}}))
	c := newClient(t, s)
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{id(1), id(2), id(3), id(4)}}, // storage order
		{"sort_field=field_155", []string{id(3), id(4), id(1), id(2)}},
		{"sort_field=field_155&sort_order=asc", []string{id(3), id(4), id(1), id(2)}},
		{"sort_field=field_155&sort_order=desc", []string{id(2), id(1), id(4), id(3)}},
		{"sort_field=field_901", []string{id(3), id(4), id(2), id(1)}},
		{"sort_field=field_223", []string{id(3), id(2), id(1), id(4)}}, // case-insensitive
		{"sort_field=field_197&sort_order=desc", []string{id(4), id(3), id(1), id(2)}},
		{"sort_field=field_187", []string{id(2), id(4), id(3), id(1)}}, // by full name, stable for ties
		{"sort_field=id&sort_order=desc", []string{id(4), id(3), id(2), id(1)}},
		{"sort_field=field_155&sort_order=desc&rows_per_page=2&page=2", []string{id(4), id(3)}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			var env envelope
			c.get("/objects/object_10/records?"+tt.query).json(t, &env)
			if diff := cmp.Diff(tt.want, ids(env.Records)); diff != "" {
				t.Errorf("order mismatch (-want +got):\n%s", diff)
			}
		})
	}
	// Sorting combines with filters.
	var env envelope
	f := url.QueryEscape(`[{"field":"field_155","operator":"is not blank"}]`)
	c.get("/objects/object_10/records?sort_field=field_155&sort_order=desc&filters="+f).json(t, &env)
	if diff := cmp.Diff([]string{id(2), id(1), id(4)}, ids(env.Records)); diff != "" || env.TotalRecords != 3 {
		t.Errorf("filtered sort mismatch (-want +got):\n%s (total %d)", diff, env.TotalRecords)
	}
}
