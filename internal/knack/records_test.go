package knack

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeApp(t *testing.T) {
	t.Parallel()
	body := `{"application":{"id":"5d79512148c4af00106d1507","name":"VESPA","slug":"vespa","subdomain":"us-api",
	  "settings":{"timezone":"London","timezone_offset":"0","cluster":"eu-west"},
	  "objects":[{"key":"object_2","name":"Establishment","identifier":"field_44","type":"StandardObject",
	    "fields":[{"key":"field_44","name":"Name","type":"short_text","required":true,"unique":false},
	              {"key":"field_63","name":"Portal","type":"multiple_choice","format":{"type":"single","options":["COACHING PORTAL"]}}]},
	    {"key":"object_10","name":"VESPA Results","type":"StandardObject","fields":[
	      {"key":"field_133","name":"Establishment","type":"connection","relationship":{"belongs_to":"many","has":"one","object":"object_2"}}]}]}}`
	got, err := decodeApp([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := App{
		ID: "5d79512148c4af00106d1507", Name: "VESPA", Slug: "vespa",
		Settings: AppSettings{Timezone: "London", Cluster: "eu-west"},
		Objects: []ObjectSchema{
			{Key: "object_2", Name: "Establishment", Identifier: "field_44", Type: "StandardObject", Fields: []FieldSchema{
				{Key: "field_44", Name: "Name", Type: "short_text", Required: true},
				{Key: "field_63", Name: "Portal", Type: "multiple_choice", Format: json.RawMessage(`{"type":"single","options":["COACHING PORTAL"]}`)},
			}},
			{Key: "object_10", Name: "VESPA Results", Type: "StandardObject", Fields: []FieldSchema{
				{Key: "field_133", Name: "Establishment", Type: "connection", Relationship: &FieldRelationship{BelongsTo: "many", Has: "one", Object: "object_2"}},
			}},
		},
	}
	if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Raw" }, cmp.Ignore())); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if !json.Valid(got.Raw) || !strings.Contains(string(got.Raw), `"subdomain":"us-api"`) {
		t.Errorf("Raw does not hold the whole application object: %.80s", got.Raw)
	}
	obj, ok := got.Object("object_10")
	if !ok {
		t.Fatal(`Object("object_10") not found`)
	}
	if f, ok := obj.Field("field_133"); !ok || f.Relationship.Object != "object_2" {
		t.Errorf(`Field("field_133") = %+v, %v`, f, ok)
	}
	if _, ok := got.Object("object_99"); ok {
		t.Error(`Object("object_99") found`)
	}

	for _, bad := range []string{`{}`, `{"application":null}`, `not json`, `{"application":{"objects":"x"}}`} {
		if _, err := decodeApp([]byte(bad)); err == nil {
			t.Errorf("decodeApp(%s) gave no error", bad)
		}
	}
}
