package knacksim

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"knacksync/internal/knack"
)

// TestDirtyStoredValues: records put directly may carry shapes Render never
// makes (numbers as strings, dates without unix_timestamp, connections as id
// lists, a missing _raw); filters and sorts still read them.
func TestDirtyStoredValues(t *testing.T) {
	t.Parallel()
	schema := testSchema()
	raw := func(pairs ...string) knack.Record {
		r := knack.Record{ID: pairs[0], Fields: map[string]json.RawMessage{}}
		for i := 1; i+1 < len(pairs); i += 2 {
			r.Fields[pairs[i]] = json.RawMessage(pairs[i+1])
		}
		return r
	}
	a, b, c, d := hexID(201), hexID(202), hexID(203), hexID(204)
	recs := []knack.Record{
		raw(a, "field_155_raw", `" 7.0 "`, "field_855_raw", `{"date":"03/14/2024","hours":"02","minutes":"30","am_pm":"PM"}`,
			"field_133_raw", `["`+hexID(1)+`"]`, "field_197_raw", `{"address":"A@X.ORG"}`, "field_902_raw", `"Yes"`,
			"field_900", `"Art, Music"`, "field_143_raw", `["Female"]`, "field_187", `"<b>Ann</b> Lee"`),
		raw(b, "field_155", `3`, "field_855_raw", `"2024-03-16T08:00:00Z"`, "field_133_raw", `"`+hexID(2)+`"`,
			"field_197_raw", `"b@x.org"`, "field_902", `false`, "field_900_raw", `[null]`, "field_187_raw", `{"first":"Bob","last":"Ray"}`, "field_187", `"Bob Ray"`),
		raw(c, "field_155_raw", `null`, "field_855_raw", `{"iso_timestamp":"2024-03-13T23:00:00.000Z"}`, "field_133_raw", `[]`, "field_197", `"<a href=\"mailto:c@x.org\">c@x.org</a>"`),
		raw(d, "field_855_raw", `{"unix_timestamp":1710633600000}`, "field_133_raw", `[{"id":"`+hexID(1)+`","identifier":"Zed"}]`),
	}
	s, err := New(Options{Dataset: &Dataset{Schema: schema, Records: map[string][]knack.Record{"object_10": recs}}, RatePerSecond: -1, Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	// Mounted elsewhere through Handler, as an httptest server.
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	get := func(query string) []string {
		t.Helper()
		cl := newClient(t, s)
		cl.base = hs.URL + "/v1"
		resp := cl.get("/objects/object_10/records?" + query)
		if resp.status != 200 {
			t.Fatalf("%s: %d %s", query, resp.status, resp.body)
		}
		var env envelope
		resp.json(t, &env)
		return ids(env.Records)
	}
	f := func(rules string) string { return "filters=" + url.QueryEscape(rules) }
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{f(`[{"field":"field_155","operator":"higher than","value":5}]`), []string{a}},
		{f(`[{"field":"field_155","operator":"is blank"}]`), []string{c, d}},
		{f(`[{"field":"field_855","operator":"is","value":"03/14/2024 14:30"}]`), []string{a}},
		{f(`[{"field":"field_855","operator":"is after","value":"03/15/2024"}]`), []string{b, d}},
		{f(`[{"field":"field_855","operator":"is","value":"03/13/2024"}]`), []string{c}},
		{f(`[{"field":"field_133","operator":"is","value":"` + hexID(1) + `"}]`), []string{a, d}},
		{f(`[{"field":"field_133","operator":"is","value":"` + hexID(2) + `"}]`), []string{b}},
		{f(`[{"field":"field_133","operator":"is blank"}]`), []string{c}},
		{f(`[{"field":"field_197","operator":"is","value":"a@x.org"}]`), []string{a}},
		{f(`[{"field":"field_197","operator":"contains","value":"c@x"}]`), []string{c}},
		{f(`[{"field":"field_902","operator":"is","value":true}]`), []string{a}},
		{f(`[{"field":"field_902","operator":"is","value":false}]`), []string{b}},
		{f(`[{"field":"field_900","operator":"is","value":"music"}]`), []string{a}},
		{f(`[{"field":"field_900","operator":"is blank"}]`), []string{b, c, d}},
		{f(`[{"field":"field_143","operator":"is any","value":"female"}]`), []string{a}},
		{f(`[{"field":"field_187","operator":"is","value":"ann lee"}]`), []string{a}},
		{f(`[{"field":"field_187","operator":"starts with","value":"bob"}]`), []string{b}},
		{"sort_field=field_855", []string{c, a, b, d}},
		{"sort_field=field_133&sort_order=desc", []string{d, a, b, c}},
		{"sort_field=field_902", []string{c, d, b, a}},
		{"sort_field=field_900", []string{b, c, d, a}},
		{"sort_field=field_143&sort_order=desc", []string{a, b, c, d}},
	} {
		if diff := cmp.Diff(tt.want, get(tt.query), cmpEmpty); diff != "" {
			t.Errorf("%s: mismatch (-want +got):\n%s", tt.query, diff)
		}
	}
	if got := s.Schema(); len(got.Objects) != 2 || got.ID != s.AppID() {
		t.Errorf("Schema() = %+v", got)
	}
}

func TestSimpleJSON(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{
		`0`: true, `-1.5e+10`: true, `12`: true, `3.`: false, `01`: false, `-`: false, `1e`: false,
		`""`: true, `"a\"b"`: true, `"a\\"`: true, `"a\"`: false, `"a"b"`: false, "\"a\nb\"": false,
		`true`: true, `false`: true, `null`: true, `tru`: false, `[]`: false, `{}`: false, ``: false, `"`: false,
	} {
		if got := simpleJSON([]byte(v)); got != want {
			t.Errorf("simpleJSON(%q) = %v, want %v", v, got, want)
		}
	}
}
