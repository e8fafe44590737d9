package vespa

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"knacksync/internal/knack"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixture is one testdata/*.json file: hand-written, synthetic records of
// one object and the context they are projected with.
type fixture struct {
	Object  string `json:"object"`
	Comment string `json:"comment"`
	Context struct {
		FirstSeen      time.Time `json:"first_seen"`
		Establishments map[string]struct {
			Name            string `json:"name"`
			IsAustralian    bool   `json:"is_australian"`
			UseStandardYear *bool  `json:"use_standard_year"`
		} `json:"establishments"`
		Accounts map[string]string `json:"accounts"`
	} `json:"context"`
	Records []knack.Record `json:"records"`
}

func (f fixture) context() Context {
	ctx := Context{
		Establishments: map[string]EstablishmentInfo{},
		Accounts:       f.Context.Accounts,
		FirstSeen:      f.Context.FirstSeen,
	}
	for id, e := range f.Context.Establishments {
		ctx.Establishments[id] = EstablishmentInfo{Name: e.Name, IsAustralian: e.IsAustralian, UseStandardYear: e.UseStandardYear}
	}
	return ctx
}

// projected is what one record gives.
type projected struct {
	Record string
	OK     bool
	Rows   any
	Issues []Issue
}

// golden is the content of a testdata/*.golden file.
type golden struct {
	Object  string
	Records []projected
}

func project(t *testing.T, f fixture) golden {
	t.Helper()
	ctx := f.context()
	g := golden{Object: f.Object}
	for _, rec := range f.Records {
		p := projected{Record: rec.ID}
		switch f.Object {
		case Object2.Object:
			p.Rows, p.Issues = ProjectObject2(rec)
			p.OK = true
		case Object10.Object:
			var rows Object10Rows
			rows, p.Issues, p.OK = ProjectObject10(rec, ctx)
			if p.OK {
				p.Rows = rows
			}
		case Object29.Object:
			var rows Object29Rows
			rows, p.Issues, p.OK = ProjectObject29(rec, ctx)
			if p.OK {
				p.Rows = rows
			}
		case Object5.Object:
			var row StaffRow
			row, p.Issues, p.OK = ProjectObject5(rec, ctx)
			if p.OK {
				p.Rows = row
			}
		case Object21.Object:
			var row SuperUserRow
			row, p.Issues, p.OK = ProjectObject21(rec)
			if p.OK {
				p.Rows = row
			}
		case Object3.Object:
			id, email, issues := ProjectObject3(rec)
			p.Rows, p.Issues, p.OK = map[string]string{"ID": id, "Email": email}, issues, email != ""
		case Object112.Object:
			var rows Object112Rows
			rows, p.Issues, p.OK = ProjectObject112(rec, ctx)
			if p.OK {
				p.Rows = rows
			}
		default:
			t.Fatalf("fixture for unknown object %q", f.Object)
		}
		g.Records = append(g.Records, p)
	}
	return g
}

// TestGolden projects every testdata/*.json fixture and compares the rows
// and issues with testdata/*.golden. Run with -update to rewrite them, then
// read the diff.
func TestGolden(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var f fixture
			if err := json.Unmarshal(b, &f); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			got, err := json.MarshalIndent(project(t, f), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			goldenPath := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(goldenPath, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(goldenPath)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(want, got) {
				t.Errorf("%s mismatch (-want +got):\n%s", goldenPath, cmp.Diff(string(want), string(got)))
			}
		})
	}
}
