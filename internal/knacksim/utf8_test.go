package knacksim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
	"knacksync/internal/knacksim/vespagen"
)

// Knack answers valid UTF-8 JSON, and so must the simulator: every body it
// sends for the generated data set, dirty cases included (listings in
// every format, each record, the schema, view routes, error answers), is
// valid UTF-8, and valid JSON where it is JSON. The hostile text is still
// there, as escapes (docs/simulator.md, "Text").
func TestAnswersAreValidUTF8JSON(t *testing.T) {
	t.Parallel()
	ds, dirty, err := vespagen.GenerateWithManifest(vespagen.Tiny, 1, time.Date(2026, time.March, 4, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	ds.Schema.Scenes = []knacksim.Scene{{Key: "scene_1", Slug: "results", Name: "Results", Views: []knacksim.View{
		{Key: "view_1", Type: "table", Name: "Results", Object: "object_10"},
	}}}
	srv := knacksim.Start(t, knacksim.Options{Dataset: ds, RatePerSecond: -1})

	answers := 0
	get := func(path string, wantStatus int) []byte {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL()+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Knack-Application-Id", srv.AppID())
		req.Header.Set("X-Knack-REST-API-Key", srv.APIKey())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		answers++
		if resp.StatusCode != wantStatus {
			t.Errorf("GET %s: status %d, want %d: %.200s", path, resp.StatusCode, wantStatus, body)
		}
		if !utf8.Valid(body) {
			t.Errorf("GET %s: body is not valid UTF-8: %.200q", path, body)
		}
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && !json.Valid(body) {
			t.Errorf("GET %s: body is not valid JSON: %.200q", path, body)
		}
		return body
	}

	get("/applications/"+srv.AppID(), http.StatusOK)
	for _, obj := range ds.Schema.Objects {
		for _, format := range []string{"", "&format=raw", "&format=html"} {
			for page := 1; ; page++ {
				body := get("/objects/"+obj.Key+"/records?rows_per_page=100&page="+strconv.Itoa(page)+format, http.StatusOK)
				var p struct {
					TotalPages int `json:"total_pages"`
					Records    []struct {
						ID string `json:"id"`
					} `json:"records"`
				}
				if err := json.Unmarshal(body, &p); err != nil {
					t.Fatalf("%s page %d: %v", obj.Key, page, err)
				}
				if format == "" {
					for _, r := range p.Records {
						get("/objects/"+obj.Key+"/records/"+r.ID, http.StatusOK)
					}
				}
				if page >= p.TotalPages {
					break
				}
			}
		}
	}
	get("/pages/scene_1/views/view_1/records?rows_per_page=1000", http.StatusOK)
	get("/objects/object_10/records/"+strings.Repeat("0", 24), http.StatusNotFound)
	get("/objects/object_10/records?filters="+url.QueryEscape(`{"rules":[{"field":"field_9999","operator":"is","value":"x"}]}`), http.StatusBadRequest)
	get("/objects/object_%FF%FE/records", http.StatusBadRequest)      // echoes the object key
	get("/objects/object_10/records/ab%FF%FE", http.StatusBadRequest) // echoes the record id
	if answers < 100 {
		t.Errorf("only %d answers checked", answers)
	}

	// The hostile text is there, escaped.
	for _, c := range []struct {
		refs   []vespagen.Ref
		escape string
	}{{dirty.TextNUL, `\u0000`}, {dirty.TextInvalidUTF8, `\ud`}} {
		for _, r := range c.refs {
			if body := get("/objects/"+r.Object+"/records/"+r.ID, http.StatusOK); !strings.Contains(string(body), c.escape) {
				t.Errorf("record %s: no %s escape in %.300s", r.ID, c.escape, body)
			}
		}
	}
}

// Bytes that are not UTF-8, which only a test can plant, go out as one
// \udcXX escape each, and the client drops them as it would drop the bytes.
func TestPlantedInvalidBytesAreEscaped(t *testing.T) {
	t.Parallel()
	ds := &knacksim.Dataset{Schema: knacksim.Schema{Name: "Notes", Objects: []knacksim.Object{{
		Key: "object_1", Name: "Note", Identifier: "field_1",
		Fields: []knacksim.Field{{Key: "field_1", Name: "Text", Type: "short_text"}},
	}}}}
	srv := knacksim.Start(t, knacksim.Options{Dataset: ds, RatePerSecond: -1})
	id := "5f0c1e2d3a4b5c6d7e8f9012"
	planted := json.RawMessage("\"Ann\xff\xfeBell caf\xe9 Gr\xc3\x28oup\"")
	srv.Put("object_1", knack.Record{ID: id, Fields: map[string]json.RawMessage{"field_1": planted, "field_1_raw": planted}})

	client := knack.New(knack.Config{BaseURL: srv.URL(), AppID: srv.AppID(), APIKey: srv.APIKey()})
	rec, err := client.Get(t.Context(), "object_1", id)
	if err != nil {
		t.Fatal(err)
	}
	raw := rec.Raw("field_1")
	if want := `"Ann\udcff\udcfeBell caf\udce9 Gr\udcc3(oup"`; string(raw) != want {
		t.Errorf("field_1_raw sent as %s, want %s", raw, want)
	}
	if !utf8.Valid(rec.JSON) || !json.Valid(rec.JSON) {
		t.Errorf("record sent as %q: not valid UTF-8 JSON", rec.JSON)
	}
	if got, want := knack.DecodeText(rec, "field_1"), "AnnBell caf Gr(oup"; got != want {
		t.Errorf("DecodeText = %q, want %q", got, want)
	}
}
