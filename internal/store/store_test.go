package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"knacksync/internal/dbtest"
	"knacksync/internal/pglock"
	"knacksync/internal/vespa"
)

// Every SQL file loads, the store's own and the objects' (vespa.SQL): each
// has sections, each section a statement, and no name is there twice.
func TestScripts(t *testing.T) {
	t.Parallel()
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	got, err := loadScripts(sqlFS)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("sql/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(files) || len(files) == 0 {
		t.Errorf("loaded %d scripts from %d files", len(got), len(files))
	}
	objects, err := fs.Glob(vespa.SQL, "sql/*.sql")
	if err != nil || len(objects) == 0 {
		t.Fatalf("vespa.SQL: %d files, %v", len(objects), err)
	}
	s := New(nil).WithScripts(vespa.SQL)
	if s.loadErr != nil {
		t.Fatal(s.loadErr)
	}
	if len(s.scripts) != len(files)+len(objects) {
		t.Errorf("loaded %d scripts from %d + %d files", len(s.scripts), len(files), len(objects))
	}
	if dup := New(nil).WithScripts(vespa.SQL).WithScripts(vespa.SQL); dup.loadErr == nil {
		t.Error("the same scripts added twice: no error")
	}
}

func TestLoadScriptsErrors(t *testing.T) {
	t.Parallel()
	for name, text := range map[string]string{
		"no section":       "SELECT 1;\n",
		"empty section":    "-- name: a\nSELECT 1;\n-- name: b\n-- only a comment\n",
		"nameless section": "-- name: \nSELECT 1;\n",
	} {
		_, err := loadScripts(fstest.MapFS{"sql/x.sql": {Data: []byte(text)}})
		if err == nil || !strings.Contains(err.Error(), "sql/x.sql") {
			t.Errorf("%s: err = %v, want one naming sql/x.sql", name, err)
		}
	}
}

// Every section the package's Go code names (s.stmt, s.section, s.has with
// literal arguments, s.scripts[literal]) exists, so that no lookup can fail
// in a run. Batch scripts, named by the caller, are the objects' (below).
func TestSections(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	asked := 0
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				var fn string
				switch f := n.Fun.(type) {
				case *ast.SelectorExpr: // s.stmt
					fn = f.Sel.Name
				case *ast.Ident: // stmt
					fn = f.Name
				}
				if len(n.Args) != 2 || !isStoreLookup(fn) {
					return true
				}
				script, ok1 := literal(n.Args[0])
				name, ok2 := literal(n.Args[1])
				if !ok1 {
					return true // a batch script, named by the caller
				}
				if !ok2 {
					t.Errorf("%s: %s(%q, ...) with a computed section name", fset.Position(n.Pos()), fn, script)
					return true
				}
				asked++
				if fn != "has" && !hasSection(script, name) {
					t.Errorf("%s: no section %s in sql/%s.sql", fset.Position(n.Pos()), name, script)
				}
				if fn == "has" && scripts[script] == nil {
					t.Errorf("%s: no sql/%s.sql", fset.Position(n.Pos()), script)
				}
			case *ast.IndexExpr:
				sel, ok := n.X.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "scripts" {
					return true
				}
				if script, ok := literal(n.Index); ok {
					asked++
					if scripts[script] == nil {
						t.Errorf("%s: no sql/%s.sql", fset.Position(n.Pos()), script)
					}
				}
			}
			return true
		})
	}
	if asked < 50 {
		t.Errorf("found %d lookups: the scan misses the package's calls", asked)
	}
	// Batch scripts are the objects' (vespa.Objects, vespa.SQL): each has
	// the stage section ApplyBatch asks for (claims and unowned are
	// optional, asked for with has).
	withObjects := New(nil).WithScripts(vespa.SQL)
	for _, o := range vespa.Objects {
		if _, err := withObjects.section(o.Script, "stage"); err != nil {
			t.Errorf("%s: %v", o.Key, err)
		}
	}
	// HintsSettled runs the two statements of its section.
	if st, err := New(nil).section("hints", "settled"); err != nil || len(st) != 2 {
		t.Errorf("hints.settled: %d statements, %v; want 2", len(st), err)
	}
}

func isStoreLookup(name string) bool { return name == "stmt" || name == "section" || name == "has" }

func literal(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

func hasSection(script, name string) bool {
	for _, st := range scripts[script] {
		if st.name == name {
			return true
		}
	}
	return false
}

// A missing section is an error from the call that needs it, never a panic.
func TestMissingSection(t *testing.T) {
	t.Parallel()
	s := New(dbtest.Pool(t))
	if _, err := s.section("status", "nope"); err == nil || !strings.Contains(err.Error(), "no section nope in sql/status.sql") {
		t.Errorf("section: err = %v", err)
	}
	if _, err := s.ApplyBatch(t.Context(), nil, Batch{Object: "object_0", Script: "nope"}); err == nil || !strings.Contains(err.Error(), "sql/nope.sql") {
		t.Errorf("ApplyBatch of an unknown script: err = %v", err)
	}
	_, err := s.pool.Exec(t.Context(), s.stmt("status", "nope"))
	if err == nil || !strings.Contains(err.Error(), "no section nope in sql/status.sql") {
		t.Errorf("stmt: err = %v", err)
	}
}

// The SQL files take advisory locks by the one key scheme (internal/pglock):
// hashtextextended of a name built from one of pglock's SQL prefixes.
func TestSQLLocks(t *testing.T) {
	t.Parallel()
	lock := regexp.MustCompile(`pg_(try_)?advisory_(xact_)?(un)?lock(_shared)?\(([^\n]*)`)
	key := regexp.MustCompile(`^hashtextextended\('([a-z-]+:)' \|\| `)
	found := 0
	for script, stmts := range New(nil).WithScripts(vespa.SQL).scripts {
		for _, st := range stmts {
			for _, m := range lock.FindAllStringSubmatch(stripComments(st.sql), -1) {
				found++
				k := key.FindStringSubmatch(m[5])
				if k == nil || !slices.Contains(pglock.SQLPrefixes, k[1]) {
					t.Errorf("sql/%s.sql, %s: lock %q is not keyed by a pglock.SQLPrefixes name", script, st.name, m[0])
				}
			}
		}
	}
	if found == 0 {
		t.Error("no advisory lock found in the SQL files")
	}
}
