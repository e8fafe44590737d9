package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README explains itself from inside the repository: it takes a
// newcomer from nothing to a deployed service (Fly.io steps, where the
// Knack ids are), documents every bench, and links nowhere outside the
// repository but web addresses.
func TestReadmeDeployFromNothing(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(readmeRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, want := range []string{
		"fly launch --no-deploy", "fly apps create", "fly secrets set", "fly deploy", "/app/server migrate",
		"Settings →\n   API & Code", "**Application ID**", "**API Key**",
		"bench sweep", "bench webhooks", "bench stats", "bench soak",
	} {
		if !strings.Contains(readme, want) {
			t.Errorf("README lacks %q", want)
		}
	}
	// Markdown links and backticked paths that leave the repository.
	// The outside notes' names: outsideRef, selfcontained_test.go.
	outside := regexp.MustCompile(`\]\((\.\./[^)]*)\)|` + outsideRef.String())
	if m := outside.FindAllString(readme, -1); len(m) > 0 {
		t.Errorf("README points outside the repository: %v", m)
	}
	// Every docs/ file it names exists.
	for _, m := range regexp.MustCompile("`(docs/[a-z_.]+)`").FindAllStringSubmatch(readme, -1) {
		if _, err := os.Stat(filepath.Join(readmeRoot, m[1])); err != nil {
			t.Errorf("README names %s: %v", m[1], err)
		}
	}
}
