package httpapi

import (
	"html"
	"strings"
	"testing"

	"knacksync/internal/buildinfo"
)

// The status page says which build runs, as `server version` does.
func TestStatusPageShowsVersion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	page := b.serve(getAdmin("/")).Body.String()
	want := `<footer class="muted" id="version">` + html.EscapeString(buildinfo.Read().String()) + `</footer>`
	if !strings.Contains(page, want) {
		t.Errorf("status page lacks %s", want)
	}
}
