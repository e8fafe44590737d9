package vespa

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"knacksync/internal/knack"
)

// Synthetic ids and people: no real data. Emails are under .example.
const (
	estUK     = "5a1000000000000000000001" // UK school
	estAUCal  = "5a1000000000000000000002" // Australian, use_standard_year false: calendar year
	estAUStd  = "5a1000000000000000000003" // Australian, use_standard_year true: UK rule
	estAUNull = "5a1000000000000000000004" // Australian, use_standard_year empty: UK rule
	estGone   = "5a10000000000000000000ff" // not among the synced establishments
)

func ptr[T any](v T) *T { return &v }

func civil(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return &t
}

// testContext is the context of most tests: first seen on 10 March 2025
// (academic year 2024/2025 under the UK rule, 2025/2025 under the calendar
// rule).
func testContext() Context {
	return Context{
		Establishments: map[string]EstablishmentInfo{
			estUK:     {Name: "Northfield Academy"},
			estAUCal:  {Name: "Coastal College", IsAustralian: true, UseStandardYear: ptr(false)},
			estAUStd:  {Name: "Harbour High", IsAustralian: true, UseStandardYear: ptr(true)},
			estAUNull: {Name: "Ridge School", IsAustralian: true},
		},
		Accounts: map[string]string{
			"5c3000000000000000000001": "pat.lee@northfield.example",
			"5c3000000000000000000002": "",
		},
		FirstSeen: time.Date(2025, 3, 10, 9, 30, 0, 0, time.UTC),
	}
}

// kv is one field of a test record; values are marshalled to JSON, except
// json.RawMessage which is taken as it is.
type kv struct {
	key string
	val any
}

func raw(f Field, v any) kv  { return kv{f.Key + "_raw", v} }
func fmtd(f Field, v any) kv { return kv{f.Key, v} }

// both sets the raw and the formatted value, as the API does.
func both(f Field, rawV, fmtV any) []kv { return []kv{raw(f, rawV), fmtd(f, fmtV)} }

func record(t testing.TB, id string, fields ...kv) knack.Record {
	t.Helper()
	r := knack.Record{ID: id, Fields: map[string]json.RawMessage{}}
	for _, f := range fields {
		if b, ok := f.val.(json.RawMessage); ok {
			r.Fields[f.key] = b
			continue
		}
		b, err := json.Marshal(f.val)
		if err != nil {
			t.Fatalf("field %s: %v", f.key, err)
		}
		r.Fields[f.key] = b
	}
	return r
}

func emailRaw(addr string) map[string]string { return map[string]string{"email": addr} }

func connRaw(ids ...string) []map[string]string {
	out := make([]map[string]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, map[string]string{"id": id, "identifier": "School " + id[len(id)-2:]})
	}
	return out
}

// dateRaw is Knack's raw date object for a wall-clock time (labelled Z).
func dateRaw(y int, m time.Month, d, hh, mm int) map[string]any {
	t := time.Date(y, m, d, hh, mm, 0, 0, time.UTC)
	return map[string]any{
		"date":           t.Format("01/02/2006"),
		"date_formatted": t.Format("02/01/2006"),
		"hours":          t.Format("03"),
		"minutes":        t.Format("04"),
		"am_pm":          t.Format("PM"),
		"unix_timestamp": t.UnixMilli(),
		"iso_timestamp":  t.Format("2006-01-02T15:04:05.000Z"),
		"timestamp":      t.Format("01/02/2006 03:04 pm"),
		"time":           hh*60 + mm,
	}
}

// issueKeys summarises issues as "rule field value" for comparisons; the
// Detail text is checked by the golden files.
func issueKeys(is []Issue) []string {
	var out []string
	for _, i := range is {
		out = append(out, fmt.Sprintf("%s %s %s", i.Rule, i.Field, i.Value))
	}
	return out
}
