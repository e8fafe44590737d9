package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A clone holds only the repository: the design notes the project started
// from are not in it. So no file may cite them (by file name, or as
// "NAME §N" / "NAME rule N"), nor a path into a sibling directory; the
// repository's own docs/ replace them.

// outsideNames are the notes that lived beside the repository.
var outsideNames = []string{"DOMAIN", "DESIGN", "STATISTICS", "KNACK_API", "LEGACY_SYNC" + "_ANALYSIS", "PLATFORM" + "_NOTES", "STYLE"}

// outsideRef matches a citation of an outside note, or a path that leaves
// the repository for the shared directory. Built from parts, so that this
// file does not match itself.
var outsideRef = regexp.MustCompile(`\b(` + strings.Join(outsideNames, "|") + `)(\.md\b|\s*§|\s+rules?\s+\d)` +
	`|\b(LEGACY_SYNC` + `_ANALYSIS|PLATFORM` + `_NOTES)\b` +
	`|\.\.` + `/shared\b|\bshared` + `/docs\b`)

// docsRef matches a path into the repository's docs/ directory.
var docsRef = regexp.MustCompile("(?:^|[\\s(\\[`\"'])(docs/[A-Za-z0-9_.-]+\\.[a-z]+)")

func TestOutsideRefPattern(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"(DOMAIN" + ".md rule 5)", "KNACK_API" + ".md §3.1", "DOMAIN" + " §4 rule 5", "see DESIGN" + ".md", "DOMAIN" + " rule 11",
		"STATISTICS" + " §14", "LEGACY_SYNC" + "_ANALYSIS §8", "PLATFORM" + "_NOTES", ".." + "/shared", "shared" + "/docs", "STYLE" + ".md",
	} {
		if !outsideRef.MatchString(s) {
			t.Errorf("%q is not caught", s)
		}
	}
	for _, s := range []string{
		"KNACK_API_KEY", "KNACK_API_URL", "STATS_EXCLUDE_EMAIL_DOMAINS", "docs/mapping.md, rule 5",
		"docs/knack-api.md §6", "DOMAIN_NAME", "../../internal", "the design notes",
	} {
		if outsideRef.MatchString(s) {
			t.Errorf("%q is caught: %q", s, outsideRef.FindString(s))
		}
	}
}

// TestRepositoryCitesNothingOutside walks every file of the repository
// (text files; .git left out) for citations of the outside notes, and
// checks that every docs/ file a file names exists.
func TestRepositoryCitesNothingOutside(t *testing.T) {
	t.Parallel()
	files := 0
	err := filepath.WalkDir(readmeRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.IndexByte(b[:min(len(b), 8000)], 0) >= 0 {
			return nil // binary
		}
		files++
		rel, _ := filepath.Rel(readmeRoot, path)
		for i, line := range strings.Split(string(b), "\n") {
			if m := outsideRef.FindString(line); m != "" {
				t.Errorf("%s:%d cites %q, which is outside the repository: cite docs/ instead", rel, i+1, m)
			}
			for _, m := range docsRef.FindAllStringSubmatch(line, -1) {
				name := strings.TrimRight(m[1], ".")
				if _, err := os.Stat(filepath.Join(readmeRoot, name)); err != nil {
					t.Errorf("%s:%d names %s, which does not exist", rel, i+1, name)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("walked %d text files from %s: not the repository?", files, readmeRoot)
	}
}
