package main

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// readmeRoot is the repository's top (tests run in cmd/server).
const readmeRoot = "../.."

// envName is what an environment variable's name looks like.
var envName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// envReads finds every environment variable the Go code under cmd/ and
// internal/ reads, by name, with the files that read it: calls of getenv
// (the injected func, e.getenv included), os.Getenv and os.LookupEnv with
// a literal name, and config's get("NAME", default). With tests, _test.go
// files count too.
//
// A read with a name that is not a literal cannot be checked against the
// README: outside internal/config (whose get helper passes its argument on)
// it is reported in bad.
func envReads(t *testing.T, tests bool) (reads map[string][]string, bad []string) {
	t.Helper()
	reads = map[string][]string{}
	fset := token.NewFileSet()
	for _, dir := range []string{"cmd", "internal"} {
		err := filepath.WalkDir(filepath.Join(readmeRoot, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			if strings.HasSuffix(path, "_test.go") && !tests {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(readmeRoot, path)
			inConfig := filepath.Dir(rel) == filepath.Join("internal", "config")
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) == 0 || !readsEnv(call.Fun, inConfig) {
					return true
				}
				lit, ok := call.Args[0].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					if !inConfig {
						bad = append(bad, fset.Position(call.Pos()).String())
					}
					return true
				}
				name, err := strconv.Unquote(lit.Value)
				if err == nil && envName.MatchString(name) && !slices.Contains(reads[name], rel) {
					reads[name] = append(reads[name], rel)
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return reads, bad
}

// readsEnv reports whether fun is a function that reads the environment.
func readsEnv(fun ast.Expr, inConfig bool) bool {
	switch f := fun.(type) {
	case *ast.Ident:
		return f.Name == "getenv" || (inConfig && f.Name == "get")
	case *ast.SelectorExpr:
		if f.Sel.Name == "getenv" {
			return true
		}
		pkg, ok := f.X.(*ast.Ident)
		return ok && pkg.Name == "os" && (f.Sel.Name == "Getenv" || f.Sel.Name == "LookupEnv")
	}
	return false
}

// readme is README.md split into what the tests look at.
type readme struct {
	lines []string
	// blocks are the fenced code blocks, in order, each a list of lines.
	blocks [][]string
	// code is every piece of code text: each line of a fenced block and
	// each inline code span.
	code []string
}

var (
	headingRE  = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*$`)
	codeSpanRE = regexp.MustCompile("`([^`]+)`")
)

func readReadme(t *testing.T) readme {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(readmeRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	r := readme{lines: strings.Split(string(b), "\n")}
	var block, text []string
	inBlock := false
	for _, line := range r.lines {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			if inBlock {
				r.blocks = append(r.blocks, block)
				block = nil
			}
			inBlock = !inBlock
			text = append(text, "")
			continue
		}
		if inBlock {
			block = append(block, line)
			r.code = append(r.code, line)
			continue
		}
		text = append(text, line)
	}
	if inBlock {
		t.Fatal("README.md: a fenced code block is not closed")
	}
	// Inline code spans, also those that wrap onto the next line.
	for _, m := range codeSpanRE.FindAllStringSubmatch(strings.Join(text, "\n"), -1) {
		r.code = append(r.code, strings.ReplaceAll(m[1], "\n", " "))
	}
	return r
}

// section returns the lines under the first heading (outside code blocks)
// whose text contains title, up to the next heading of the same or a
// higher level.
func (r readme) section(t *testing.T, title string) []string {
	t.Helper()
	inBlock := false
	start, level := -1, 0
	for i, line := range r.lines {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inBlock = !inBlock
			continue
		}
		m := headingRE.FindStringSubmatch(line)
		if inBlock || m == nil {
			continue
		}
		if start >= 0 && len(m[1]) <= level {
			return r.lines[start:i]
		}
		if start < 0 && strings.Contains(strings.ToLower(m[2]), strings.ToLower(title)) {
			start, level = i+1, len(m[1])
		}
	}
	if start < 0 {
		t.Fatalf("README.md has no heading containing %q", title)
	}
	return r.lines[start:]
}

// tableRows returns the cells of the first Markdown table in lines: the
// header, then the data rows (the separator row left out). An escaped pipe
// (\|) stays inside its cell.
func tableRows(lines []string) (header []string, rows [][]string) {
	started := false
	for _, line := range lines {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			if started {
				break
			}
			continue
		}
		started = true
		cells := splitRow(line)
		switch {
		case header == nil:
			header = cells
		case strings.Trim(strings.Join(cells, ""), "-: ") == "":
			// the separator row
		default:
			rows = append(rows, cells)
		}
	}
	return header, rows
}

// splitRow splits "| a | b\|c |" into its trimmed cells "a" and "b\|c".
func splitRow(line string) []string {
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	var cells []string
	var cell strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			cell.WriteString(`\|`)
			i++
		case line[i] == '|':
			cells = append(cells, strings.TrimSpace(cell.String()))
			cell.Reset()
		default:
			cell.WriteByte(line[i])
		}
	}
	return append(cells, strings.TrimSpace(cell.String()))
}

// configVars returns the variables of the README's configuration reference
// table: the names in code spans of each row's first cell.
func configVars(t *testing.T, r readme) map[string]bool {
	t.Helper()
	header, rows := tableRows(r.section(t, "Configuration reference"))
	want := []string{"variable", "default", "example", "what it does"}
	if !slices.Equal(header, want) {
		t.Fatalf("the configuration reference table's columns are %q, want %q", header, want)
	}
	vars := map[string]bool{}
	for _, row := range rows {
		names := 0
		for _, m := range codeSpanRE.FindAllStringSubmatch(row[0], -1) {
			if envName.MatchString(m[1]) {
				vars[m[1]] = true
				names++
			}
		}
		if names == 0 {
			t.Errorf("configuration reference row %q names no variable in its first cell", row[0])
		}
		if len(row) != len(want) || slices.Contains(row, "") {
			t.Errorf("configuration reference row %q: want %d non-empty cells, got %q", row[0], len(want), row)
		}
	}
	return vars
}

// Every environment variable the code reads is in the README's
// configuration reference, and every variable there is read by some code
// (tests included): the reference is complete and has nothing stale.
func TestReadmeConfigurationListsEveryVariable(t *testing.T) {
	t.Parallel()
	r := readReadme(t)
	documented := configVars(t, r)

	reads, bad := envReads(t, false)
	for _, pos := range bad {
		t.Errorf("%s: an environment variable read by a name that is not a literal: the README check cannot see it", pos)
	}
	// The scan itself works: it finds reads of each kind.
	for _, name := range []string{"DATABASE_URL", "LOG_LEVEL", "GOMEMLIMIT", "TEST_DATABASE_URL"} {
		if reads[name] == nil {
			t.Errorf("the scan of the code found no read of %s: envReads is broken", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(reads)) {
		if !documented[name] {
			t.Errorf("%s is read by %s but missing from the README's configuration reference", name, strings.Join(reads[name], ", "))
		}
	}

	all, _ := envReads(t, true)
	for name := range documented {
		if all[name] == nil {
			t.Errorf("the README's configuration reference documents %s, which no code reads", name)
		}
	}
}

// ciTestCommand is the test command .ci/run runs (its test_cmd).
func ciTestCommand(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(readmeRoot, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^test_cmd='([^']+)'`).FindSubmatch(b)
	if m == nil {
		t.Fatal(".ci/run sets no test_cmd='...'")
	}
	return string(m[1])
}

// The README's first lines (its first code block) name commands that
// exist: each `go run ./cmd/server X` a subcommand, and the test command
// the one CI runs.
func TestReadmeFirstCommandsExist(t *testing.T) {
	t.Parallel()
	r := readReadme(t)
	if len(r.blocks) == 0 {
		t.Fatal("README.md has no code block")
	}
	testCmd := ciTestCommand(t)
	cmds := commands()
	runs, tests := 0, 0
	for _, line := range r.blocks[0] {
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		fields := strings.Fields(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "go run ./cmd/server"):
			runs++
			if len(fields) < 4 {
				t.Errorf("%q names no subcommand", line)
			} else if _, ok := cmds[fields[3]]; !ok {
				t.Errorf("%q: %q is not a subcommand (commands() has %v)", line, fields[3], slices.Sorted(maps.Keys(cmds)))
			}
		case strings.HasPrefix(line, "go test"):
			tests++
			if line != testCmd {
				t.Errorf("the README's test command %q is not the one .ci/run runs (%q)", line, testCmd)
			}
		default:
			t.Errorf("the README's first code block has %q: want only `go run ./cmd/server ...` and the test command", line)
		}
	}
	if runs == 0 || tests != 1 {
		t.Errorf("the README's first code block has %d `go run ./cmd/server` lines and %d test commands; want at least one and exactly one", runs, tests)
	}
}

// serverCmdRE finds `server <command>` in code: ./cmd/server sync,
// /app/server migrate, server doctor. What follows, to the end of the code
// text or a quote or a shell separator, holds its arguments.
var (
	serverCmdRE = regexp.MustCompile(`(?:^|[\s/\[(])server ([a-z][a-z0-9-]*)([^"'&;]*)`)
	flagRE      = regexp.MustCompile(`(?:^|[\s\[])--?([a-z][a-z0-9-]*)`)
	usageFlagRE = regexp.MustCompile(`(?m)^\s+-([a-z][a-z0-9-]*)`)
	scenariosRE = regexp.MustCompile(`known: ([a-z, ]+)\)`)
)

// usageFlags returns the flags `server args... -h` lists.
func usageFlags(t *testing.T, args ...string) map[string]bool {
	t.Helper()
	var stdout, stderr bytes.Buffer
	argv := append(append([]string{"server"}, args...), "-h")
	if err := run(context.Background(), argv, func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatalf("server %s: %v", strings.Join(argv[1:], " "), err)
	}
	flags := map[string]bool{}
	for _, m := range usageFlagRE.FindAllStringSubmatch(stderr.String(), -1) {
		flags[m[1]] = true
	}
	return flags
}

// benchScenarios returns the scenarios `server bench` knows, from its
// answer to an unknown one.
func benchScenarios(t *testing.T) []string {
	t.Helper()
	err := run(context.Background(), []string{"server", "bench", "no-such-scenario"}, func(string) string { return "" },
		strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	var m []string
	if err != nil {
		m = scenariosRE.FindStringSubmatch(err.Error())
	}
	if m == nil {
		t.Fatalf("server bench no-such-scenario: %v; want an error listing the known scenarios", err)
	}
	var out []string
	for _, s := range strings.Split(m[1], ",") {
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

// Every `server <command>` the README shows in code exists, with its bench
// scenario and every flag given after it.
func TestReadmeServerCommandsExist(t *testing.T) {
	t.Parallel()
	r := readReadme(t)
	cmds := commands()
	scenarios := benchScenarios(t)
	flagsOf := map[string]map[string]bool{}
	flags := func(args ...string) map[string]bool {
		key := strings.Join(args, " ")
		if flagsOf[key] == nil {
			flagsOf[key] = usageFlags(t, args...)
		}
		return flagsOf[key]
	}
	seen := map[string]bool{}
	for _, code := range r.code {
		for _, m := range serverCmdRE.FindAllStringSubmatch(code, -1) {
			name, rest := m[1], m[2]
			shown := strings.TrimSpace("server " + name + rest)
			seen[name] = true
			if _, ok := cmds[name]; !ok {
				t.Errorf("README: `%s` names command %q, which does not exist (commands() has %v)", shown, name, slices.Sorted(maps.Keys(cmds)))
				continue
			}
			// Whose flags: the command's, or for bench its scenarios'.
			owners := [][]string{{name}}
			if name == "bench" {
				owners = nil
				if f := strings.Fields(rest); len(f) > 0 && !strings.HasPrefix(f[0], "-") && !strings.HasPrefix(f[0], "[") {
					for _, s := range strings.Split(strings.ReplaceAll(f[0], `\|`, "|"), "|") {
						if !slices.Contains(scenarios, s) {
							t.Errorf("README: `%s` names bench scenario %q; known: %v", shown, s, scenarios)
							continue
						}
						owners = append(owners, []string{"bench", s})
					}
				}
			}
			if len(owners) == 0 {
				continue // no valid scenario to check flags against
			}
			for _, fm := range flagRE.FindAllStringSubmatch(rest, -1) {
				found := false
				for _, o := range owners {
					found = found || flags(o...)[fm[1]]
				}
				if !found {
					t.Errorf("README: `%s` gives flag --%s, which `server %s` does not have", shown, fm[1], strings.Join(owners[0], " "))
				}
			}
		}
	}
	// The scan itself works: the README shows these.
	for _, name := range []string{"serve", "migrate", "sync", "doctor"} {
		if !seen[name] {
			t.Errorf("found no `server %s` in the README's code: the README lost it, or the scan is broken", name)
		}
	}
}
