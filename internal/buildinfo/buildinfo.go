// Package buildinfo reads what the Go toolchain stamped into the binary:
// the module version, the VCS commit and its time. `server version`, the
// status page and the knacksync_build_info metric show it.
package buildinfo

import (
	"fmt"
	"runtime/debug"
)

// Info is the build's identity; "unknown" where the toolchain stamped
// nothing (`go run`, tests).
type Info struct {
	Version   string // module version, e.g. v1.2.3 or (devel)
	Commit    string // VCS revision, with "+dirty" for a modified tree
	BuildTime string // the commit's time (RFC 3339), the closest to a build time Go records
	GoVersion string
}

// commit and buildTime are set at link time by the image build, whose
// source has no .git for the toolchain to read:
// -ldflags "-X knacksync/internal/buildinfo.commit=... -X knacksync/internal/buildinfo.buildTime=...".
var commit, buildTime string

// Read returns the running binary's Info.
func Read() Info {
	info := Info{Version: "unknown", Commit: "unknown", BuildTime: "unknown", GoVersion: "unknown"}
	if bi, ok := debug.ReadBuildInfo(); ok {
		info = fromBuildInfo(bi)
	}
	if commit != "" {
		info.Commit = commit
	}
	if buildTime != "" {
		info.BuildTime = buildTime
	}
	return info
}

func fromBuildInfo(bi *debug.BuildInfo) Info {
	info := Info{Version: bi.Main.Version, Commit: "unknown", BuildTime: "unknown", GoVersion: bi.GoVersion}
	if info.Version == "" {
		info.Version = "unknown"
	}
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.time":
			info.BuildTime = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && info.Commit != "unknown" {
		info.Commit += "+dirty"
	}
	return info
}

// String is the one line `server version` prints.
func (i Info) String() string {
	return fmt.Sprintf("knacksync %s commit %s built %s (%s)", i.Version, i.Commit, i.BuildTime, i.GoVersion)
}
