package metrics

import (
	"fmt"
	"testing"

	"knacksync/internal/buildinfo"
)

// knacksync_build_info says which build runs, as `server version` does.
func TestBuildInfo(t *testing.T) {
	t.Parallel()
	bi := buildinfo.Read()
	got := only(gather(t, New(Options{}).Registry()), "knacksync_build_info")
	key := fmt.Sprintf(`knacksync_build_info{build_time=%q,commit=%q,goversion=%q,version=%q}`, bi.BuildTime, bi.Commit, bi.GoVersion, bi.Version)
	if len(got) != 1 || got[key] != 1 {
		t.Errorf("build info series %v, want %s = 1", got, key)
	}
}
