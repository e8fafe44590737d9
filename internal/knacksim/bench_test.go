package knacksim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"testing"
	"time"

	"knacksync/internal/knack"
)

// bigDataset is object_29-shaped: nFields number fields (the answers) plus
// an email, a connection and a completion date, over n records.
func bigDataset(tb testing.TB, n, nFields int) *Dataset {
	tb.Helper()
	fields := []Field{
		{Key: "field_2732", Name: "Email", Type: "email"},
		{Key: "field_792", Name: "Result", Type: "connection", Relationship: &Relationship{Object: "object_10"}},
		{Key: "field_856", Name: "Completed", Type: "date_time", Format: map[string]any{"date_format": "dd/mm/yyyy", "time_format": "HH:MM am"}},
	}
	for i := range nFields {
		fields = append(fields, Field{Key: "field_" + strconv.Itoa(1000+i), Name: "Q" + strconv.Itoa(i), Type: "number"})
	}
	schema := Schema{Timezone: "London", Objects: []Object{
		{Key: "object_10", Name: "Results", Fields: []Field{{Key: "field_1", Type: "short_text"}}},
		{Key: "object_29", Name: "Questionnaire", Identifier: "field_2732", Fields: fields},
	}}
	// The answers share a few constant values, as a generator would.
	var nums [6]json.RawMessage
	for i := range nums {
		nums[i] = json.RawMessage(strconv.Itoa(i))
	}
	base := time.Date(2024, 9, 1, 9, 0, 0, 0, time.UTC)
	recs := make([]knack.Record, n)
	for i := range recs {
		m := make(map[string]json.RawMessage, 2*len(fields))
		email := fmt.Sprintf("student%05d@school.org", i)
		m["field_2732"], m["field_2732_raw"], _ = Render(fields[0], email)
		m["field_792"], m["field_792_raw"] = json.RawMessage(`""`), json.RawMessage(`[]`)
		m["field_856"], m["field_856_raw"], _ = Render(fields[2], base.Add(time.Duration(i)*time.Minute))
		for j := 3; j < len(fields); j++ {
			v := nums[(i+j)%5+1]
			m[fields[j].Key], m[fields[j].Key+"_raw"] = v, v
		}
		recs[i] = knack.Record{ID: fmt.Sprintf("66d4%020x", i), Fields: m}
	}
	return &Dataset{Schema: schema, Records: map[string][]knack.Record{"object_29": recs}}
}

func BenchmarkNew36k(b *testing.B) {
	ds := bigDataset(b, 36000, 100)
	for b.Loop() {
		s, err := New(Options{Dataset: ds})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// BenchmarkListPage1000 serves 1000-record pages of a 36,000 × ~100 field
// object over real HTTP (the client reads the whole body).
func BenchmarkListPage1000(b *testing.B) {
	ds := bigDataset(b, 36000, 100)
	start := time.Now()
	s, err := New(Options{Dataset: ds, RatePerSecond: -1, Now: fixedClock})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("New: %v for %d records", time.Since(start), s.Count("object_29"))
	ds = nil
	runtime.GC()
	if err := s.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	client := &http.Client{}
	get := func(b *testing.B, query string) int {
		req, _ := http.NewRequest("GET", s.URL()+"/objects/object_29/records?"+query, nil)
		req.Header.Set("X-Knack-Application-Id", s.AppID())
		req.Header.Set("X-Knack-REST-API-Key", s.APIKey())
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		return int(n)
	}
	for _, bm := range []struct{ name, query string }{
		{"plain", "rows_per_page=1000&page=18"},
		{"raw", "rows_per_page=1000&page=18&format=raw"},
		{"filtered", "rows_per_page=1000&page=2&filters=" + url.QueryEscape(`{"match":"and","rules":[{"field":"field_856","operator":"is after","value":"09/10/2024"},{"field":"field_1050","operator":"higher than","value":2}]}`)},
		{"sorted", "rows_per_page=1000&page=3&sort_field=field_2732&sort_order=desc"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			var size int
			for b.Loop() {
				size = get(b, bm.query)
			}
			b.SetBytes(int64(size))
		})
	}
}
