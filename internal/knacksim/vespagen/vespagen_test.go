package vespagen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
	"knacksync/internal/vespa"
)

// testNow is a fixed clock: late November, cycle 1 of 2025/2026 under way.
var testNow = time.Date(2025, time.November, 20, 14, 30, 0, 0, time.UTC)

type testBundle struct {
	ds    *knacksim.Dataset
	dirty *Dirty
	// byID finds a record by object and id.
	byID map[string]map[string]knack.Record
}

func setup(t testing.TB, scale Scale, seed int64, now time.Time) *testBundle {
	t.Helper()
	ds, dirty, err := GenerateWithManifest(scale, seed, now)
	if err != nil {
		t.Fatalf("GenerateWithManifest(%s, %d): %v", scale, seed, err)
	}
	tb := &testBundle{ds: ds, dirty: dirty, byID: map[string]map[string]knack.Record{}}
	for object, recs := range ds.Records {
		m := make(map[string]knack.Record, len(recs))
		for _, r := range recs {
			m[r.ID] = r
		}
		tb.byID[object] = m
	}
	return tb
}

func (tb *testBundle) record(t *testing.T, object, id string) knack.Record {
	t.Helper()
	r, ok := tb.byID[object][id]
	if !ok {
		t.Fatalf("%s %s: no such record", object, id)
	}
	return r
}

// dump is the canonical JSON of a whole dataset.
func dump(t testing.TB, ds *knacksim.Dataset) []byte {
	t.Helper()
	b, err := json.Marshal(ds.Records)
	if err != nil {
		t.Fatal(err)
	}
	s, err := json.Marshal(ds.Schema)
	if err != nil {
		t.Fatal(err)
	}
	return append(s, b...)
}

func TestGenerateDeterministic(t *testing.T) {
	t.Parallel()
	for _, scale := range []Scale{Tiny, Small} {
		t.Run(string(scale), func(t *testing.T) {
			t.Parallel()
			a := dump(t, setup(t, scale, 7, testNow).ds)
			b := dump(t, setup(t, scale, 7, testNow).ds)
			if !bytes.Equal(a, b) {
				t.Fatal("same seed, different output")
			}
			c := dump(t, setup(t, scale, 8, testNow).ds)
			if bytes.Equal(a, c) {
				t.Fatal("different seeds, same output")
			}
		})
	}
}

func TestGenerateCounts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scale Scale
		want  map[string][2]int // object -> [min, max]
	}{
		{Tiny, map[string][2]int{
			"object_2": {3, 4}, "object_10": {40, 60}, "object_29": {40, 60}, "object_5": {4, 12},
			"object_21": {2, 5}, "object_3": {15, 50}, "object_112": {10, 30},
		}},
		{Small, map[string][2]int{
			"object_2": {10, 10}, "object_10": {1950, 2100}, "object_29": {1900, 2100}, "object_5": {30, 50},
			"object_21": {5, 5}, "object_3": {500, 1000}, "object_112": {500, 900},
		}},
	} {
		t.Run(string(tc.scale), func(t *testing.T) {
			t.Parallel()
			tb := setup(t, tc.scale, 1, testNow)
			for object, lim := range tc.want {
				if n := len(tb.ds.Records[object]); n < lim[0] || n > lim[1] {
					t.Errorf("%s: %d records, want %d..%d", object, n, lim[0], lim[1])
				}
			}
			if len(tb.ds.Records) != len(tc.want) {
				t.Errorf("objects %d, want %d", len(tb.ds.Records), len(tc.want))
			}
		})
	}
}

var hexID = regexp.MustCompile(`^[0-9a-f]{24}$`)

func TestIDs(t *testing.T) {
	t.Parallel()
	tb := setup(t, Small, 3, testNow)
	seen := map[string]string{}
	for object, recs := range tb.ds.Records {
		prev := ""
		for _, r := range recs {
			if !hexID.MatchString(r.ID) {
				t.Fatalf("%s: id %q is not 24 lower-case hex", object, r.ID)
			}
			if o, dup := seen[r.ID]; dup {
				t.Fatalf("id %s in %s and %s", r.ID, o, object)
			}
			seen[r.ID] = object
			if r.ID <= prev {
				t.Fatalf("%s: ids not increasing: %s after %s", object, r.ID, prev)
			}
			prev = r.ID
			var sec uint32
			fmt.Sscanf(r.ID[:8], "%x", &sec)
			if created := time.Unix(int64(sec), 0); created.Before(time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)) || created.After(testNow) {
				t.Fatalf("%s %s: creation time %v out of range", object, r.ID, created)
			}
		}
	}
}

// TestShapes checks the API output shape of clean values, field by field
// type, against the schema.
func TestShapes(t *testing.T) {
	t.Parallel()
	tb := setup(t, Tiny, 1, testNow)
	fields := map[string]map[string]knacksim.Field{}
	for _, o := range tb.ds.Schema.Objects {
		fields[o.Key] = map[string]knacksim.Field{}
		for _, f := range o.Fields {
			fields[o.Key][f.Key] = f
		}
	}
	dirty := map[string]bool{} // object/id/field of every planted value
	for _, c := range tb.dirty.Cases() {
		for _, id := range c.Records {
			dirty[id] = true
		}
	}
	anchor := regexp.MustCompile(`^<a href="mailto:([^"]+)">([^<]+)</a>$`)
	span := regexp.MustCompile(`^<span class="([0-9a-f]{24})">(.*)</span>$`)
	dmy := regexp.MustCompile(`^\d\d/\d\d/\d{4}( \d{1,2}:\d\d[ap]m)?$`)
	for object, recs := range tb.ds.Records {
		for _, r := range recs {
			if dirty[r.ID] {
				continue
			}
			for key, f := range fields[object] {
				fv, okF := r.Fields[key]
				rv, okR := r.Fields[key+"_raw"]
				if !okF || !okR {
					if object == vespa.Object5.Object && key == vespa.Object5.Establishment.Key {
						continue
					}
					t.Fatalf("%s %s: %s missing (formatted %v, raw %v)", object, r.ID, key, okF, okR)
				}
				if string(fv) == `""` {
					want := `""`
					if f.Type == vespa.TypeConnection {
						want = `[]`
					}
					if string(rv) != want {
						t.Errorf("%s %s %s: empty formatted but raw %s", object, r.ID, key, rv)
					}
					continue
				}
				var formatted string
				_ = json.Unmarshal(fv, &formatted)
				switch f.Type {
				case vespa.TypeEmail:
					var raw struct{ Email string }
					mustUnmarshal(t, rv, &raw)
					m := anchor.FindStringSubmatch(formatted)
					if m == nil || m[1] != raw.Email || m[2] != raw.Email || !strings.HasSuffix(raw.Email, ".example") {
						t.Errorf("%s %s %s: email %s / %s", object, r.ID, key, fv, rv)
					}
				case vespa.TypeName:
					var raw struct{ First, Last, Full string }
					mustUnmarshal(t, rv, &raw)
					if raw.Full != raw.First+" "+raw.Last || formatted != raw.Full {
						t.Errorf("%s %s %s: name %s / %s", object, r.ID, key, fv, rv)
					}
				case vespa.TypeConnection:
					var raw []struct{ ID, Identifier string }
					mustUnmarshal(t, rv, &raw)
					m := span.FindStringSubmatch(formatted)
					if len(raw) != 1 || m == nil || m[1] != raw[0].ID || m[2] != raw[0].Identifier {
						t.Errorf("%s %s %s: connection %s / %s", object, r.ID, key, fv, rv)
					}
					if target := f.Relationship.Object; tb.byID[target] != nil {
						if _, ok := tb.byID[target][raw[0].ID]; !ok {
							t.Errorf("%s %s %s: connection to missing %s %s", object, r.ID, key, target, raw[0].ID)
						}
					}
				case vespa.TypeDateTime:
					var raw struct {
						Date, DateFormatted, ISO string
						Unix                     int64
					}
					var m map[string]any
					mustUnmarshal(t, rv, &m)
					raw.Date, _ = m["date"].(string)
					raw.DateFormatted, _ = m["date_formatted"].(string)
					raw.ISO, _ = m["iso_timestamp"].(string)
					d, err := time.Parse("01/02/2006", raw.Date)
					if err != nil || d.Format("02/01/2006") != raw.DateFormatted || !dmy.MatchString(formatted) ||
						!strings.HasPrefix(formatted, raw.DateFormatted) || !strings.HasPrefix(raw.ISO, d.Format("2006-01-02T")) ||
						d.After(testNow) {
						t.Errorf("%s %s %s: date %s / %s", object, r.ID, key, fv, rv)
					}
					for _, k := range []string{"hours", "minutes", "am_pm", "unix_timestamp", "timestamp", "time"} {
						if _, ok := m[k]; !ok {
							t.Errorf("%s %s %s: raw date without %s", object, r.ID, key, k)
						}
					}
				case vespa.TypeBoolean:
					if !(string(fv) == `"Yes"` && string(rv) == `true` || string(fv) == `"No"` && string(rv) == `false`) {
						t.Errorf("%s %s %s: boolean %s / %s", object, r.ID, key, fv, rv)
					}
				case vespa.TypeNumber:
					var n float64
					if err := json.Unmarshal(rv, &n); err != nil || !bytes.Equal(fv, rv) {
						t.Errorf("%s %s %s: number %s / %s", object, r.ID, key, fv, rv)
					}
				default:
					if !bytes.Equal(fv, rv) {
						t.Errorf("%s %s %s: text %s / %s", object, r.ID, key, fv, rv)
					}
				}
			}
		}
	}
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
}

// TestRealism checks the relations the projection relies on, on clean
// records: object_29 e-mail and date agree with object_10, scores only up
// to the current cycle, about 22% of questionnaires without field_792.
func TestRealism(t *testing.T) {
	t.Parallel()
	tb := setup(t, Small, 5, testNow)
	res, qn := vespa.Object10, vespa.Object29
	years := map[string]int{}
	for _, r := range tb.ds.Records[res.Object] {
		var raw map[string]any
		if json.Unmarshal(r.Raw(res.CompletionDate.Key), &raw) == nil {
			d, _ := time.Parse("01/02/2006", raw["date"].(string))
			y := d.Year()
			if d.Month() < time.August {
				y--
			}
			years[fmt.Sprintf("%d/%d", y, y+1)]++
		}
	}
	for _, y := range []string{"2023/2024", "2024/2025", "2025/2026"} {
		if years[y] < 100 {
			t.Errorf("academic year %s: %d records", y, years[y])
		}
	}
	noLink, linked, agree := 0, 0, 0
	for _, r := range tb.ds.Records[qn.Object] {
		var conn []struct{ ID string }
		_ = json.Unmarshal(r.Raw(qn.Result.Key), &conn)
		if len(conn) == 0 {
			noLink++
			continue
		}
		linked++
		r10, ok := tb.byID[res.Object][conn[0].ID]
		if !ok {
			t.Fatalf("object_29 %s links to missing object_10 %s", r.ID, conn[0].ID)
		}
		var e29, e10 struct{ Email string }
		var d29, d10 struct{ Date string }
		_ = json.Unmarshal(r.Raw(qn.Email.Key), &e29)
		_ = json.Unmarshal(r10.Raw(res.Email.Key), &e10)
		_ = json.Unmarshal(r.Raw(qn.CompletionDate.Key), &d29)
		_ = json.Unmarshal(r10.Raw(res.CompletionDate.Key), &d10)
		if e29.Email == e10.Email && d29.Date == d10.Date && d10.Date != "" {
			agree++
		}
	}
	share := float64(noLink) / float64(noLink+linked)
	if share < 0.18 || share > 0.27 {
		t.Errorf("questionnaires without field_792: %.2f, want about 0.22", share)
	}
	if agree < linked*95/100 {
		t.Errorf("object_29 agreeing with object_10 on e-mail and date: %d of %d", agree, linked)
	}
	// Scores never beyond the current cycle, except in keep-and-refresh
	// records.
	stale := map[string]bool{}
	for _, r := range tb.dirty.KeepAndRefresh {
		stale[r.ID] = true
	}
	for _, r := range tb.ds.Records[res.Object] {
		var cycle int
		_ = json.Unmarshal(r.Raw(res.CurrentCycle.Key), &cycle)
		if cycle < 1 || cycle > 3 {
			t.Fatalf("%s: field_146 %d", r.ID, cycle)
		}
		for c := cycle; c < 3 && !stale[r.ID]; c++ {
			for _, f := range res.Scores[c] {
				if string(r.Raw(f.Key)) != `""` {
					t.Fatalf("%s: cycle %d score %s = %s beyond current cycle %d", r.ID, c+1, f.Key, r.Raw(f.Key), cycle)
				}
			}
		}
	}
}

// TestGenerateAnyDay generates tiny on awkward days: every dirty case must
// still be planted, and no date may lie after now.
func TestGenerateAnyDay(t *testing.T) {
	t.Parallel()
	days := []time.Time{
		time.Date(2025, time.August, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2025, time.July, 31, 23, 59, 0, 0, time.UTC),
		time.Date(2024, time.February, 29, 12, 0, 0, 0, time.UTC),
		time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC),
	}
	for m := time.January; m <= time.December; m++ {
		days = append(days, time.Date(2027, m, 15, 9, 0, 0, 0, time.UTC))
	}
	for _, now := range days {
		for seed := int64(1); seed <= 5; seed++ {
			ds, d, err := GenerateWithManifest(Tiny, seed, now)
			if err != nil {
				t.Fatalf("now %v seed %d: %v", now, seed, err)
			}
			for _, c := range d.Cases() {
				if c.Count == 0 {
					t.Errorf("now %v seed %d: no %s", now, seed, c.Name)
				}
			}
			for _, recs := range ds.Records {
				for _, r := range recs {
					for k, v := range r.Fields {
						if !strings.HasSuffix(k, "_raw") || !bytes.HasPrefix(v, []byte(`{"date":`)) {
							continue
						}
						var raw struct {
							Unix int64 `json:"unix_timestamp"`
						}
						mustUnmarshal(t, v, &raw)
						if time.UnixMilli(raw.Unix).UTC().After(now) {
							t.Fatalf("now %v seed %d: %s %s = %s is in the future", now, seed, r.ID, k, v)
						}
					}
				}
			}
		}
	}
}

func TestGenerateEach(t *testing.T) {
	t.Parallel()
	want := setup(t, Tiny, 2, testNow).ds
	got := &knacksim.Dataset{Schema: Schema(), Records: map[string][]knack.Record{}}
	var order []string
	d, err := GenerateEach(Tiny, 2, testNow, func(object string, r knack.Record) error {
		if len(order) == 0 || order[len(order)-1] != object {
			order = append(order, object)
		}
		got.Records[object] = append(got.Records[object], r)
		return nil
	})
	if err != nil || d == nil {
		t.Fatalf("GenerateEach: %v, manifest %v", err, d)
	}
	if !bytes.Equal(dump(t, want), dump(t, got)) {
		t.Error("GenerateEach and Generate differ")
	}
	if len(order) != len(want.Records) || order[0] != vespa.Object2.Object {
		t.Errorf("objects yielded in runs %v, want each once, object_2 first", order)
	}

	stop := errors.New("stop")
	n := 0
	_, err = GenerateEach(Tiny, 2, testNow, func(string, knack.Record) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Errorf("yield error: got %v after %d records, want stop after 3", err, n)
	}
}

func TestParseScale(t *testing.T) {
	t.Parallel()
	for _, s := range Scales {
		if got, err := ParseScale(string(s)); err != nil || got != s {
			t.Errorf("ParseScale(%q) = %q, %v", s, got, err)
		}
	}
	if _, err := ParseScale("huge"); err == nil {
		t.Error("ParseScale(huge): no error")
	}
	if _, err := Generate("huge", 1, testNow); err == nil {
		t.Error("Generate(huge): no error")
	}
}

func TestSchema(t *testing.T) {
	t.Parallel()
	s := Schema()
	if s.ID != AppID || s.Name != "VESPA Academy" || s.Timezone != "London" {
		t.Errorf("schema header %q %q %q", s.ID, s.Name, s.Timezone)
	}
	seen := map[string]bool{}
	for _, o := range s.Objects {
		keys := map[string]bool{}
		for _, f := range o.Fields {
			if keys[f.Key] {
				t.Errorf("%s: field %s twice", o.Key, f.Key)
			}
			keys[f.Key] = true
			if f.Type == vespa.TypeConnection && (f.Relationship == nil || f.Relationship.Object == "") {
				t.Errorf("%s.%s: connection without relationship", o.Key, f.Key)
			}
			if f.Type == vespa.TypeDateTime && f.Format["date_format"] != "dd/mm/yyyy" {
				t.Errorf("%s.%s: date format %v", o.Key, f.Key, f.Format)
			}
		}
		if !keys[o.Identifier] {
			t.Errorf("%s: identifier %s is not a field", o.Key, o.Identifier)
		}
		seen[o.Key] = true
	}
	// Every field of the vespa map is in the schema.
	for object, fs := range map[string][]vespa.Field{
		vespa.Object10.Object:  {vespa.Object10.Email, vespa.Object10.Gender, vespa.Object10.Scores[2][5], vespa.Object10.Goal[2]},
		vespa.Object29.Object:  {vespa.Object29.Result, vespa.Object29.Questions[31].Cycles[2]},
		vespa.Object112.Object: {vespa.Object112.Subjects[14], vespa.Object112.CentreNumber},
		vespa.Object2.Object:   {vespa.Object2.UseStandardYear},
		vespa.Object5.Object:   {vespa.Object5.Establishment},
		vespa.Object21.Object:  {vespa.Object21.Name},
		vespa.Object3.Object:   {vespa.Object3.Email},
	} {
		if !seen[object] {
			t.Fatalf("schema lacks %s", object)
		}
		for _, f := range fs {
			found := false
			for _, o := range s.Objects {
				for _, sf := range o.Fields {
					found = found || o.Key == object && sf.Key == f.Key && sf.Type == f.Type
				}
			}
			if !found {
				t.Errorf("schema lacks %s.%s (%s)", object, f.Key, f.Type)
			}
		}
	}
}

// BenchmarkGenerateVespa generates the live app's volume and reports its
// size. Run it with -benchtime=1x for the figures alone.
func BenchmarkGenerateVespa(b *testing.B) {
	var ds *knacksim.Dataset
	for b.Loop() {
		var err error
		if ds, err = Generate(Vespa, 1, testNow); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	want := map[string][2]int{
		"object_2": {127, 140}, "object_10": {36000, 37000}, "object_29": {35500, 36500}, "object_5": {500, 540},
		"object_21": {10, 10}, "object_3": {13000, 14500}, "object_112": {12500, 13500},
	}
	for object, lim := range want {
		n := len(ds.Records[object])
		if n < lim[0] || n > lim[1] {
			b.Errorf("%s: %d records, want %d..%d", object, n, lim[0], lim[1])
		}
		b.ReportMetric(float64(n), object)
	}
	answers := 0
	for _, r := range ds.Records[vespa.Object29.Object] {
		for _, q := range vespa.Object29.Questions {
			for _, f := range q.Cycles {
				if v := r.Raw(f.Key); len(v) > 0 && string(v) != `""` {
					answers++
				}
			}
		}
	}
	if answers < 1_000_000 || answers > 1_700_000 {
		b.Errorf("%d answers, want about 1.3 million", answers)
	}
	b.ReportMetric(float64(answers), "answers")
}
