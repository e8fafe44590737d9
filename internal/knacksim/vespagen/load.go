package vespagen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
)

// SchemaFile is the optional schema file of a data directory.
const SchemaFile = "schema.json"

var (
	objectFileRe = regexp.MustCompile(`^(object_[0-9]+)\.json$`)
	objectIDRe   = regexp.MustCompile(`^[0-9a-f]{24}$`)
)

// LoadDir reads a dataset from a directory of JSON files in the API's
// output shape: object_N.json holds object_N's records, as a JSON array or
// as a page envelope {"records": [...]}; schema.json, optional, holds the
// schema, either as knacksim.Schema or as the API's application metadata
// {"application": {...}}. Without it the VESPA schema (Schema) applies.
// Other .json files are an error (a misnamed file would otherwise be
// skipped silently); files of other types are ignored.
func LoadDir(dir string) (*knacksim.Dataset, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	ds := &knacksim.Dataset{Schema: Schema(), Records: map[string][]knack.Record{}}
	haveSchema := false
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".json") {
			continue
		}
		path := filepath.Join(dir, name)
		if name == SchemaFile {
			s, err := readSchema(path)
			if err != nil {
				return nil, err
			}
			ds.Schema, haveSchema = s, true
			continue
		}
		m := objectFileRe.FindStringSubmatch(name)
		if m == nil {
			return nil, fmt.Errorf("load %s: unexpected file (want object_N.json or %s)", path, SchemaFile)
		}
		recs, err := readRecords(path)
		if err != nil {
			return nil, err
		}
		ds.Records[m[1]] = recs
	}
	for _, object := range slices.Sorted(maps.Keys(ds.Records)) {
		if !slices.ContainsFunc(ds.Schema.Objects, func(o knacksim.Object) bool { return o.Key == object }) {
			which := "the VESPA schema"
			if haveSchema {
				which = SchemaFile
			}
			return nil, fmt.Errorf("load %s: %s is not in %s", filepath.Join(dir, object+".json"), object, which)
		}
	}
	return ds, nil
}

func readSchema(path string) (knacksim.Schema, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return knacksim.Schema{}, fmt.Errorf("load %s: %w", path, err)
	}
	// The API's metadata shape nests everything under "application" and the
	// timezone under "settings".
	var meta struct {
		Application *struct {
			knacksim.Schema
			Settings struct {
				Timezone string `json:"timezone"`
			} `json:"settings"`
		} `json:"application"`
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return knacksim.Schema{}, fmt.Errorf("load %s: %w", path, jsonErr(b, err))
	}
	var s knacksim.Schema
	if meta.Application != nil {
		s = meta.Application.Schema
		if s.Timezone == "" {
			s.Timezone = meta.Application.Settings.Timezone
		}
	} else if err := json.Unmarshal(b, &s); err != nil {
		return knacksim.Schema{}, fmt.Errorf("load %s: %w", path, jsonErr(b, err))
	}
	if s.ID == "" || len(s.Objects) == 0 {
		return knacksim.Schema{}, fmt.Errorf("load %s: a schema needs an id and objects", path)
	}
	return s, nil
}

func readRecords(path string) ([]knack.Record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	trimmed := bytes.TrimSpace(b)
	var items []json.RawMessage
	switch {
	case len(trimmed) > 0 && trimmed[0] == '[':
		err = json.Unmarshal(b, &items)
	case len(trimmed) > 0 && trimmed[0] == '{':
		var env struct {
			Records *[]json.RawMessage `json:"records"`
		}
		if err = json.Unmarshal(b, &env); err == nil {
			if env.Records == nil {
				return nil, fmt.Errorf("load %s: want a JSON array of records or an object with \"records\"", path)
			}
			items = *env.Records
		}
	default:
		return nil, fmt.Errorf("load %s: want a JSON array of records or an object with \"records\"", path)
	}
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, jsonErr(b, err))
	}
	recs := make([]knack.Record, 0, len(items))
	seen := make(map[string]int, len(items))
	for i, item := range items {
		var r knack.Record
		if err := json.Unmarshal(item, &r); err != nil {
			return nil, fmt.Errorf("load %s: record %d: %w", path, i, err)
		}
		if !objectIDRe.MatchString(r.ID) {
			return nil, fmt.Errorf("load %s: record %d: id %q is not an ObjectId (24 lower-case hex digits)", path, i, r.ID)
		}
		if j, dup := seen[r.ID]; dup {
			return nil, fmt.Errorf("load %s: record %d: id %s repeats record %d", path, i, r.ID, j)
		}
		seen[r.ID] = i
		recs = append(recs, r)
	}
	return recs, nil
}

// jsonErr adds the line and column to a JSON syntax error.
func jsonErr(b []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(b[:se.Offset], []byte{'\n'})
		col := se.Offset - int64(bytes.LastIndexByte(b[:se.Offset], '\n'))
		return fmt.Errorf("line %d column %d: %w", line, col, err)
	}
	return err
}

// WriteDir writes a dataset in the layout LoadDir reads: schema.json and
// one object_N.json per object, one record per line.
func WriteDir(ds *knacksim.Dataset, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	schema, err := json.MarshalIndent(ds.Schema, "", "  ")
	if err != nil {
		return fmt.Errorf("write schema: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, SchemaFile), append(schema, '\n'), 0o644); err != nil {
		return err
	}
	for object, recs := range ds.Records {
		if err := writeRecords(filepath.Join(dir, object+".json"), recs); err != nil {
			return err
		}
	}
	return nil
}

func writeRecords(path string, recs []knack.Record) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("[")
	for i, r := range recs {
		b, err := r.MarshalJSON()
		if err != nil {
			return fmt.Errorf("write %s: record %d: %w", path, i, err)
		}
		if i > 0 {
			w.WriteString(",")
		}
		w.WriteString("\n")
		w.Write(b)
	}
	w.WriteString("\n]\n")
	return w.Flush()
}
