package knack

import (
	"encoding/json"
	"maps"
	"testing"
)

// splitObject must agree with encoding/json on every valid object.
func TestSplitObjectMatchesEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`{}`,
		` { } `,
		`{"id":"a1"}`,
		`{"id" : "a1" , "field_1" : 12 , "field_2":-3.5e2,"field_3":true,"field_4":null}`,
		"{\n\t\"id\": \"x\",\n\t\"field_1_raw\": [{\"id\": \"5f\", \"identifier\": \"A, B\"}],\n\t\"field_2\": {\"a\": [1, [2, {\"b\": \"}\"}]]}\n}",
		`{"id":"q","field_1":"quote \" and backslash \\ and \u0000 and \ud800 and \/"}`,
		`{"id":"q","fi\u0065ld_9":"escaped key","field_9":"later duplicate wins"}`,
		`{"id":"q","field_1":"<span class=\"x\">caf\u00e9</span>","field_2":"東京","field_3":""}`,
		`{"id":"q","field_1":[],"field_2":{},"field_3":[[]],"field_4":0}`,
	} {
		want := map[string]json.RawMessage{}
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatalf("%s: reference: %v", in, err)
		}
		got := map[string]json.RawMessage{}
		if err := splitObject([]byte(in), func(k string, v []byte) { got[k] = v }); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if !maps.EqualFunc(got, want, func(a, b json.RawMessage) bool { return string(a) == string(b) }) {
			t.Errorf("%s:\n got %q\nwant %q", in, got, want)
		}
	}
}

func TestSplitObjectRefusesNonObjects(t *testing.T) {
	for _, in := range []string{`[]`, `"x"`, `12`, ``, `{"a":1`, `{"a" 1}`, `{"a":"1}`} {
		if err := splitObject([]byte(in), func(string, []byte) {}); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestRecordDecodeKeepsFieldsAndJSON(t *testing.T) {
	in := `{"id":"5f1","field_1":"a","field_1_raw":{"email":"A@x.org"}}`
	var r Record
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if r.ID != "5f1" || string(r.Formatted("field_1")) != `"a"` || string(r.Raw("field_1")) != `{"email":"A@x.org"}` ||
		len(r.Fields) != 2 || string(r.JSON) != in {
		t.Fatalf("got %+v", r)
	}
}

func FuzzSplitObject(f *testing.F) {
	f.Add(`{"id":"a","field_1":[1,{"b":"}"}],"field_2":"\"x\""}`)
	f.Add(`{ "a" : { "b" : [ ] } , "c" : -0.5 }`)
	f.Fuzz(func(t *testing.T, in string) {
		want := map[string]json.RawMessage{}
		if json.Unmarshal([]byte(in), &want) != nil || jsonKind([]byte(in)) != kindObject {
			return // only valid objects reach splitObject (null decodes into a map too)
		}
		got := map[string]json.RawMessage{}
		if err := splitObject([]byte(in), func(k string, v []byte) { got[k] = v }); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if !maps.EqualFunc(got, want, func(a, b json.RawMessage) bool { return string(a) == string(b) }) {
			t.Fatalf("%q:\n got %q\nwant %q", in, got, want)
		}
	})
}
