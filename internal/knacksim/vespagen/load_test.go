package vespagen

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadDirRoundTrip(t *testing.T) {
	t.Parallel()
	tb := setup(t, Tiny, 1, testNow)
	dir := t.TempDir()
	if err := WriteDir(tb.ds, dir); err != nil {
		t.Fatal(err)
	}
	got, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := dump(t, tb.ds), dump(t, got); !bytes.Equal(a, b) {
		t.Fatalf("round trip differs:\n%.400s\n%.400s", a, b)
	}

	// Without schema.json the VESPA schema applies.
	if err := os.Remove(filepath.Join(dir, SchemaFile)); err != nil {
		t.Fatal(err)
	}
	got, err = LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Schema.ID != AppID || len(got.Records) != len(tb.ds.Records) {
		t.Errorf("without schema.json: schema %s, %d objects", got.Schema.ID, len(got.Records))
	}
}

func TestLoadDirShapes(t *testing.T) {
	t.Parallel()
	const rec = `{"id":"5f3c9e1ab2d4c6e8f0a1b2c4","field_44":"Oak","field_44_raw":"Oak"}`
	dir := t.TempDir()
	write(t, dir, "object_2.json", `{"total_pages":1,"current_page":1,"total_records":1,"records":[`+rec+`]}`)
	write(t, dir, "notes.txt", "ignored")
	write(t, dir, SchemaFile, `{"application":{"id":"5f3c9e1ab2d4c6e8f0a1b2c9","name":"X","settings":{"timezone":"Sydney"},
		"objects":[{"key":"object_2","name":"Schools","identifier":"field_44","fields":[{"key":"field_44","name":"Name","type":"short_text"}]}]}}`)
	ds, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Schema.ID != "5f3c9e1ab2d4c6e8f0a1b2c9" || ds.Schema.Timezone != "Sydney" || len(ds.Records["object_2"]) != 1 {
		t.Errorf("got schema %+v, records %v", ds.Schema, ds.Records)
	}
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadDirErrors(t *testing.T) {
	t.Parallel()
	const good = `{"id":"5f3c9e1ab2d4c6e8f0a1b2c4","field_197":""}`
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"syntax", map[string]string{"object_10.json": "[\n" + good + ",\n{\"id\": }]"}, "object_10.json: line 3 column"},
		{"no id", map[string]string{"object_10.json": "[" + good + `,{"field_1":1}]`}, "object_10.json: record 1: knack record without id"},
		{"bad id", map[string]string{"object_10.json": `[{"id":"xyz"}]`}, `object_10.json: record 0: id "xyz" is not an ObjectId`},
		{"duplicate id", map[string]string{"object_10.json": "[" + good + "," + good + "]"}, "object_10.json: record 1: id 5f3c9e1ab2d4c6e8f0a1b2c4 repeats record 0"},
		{"not a list", map[string]string{"object_10.json": `"records"`}, "object_10.json: want a JSON array"},
		{"envelope without records", map[string]string{"object_10.json": `{"total_pages":0}`}, "object_10.json: want a JSON array"},
		{"record not an object", map[string]string{"object_10.json": `[` + good + `,[1]]`}, "object_10.json: record 1:"},
		{"unknown file", map[string]string{"students.json": `[]`}, "students.json: unexpected file"},
		{"unknown object", map[string]string{"object_999.json": `[]`}, "object_999.json: object_999 is not in the VESPA schema"},
		{"object not in schema.json", map[string]string{"object_10.json": `[]`,
			SchemaFile: `{"id":"5f3c9e1ab2d4c6e8f0a1b2c9","objects":[{"key":"object_2"}]}`}, "object_10 is not in schema.json"},
		{"bad schema", map[string]string{SchemaFile: `{"id":`}, "schema.json: line 1"},
		{"empty schema", map[string]string{SchemaFile: `{}`}, "schema.json: a schema needs an id and objects"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, content := range tc.files {
				write(t, dir, name, content)
			}
			_, err := LoadDir(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("LoadDir: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := LoadDir(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("LoadDir(missing dir): no error")
	}
}
