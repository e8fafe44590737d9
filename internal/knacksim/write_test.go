package knacksim

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"knacksync/internal/knack"
)

// fieldsOf decodes a record body into its keys.
func fieldsOf(t *testing.T, body []byte) map[string]string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

func TestCreateRendersEveryVESPAType(t *testing.T) {
	t.Parallel()
	b := setup(t)
	body := map[string]any{
		"field_197":     "Ann.Lee@School.org",
		"field_187":     map[string]any{"first": "Ann", "last": "Lee"},
		"field_133":     b.school, // a single id string
		"field_855":     "03/14/2024",
		"field_146":     "2",
		"field_155":     7.0,
		"field_223":     "12A",
		"field_2302":    "Line one\nLine two",
		"field_143":     "Female",
		"field_900":     []string{"Sport", "Music"},
		"field_901":     "03/15/2024 2:05 pm",
		"field_902":     "ON",
		"field_903":     "S-001",
		"field_999":     "unknown keys are ignored",
		"field_155_raw": 99, // so are _raw keys
	}
	resp := b.c.do("POST", "/objects/object_10/records", body)
	if resp.status != 200 {
		t.Fatalf("status %d: %s", resp.status, resp.body)
	}
	got := fieldsOf(t, resp.body)
	id := got["id"]
	want := map[string]string{
		"id":             id,
		"field_197":      `"<a href=\"mailto:Ann.Lee@School.org\">Ann.Lee@School.org</a>"`,
		"field_197_raw":  `{"email":"Ann.Lee@School.org"}`,
		"field_187":      `"Ann Lee"`,
		"field_187_raw":  `{"first":"Ann","last":"Lee","full":"Ann Lee"}`,
		"field_133":      `"<span class=\"` + b.school + `\">Hillside Academy</span>"`,
		"field_133_raw":  `[{"id":"` + b.school + `","identifier":"Hillside Academy"}]`,
		"field_855":      `"14/03/2024"`,
		"field_855_raw":  `{"date":"03/14/2024","date_formatted":"14/03/2024","hours":"12","minutes":"00","am_pm":"AM","unix_timestamp":1710374400000,"iso_timestamp":"2024-03-14T00:00:00.000Z","timestamp":"03/14/2024 12:00 am","time":720}`,
		"field_146":      `2`,
		"field_146_raw":  `2`,
		"field_155":      `7`,
		"field_155_raw":  `7`,
		"field_223":      `"12A"`,
		"field_223_raw":  `"12A"`,
		"field_2302":     `"Line one<br />Line two"`,
		"field_2302_raw": `"Line one\nLine two"`,
		"field_143":      `"Female"`,
		"field_143_raw":  `"Female"`,
		"field_900":      `"Sport, Music"`,
		"field_900_raw":  `["Sport","Music"]`,
		"field_901":      `"03/15/2024 2:05pm"`,
		"field_901_raw":  `{"date":"03/15/2024","date_formatted":"03/15/2024","hours":"02","minutes":"05","am_pm":"PM","unix_timestamp":1710511500000,"iso_timestamp":"2024-03-15T14:05:00.000Z","timestamp":"03/15/2024 02:05 pm","time":845}`,
		"field_902":      `"Yes"`,
		"field_902_raw":  `true`,
		"field_903":      `"S-001"`,
		"field_903_raw":  `"S-001"`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("created record mismatch (-want +got):\n%s", diff)
	}
	// The id is an ObjectId stamped with the clock.
	raw, err := hex.DecodeString(id[1 : len(id)-1])
	if err != nil || len(raw) != 12 {
		t.Fatalf("id %s is not 24-hex", id)
	}
	if sec := int64(raw[0])<<24 | int64(raw[1])<<16 | int64(raw[2])<<8 | int64(raw[3]); sec != fixedNow.Unix() {
		t.Errorf("id time %d, want %d", sec, fixedNow.Unix())
	}
	// GET gives the same record, and so does the data access API.
	plainID := id[1 : len(id)-1]
	if diff := cmp.Diff(want, fieldsOf(t, b.c.get("/objects/object_10/records/"+plainID).body)); diff != "" {
		t.Errorf("GET mismatch (-want +got):\n%s", diff)
	}
	rec, ok := b.s.Get("object_10", plainID)
	if !ok || string(rec.Fields["field_855_raw"]) != want["field_855_raw"] {
		t.Errorf("Get = %v %v", ok, rec)
	}
}

func TestCreateBlankFieldsAndIncreasingIDs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var prev string
	for i := range 5 {
		resp := b.c.do("POST", "/objects/object_10/records", map[string]any{"field_197": fmt.Sprintf("s%d@x.org", i)})
		if resp.status != 200 {
			t.Fatalf("status %d: %s", resp.status, resp.body)
		}
		got := fieldsOf(t, resp.body)
		if got["id"] <= prev {
			t.Errorf("id %s not after %s", got["id"], prev)
		}
		prev = got["id"]
		// Fields left out are present and blank.
		for k, v := range map[string]string{"field_133": `""`, "field_133_raw": `[]`, "field_155": `""`, "field_155_raw": `""`, "field_900_raw": `[]`, "field_855_raw": `""`} {
			if got[k] != v {
				t.Errorf("%s = %s, want %s", k, got[k], v)
			}
		}
	}
	if n := b.s.Count("object_10"); n != 5 {
		t.Errorf("Count = %d", n)
	}
}

func TestUpdateIsPartial(t *testing.T) {
	t.Parallel()
	b := setup(t)
	created := fieldsOf(t, b.c.do("POST", "/objects/object_10/records", map[string]any{
		"field_197": "a@x.org", "field_155": 4, "field_223": "12A", "field_133": []string{b.school},
	}).body)
	var id string
	json.Unmarshal([]byte(created["id"]), &id)
	resp := b.c.do("PUT", "/objects/object_10/records/"+id, map[string]any{"field_155": "9", "field_223": ""})
	if resp.status != 200 {
		t.Fatalf("status %d: %s", resp.status, resp.body)
	}
	got := fieldsOf(t, resp.body)
	want := merged(created, map[string]string{"field_155": `9`, "field_155_raw": `9`, "field_223": `""`, "field_223_raw": `""`})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("updated record mismatch (-want +got):\n%s", diff)
	}
	// Storage order is kept on update.
	if recs := b.s.Records("object_10"); len(recs) != 1 || recs[0].ID != id || string(recs[0].Fields["field_155_raw"]) != "9" {
		t.Errorf("Records = %v", recs)
	}
}

func merged(base map[string]string, over map[string]string) map[string]string {
	out := make(map[string]string, len(base))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

func TestDelete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp := b.c.do("DELETE", "/objects/object_2/records/"+b.school, nil)
	if resp.status != 200 || string(resp.body) != `{"delete":true}` {
		t.Fatalf("got %d %s", resp.status, resp.body)
	}
	if resp := b.c.get("/objects/object_2/records/" + b.school); resp.status != 404 {
		t.Errorf("after delete: %d", resp.status)
	}
	if resp := b.c.do("DELETE", "/objects/object_2/records/"+b.school, nil); resp.status != 404 {
		t.Errorf("second delete: %d", resp.status)
	}
	if b.s.Count("object_2") != 0 {
		t.Errorf("Count = %d", b.s.Count("object_2"))
	}
}

func TestUniqueField(t *testing.T) {
	t.Parallel()
	b := setup(t)
	first := b.c.do("POST", "/objects/object_10/records", map[string]any{"field_197": "a@x.org", "field_903": "S-1"})
	if first.status != 200 {
		t.Fatalf("status %d: %s", first.status, first.body)
	}
	resp := b.c.do("POST", "/objects/object_10/records", map[string]any{"field_197": "b@x.org", "field_903": "s-1"})
	if want := `{"errors":[{"field":"field_903","type":"unique","message":"Student Number must be unique."}]}`; resp.status != 400 || string(resp.body) != want {
		t.Errorf("got %d %s, want 400 %s", resp.status, resp.body, want)
	}
	// Updating a record with its own value is fine.
	var id string
	json.Unmarshal([]byte(fieldsOf(t, first.body)["id"]), &id)
	if resp := b.c.do("PUT", "/objects/object_10/records/"+id, map[string]any{"field_903": "S-1"}); resp.status != 200 {
		t.Errorf("self update: %d %s", resp.status, resp.body)
	}
}

func TestSeveralValidationErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp := b.c.do("POST", "/objects/object_10/records", map[string]any{"field_155": "x", "field_133": "not-an-id"})
	want := `{"errors":[{"field":"field_197","type":"required","message":"Email is required."},{"field":"field_133","type":"invalid","message":"Establishment must be a record id or a list of record ids."},{"field":"field_155","type":"invalid","message":"Vision 1 must be a number."}]}`
	if resp.status != 400 || string(resp.body) != want {
		t.Errorf("got %d %s\nwant %s", resp.status, resp.body, want)
	}
	if b.s.Count("object_10") != 0 {
		t.Error("a rejected write was stored")
	}
}

func TestDataAccessAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	put := []string{hexID(50), hexID(51), hexID(52)}
	for _, id := range put {
		b.s.Put("object_2", makeRecord(t, b.schema, "object_2", id, map[string]any{"field_44": "School " + id}))
	}
	// Replace keeps the position; Put skips validation (no field_44 here).
	b.s.Put("object_2", knack.Record{ID: put[0], Fields: map[string]json.RawMessage{"field_3573": json.RawMessage(` true `), "extra": json.RawMessage(`1`)}})
	recs := b.s.Records("object_2")
	if diff := cmp.Diff([]string{b.school, put[0], put[1], put[2]}, []string{recs[0].ID, recs[1].ID, recs[2].ID, recs[3].ID}); diff != "" {
		t.Errorf("order mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]json.RawMessage{"field_3573": json.RawMessage(`true`), "extra": json.RawMessage(`1`)}, recs[1].Fields); diff != "" {
		t.Errorf("replaced record mismatch (-want +got):\n%s", diff)
	}
	if !b.s.Delete("object_2", put[1]) || b.s.Delete("object_2", put[1]) || b.s.Count("object_2") != 3 {
		t.Error("Delete")
	}
	// Records put directly are served over HTTP, and Put sends no hint.
	var env envelope
	b.c.get("/objects/object_2/records?filters="+url.QueryEscape(`[{"field":"field_3573","operator":"is","value":true}]`)).json(t, &env)
	if diff := cmp.Diff([]string{put[0]}, ids(env.Records)); diff != "" {
		t.Errorf("filter on a Put record (-want +got):\n%s", diff)
	}
	// A Put without id gets a new one.
	b.s.Put("object_2", knack.Record{Fields: map[string]json.RawMessage{"field_44": json.RawMessage(`"New"`)}})
	if recs := b.s.Records("object_2"); !isObjectID(recs[len(recs)-1].ID) {
		t.Errorf("new id %q", recs[len(recs)-1].ID)
	}
	for name, f := range map[string]func(){
		"unknown object": func() { b.s.Put("object_99", knack.Record{ID: hexID(1)}) },
		"invalid JSON": func() {
			b.s.Put("object_2", knack.Record{ID: hexID(1), Fields: map[string]json.RawMessage{"x": json.RawMessage(`{`)}})
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Put with %s did not panic", name)
				}
			}()
			f()
		}()
	}
	if b.s.Records("object_99") != nil || b.s.Count("object_99") != 0 || b.s.Delete("object_99", "x") {
		t.Error("unknown object access")
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 10 {
				resp := b.c.do("POST", "/objects/object_10/records", map[string]any{"field_197": fmt.Sprintf("w%d-%d@x.org", w, i), "field_155": i, "field_133": b.school})
				if resp.status != 200 {
					t.Errorf("create: %d %s", resp.status, resp.body)
					return
				}
				var rec knack.Record
				resp.json(t, &rec)
				b.c.do("PUT", "/objects/object_10/records/"+rec.ID, map[string]any{"field_155": 10 - i})
				b.c.get("/objects/object_10/records?rows_per_page=1000&sort_field=field_155&filters=" + url.QueryEscape(`[{"field":"field_155","operator":"higher than","value":3}]`))
				if i%3 == 0 {
					b.c.do("DELETE", "/objects/object_10/records/"+rec.ID, nil)
				}
				b.s.Put("object_2", makeRecord(t, b.schema, "object_2", hexID(1000+w), map[string]any{"field_44": "S"}))
				_ = b.s.Records("object_10")
				b.s.SetLatency(0, 0)
				_ = b.s.Counts()
			}
		})
	}
	wg.Wait()
	if n := b.s.Count("object_10"); n != 8*6 {
		t.Errorf("Count = %d, want %d", n, 8*6)
	}
}
