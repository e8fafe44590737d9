package knacksim

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"knacksync/internal/knack"
)

// testBundle is a started simulator with a client and a few records.
type testBundle struct {
	s      *Server
	c      *client
	schema Schema
	school string // an object_2 record id
}

func setup(t *testing.T, mutate ...func(*Options)) *testBundle {
	t.Helper()
	schema := testSchema()
	school := hexID(1)
	ds := &Dataset{Schema: schema, Records: map[string][]knack.Record{
		"object_2": {makeRecord(t, schema, "object_2", school, map[string]any{"field_44": "Hillside Academy", "field_2209": "Active", "field_3573": false})},
	}}
	opts := testOptions(ds)
	for _, m := range mutate {
		m(&opts)
	}
	s := Start(t, opts)
	return &testBundle{s: s, c: newClient(t, s), schema: schema, school: school}
}

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	a, err := New(Options{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := New(Options{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !isObjectID(a.AppID()) {
		t.Errorf("AppID %q is not 24-hex", a.AppID())
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(a.APIKey()) {
		t.Errorf("APIKey %q is not UUID-shaped", a.APIKey())
	}
	if a.AppID() != b.AppID() || a.APIKey() != b.APIKey() {
		t.Errorf("same seed, different credentials: %s/%s vs %s/%s", a.AppID(), a.APIKey(), b.AppID(), b.APIKey())
	}
	if a.URL() != "" {
		t.Errorf("URL before Start = %q", a.URL())
	}
	c, err := New(Options{Seed: 8, AppID: "app", APIKey: "key"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.AppID() != "app" || c.APIKey() != "key" {
		t.Errorf("explicit credentials not used: %s %s", c.AppID(), c.APIKey())
	}
}

func TestNewRejectsBadDatasets(t *testing.T) {
	t.Parallel()
	schema := testSchema()
	for name, ds := range map[string]*Dataset{
		"records of an unknown object": {Schema: schema, Records: map[string][]knack.Record{"object_99": {{ID: hexID(1)}}}},
		"record without id":            {Schema: schema, Records: map[string][]knack.Record{"object_2": {{}}}},
		"invalid JSON value":           {Schema: schema, Records: map[string][]knack.Record{"object_2": {{ID: hexID(1), Fields: map[string]json.RawMessage{"field_44": json.RawMessage(`{`)}}}}},
		"duplicate object":             {Schema: Schema{Objects: []Object{{Key: "object_1"}, {Key: "object_1"}}}},
		"view of an unknown object":    {Schema: Schema{Scenes: []Scene{{Key: "scene_1", Views: []View{{Key: "view_1", Object: "object_1"}}}}}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if s, err := New(Options{Dataset: ds}); err == nil {
				s.Close()
				t.Fatal("New succeeded")
			}
		})
	}
}

func TestURLAndStart(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/v1$`).MatchString(b.s.URL()) {
		t.Errorf("URL = %q", b.s.URL())
	}
	if err := b.s.Start("127.0.0.1:0"); err == nil {
		t.Error("second Start succeeded")
	}
}

func TestSchemaEndpoint(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// No auth headers at all, and the call counts toward no limit.
	b.c.headers = nil
	resp := b.c.get("/applications/" + b.s.AppID())
	if resp.status != http.StatusOK {
		t.Fatalf("status %d: %s", resp.status, resp.body)
	}
	var got struct {
		Application struct {
			ID       string `json:"id"`
			Name     string `json:"name"`
			Settings struct {
				Timezone       string `json:"timezone"`
				TimezoneOffset string `json:"timezone_offset"`
			} `json:"settings"`
			Objects []struct {
				Key        string  `json:"key"`
				Name       string  `json:"name"`
				Identifier string  `json:"identifier"`
				Type       string  `json:"type"`
				Fields     []Field `json:"fields"`
			} `json:"objects"`
			Scenes []struct {
				Key           string `json:"key"`
				Authenticated bool   `json:"authenticated"`
				Views         []struct {
					Key    string `json:"key"`
					Source struct {
						Object string `json:"object"`
					} `json:"source"`
				} `json:"views"`
			} `json:"scenes"`
		} `json:"application"`
	}
	resp.json(t, &got)
	app := got.Application
	if app.ID != b.s.AppID() || app.Name != "VESPA Test" || app.Settings.Timezone != "London" || app.Settings.TimezoneOffset != "0" {
		t.Errorf("application header = %+v", app)
	}
	if len(app.Objects) != 2 || app.Objects[1].Key != "object_10" || app.Objects[1].Identifier != "field_187" || app.Objects[1].Type != "StandardObject" {
		t.Fatalf("objects = %+v", app.Objects)
	}
	if diff := cmp.Diff(testSchema().Objects[1].Fields, app.Objects[1].Fields); diff != "" {
		t.Errorf("fields mismatch (-want +got):\n%s", diff)
	}
	if len(app.Scenes) != 2 || !app.Scenes[1].Authenticated || app.Scenes[1].Views[0].Source.Object != "object_10" {
		t.Errorf("scenes = %+v", app.Scenes)
	}
	if used := b.s.QuotaUsed(); used != 0 {
		t.Errorf("schema call counted toward the quota: %d", used)
	}
	if resp := b.c.get("/applications/5d7964420000000000000000"); resp.status != http.StatusNotFound {
		t.Errorf("unknown app: status %d", resp.status)
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	b := setup(t)
	path := "/objects/object_2/records"
	tests := []struct {
		name        string
		headers     []string
		wantStatus  int
		wantBody    string
		contentType string
	}{
		{"ok", nil, 200, "", "application/json"},
		{"key header spelled in capitals", []string{"X-Knack-REST-API-Key", "", "X-KNACK-REST-API-KEY", b.s.APIKey()}, 200, "", "application/json"},
		{"wrong key", []string{"X-Knack-REST-API-Key", "nope"}, 401, "Invalid API Key", "text/html"},
		{"no key", []string{"X-Knack-REST-API-Key", ""}, 401, "Invalid API Key", "text/html"},
		{"view key knack on an object route", []string{"X-Knack-REST-API-Key", "knack"}, 401, "Invalid API Key", "text/html"},
		{"wrong app id", []string{"X-Knack-Application-Id", "5d7964420000000000000000"}, 401, "Invalid Application ID", "text/html"},
		{"no app id", []string{"X-Knack-Application-Id", ""}, 401, "Invalid Application ID", "text/html"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := b.c.get(path, tt.headers...)
			if resp.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.status, tt.wantStatus, resp.body)
			}
			if tt.wantBody != "" && string(resp.body) != tt.wantBody {
				t.Errorf("body %q, want %q", resp.body, tt.wantBody)
			}
			if ct := resp.header.Get("Content-Type"); !strings.HasPrefix(ct, tt.contentType) {
				t.Errorf("Content-Type %q, want %s", ct, tt.contentType)
			}
		})
	}
}

func TestErrorBodies(t *testing.T) {
	t.Parallel()
	b := setup(t)
	missing := "65f000000000000000ffffff"
	tests := []struct {
		name, method, path string
		body               any
		wantStatus         int
		wantText           string // text/html body
		wantJSON           string // JSON body
	}{
		{"unknown object list", "GET", "/objects/object_99/records", nil, 400, "Malformed Object Key: object_99", ""},
		{"unknown object create", "POST", "/objects/invalid_object/records", map[string]any{}, 400, "Malformed Object Key: invalid_object", ""},
		{"malformed id get", "GET", "/objects/object_2/records/77777777", nil, 400, "Malformed Record Key: 77777777", ""},
		{"malformed id put", "PUT", "/objects/object_2/records/invalid_object", map[string]any{}, 400, "Malformed Record Key: invalid_object", ""},
		{"malformed id delete", "DELETE", "/objects/object_2/records/xyz", nil, 400, "Malformed Record Key: xyz", ""},
		{"missing id get", "GET", "/objects/object_2/records/" + missing, nil, 404, "", `{"errors":[{"message":"Record not found"}]}`},
		{"missing id put", "PUT", "/objects/object_2/records/" + missing, map[string]any{"field_44": "x"}, 404, "", `{"errors":[{"message":"Record not found"}]}`},
		{"missing id delete", "DELETE", "/objects/object_2/records/" + missing, nil, 404, "", `{"errors":[{"message":"Record not found"}]}`},
		{"required missing", "POST", "/objects/object_2/records", map[string]any{"field_2209": "Active"}, 400, "", `{"errors":[{"field":"field_44","type":"required","message":"Name is required."}]}`},
		{"required blanked", "PUT", "/objects/object_2/records/" + b.school, map[string]any{"field_44": ""}, 400, "", `{"errors":[{"field":"field_44","type":"required","message":"Name is required."}]}`},
		{"invalid value", "POST", "/objects/object_10/records", map[string]any{"field_197": "a@b.c", "field_155": "seven"}, 400, "", `{"errors":[{"field":"field_155","type":"invalid","message":"Vision 1 must be a number."}]}`},
		{"bad filters", "GET", "/objects/object_2/records?filters=%7Bnope", nil, 400, "", `{"errors":[{"message":"Invalid filters"}]}`},
		{"body not JSON", "POST", "/objects/object_2/records", "[1]", 400, "", `{"errors":[{"message":"Invalid JSON in request body"}]}`},
		{"unknown sort field", "GET", "/objects/object_2/records?sort_field=field_1", nil, 400, "", `{"errors":[{"message":"Invalid sort_field"}]}`},
		{"unknown view", "GET", "/pages/scene_9/views/view_9/records", nil, 404, "", `{"errors":[{"message":"View not found"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := b.c.do(tt.method, tt.path, tt.body)
			if resp.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.status, tt.wantStatus, resp.body)
			}
			ct := resp.header.Get("Content-Type")
			if tt.wantText != "" {
				if !strings.HasPrefix(ct, "text/html") || string(resp.body) != tt.wantText {
					t.Errorf("got %s %q, want text/html %q", ct, resp.body, tt.wantText)
				}
				return
			}
			if !strings.HasPrefix(ct, "application/json") || string(resp.body) != tt.wantJSON {
				t.Errorf("got %s %s, want JSON %s", ct, resp.body, tt.wantJSON)
			}
		})
	}
}

func TestNotFoundStatus400(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.NotFoundStatus = http.StatusBadRequest })
	id := "65f000000000000000ffffff"
	resp := b.c.get("/objects/object_2/records/" + id)
	if resp.status != 400 || string(resp.body) != "Malformed Record Key: "+id {
		t.Errorf("got %d %q", resp.status, resp.body)
	}
}

func TestHeadersOnEveryResponse(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.RatePerSecond = 50; o.DailyQuota = 1000 })
	next := fixedNow.Truncate(time.Second).Add(time.Second).Unix()
	msToMidnight := time.Date(2024, 3, 16, 0, 0, 0, 0, time.UTC).Sub(fixedNow).Milliseconds()
	for _, tt := range []struct {
		name, method, path string
		headers            []string
		status             int
	}{
		{"list", "GET", "/objects/object_2/records", nil, 200},
		{"401", "GET", "/objects/object_2/records", []string{"X-Knack-REST-API-Key", "x"}, 401},
		{"400 text", "GET", "/objects/nope/records", nil, 400},
		{"404 json", "GET", "/objects/object_2/records/65f000000000000000ffffff", nil, 404},
		{"schema", "GET", "/applications/" + b.s.AppID(), nil, 200},
		{"unknown path", "GET", "/nothing/here", nil, 404},
		{"wrong method", "PATCH", "/objects/object_2/records", nil, 405},
	} {
		resp := b.c.do(tt.method, tt.path, nil, tt.headers...)
		if resp.status != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, resp.status, tt.status)
		}
		h := resp.header
		if h.Get("X-RateLimit-Limit") != "50" || h.Get("X-RateLimit-Reset") != strconv.FormatInt(next, 10) || h.Get("X-RateLimit-Remaining") == "" {
			t.Errorf("%s: rate headers %v", tt.name, h)
		}
		if h.Get("X-PlanLimit-Limit") != "1000" || h.Get("X-PlanLimit-Reset") != strconv.FormatInt(msToMidnight, 10) || h.Get("X-PlanLimit-Remaining") == "" {
			t.Errorf("%s: plan headers %v", tt.name, h)
		}
	}
	// Unlimited quota reports a large limit.
	u := setup(t)
	if got := u.c.get("/objects/object_2/records").header.Get("X-PlanLimit-Limit"); got != "100000000" {
		t.Errorf("unlimited X-PlanLimit-Limit = %q", got)
	}
}

func TestRequestLogAndCounts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.c.get("/objects/object_2/records?page=1")
	b.c.get("/objects/object_2/records/" + b.school)
	b.c.get("/objects/nope/records")
	reqs := b.s.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests logged", len(reqs))
	}
	want := Request{Time: fixedNow, Method: "GET", Path: "/v1/objects/object_2/records", Query: "page=1", Route: "GET /v1/objects/{object}/records", Status: 200}
	if diff := cmp.Diff(want, reqs[0], cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Duration" }, cmp.Ignore())); diff != "" {
		t.Errorf("request mismatch (-want +got):\n%s", diff)
	}
	c := b.s.Counts()
	if c.Total != 3 || c.ByStatus[200] != 2 || c.ByStatus[400] != 1 || c.ByRoute["GET /v1/objects/{object}/records"] != 2 || c.QuotaUsed != 3 {
		t.Errorf("counts = %+v", c)
	}
	b.s.ResetLog()
	if c := b.s.Counts(); c.Total != 0 || len(b.s.Requests()) != 0 || len(c.ByStatus) != 0 {
		t.Errorf("after ResetLog: %+v", c)
	}
}
