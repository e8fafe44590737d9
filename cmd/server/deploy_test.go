package main

import (
	"bufio"
	"debug/elf"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"knacksync/internal/dbtest"
)

// repoRoot is where the Dockerfile and fly.toml live (tests run in
// cmd/server).
const repoRoot = "../.."

// dockerfile returns the build stage's `go build` command line, the
// binary's path in the image and the image's CMD, read from the Dockerfile
// itself so that the test runs what the image build runs.
func dockerfile(t *testing.T) (build, out, cmd string, nonRoot bool) {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "RUN ") && strings.Contains(line, " go build "):
			build = strings.TrimPrefix(line, "RUN ")
		case strings.HasPrefix(line, "COPY --from=build "):
			out = strings.Fields(line)[3]
		case strings.HasPrefix(line, "CMD "):
			cmd = strings.TrimPrefix(line, "CMD ")
		case strings.HasPrefix(line, "USER "):
			nonRoot = !strings.HasPrefix(strings.TrimPrefix(line, "USER "), "root")
		}
	}
	return build, out, cmd, nonRoot
}

// The image's build command, with its flags and CGO_ENABLED=0, builds a
// static binary that starts and serves its health checks (this machine has
// no container engine to build the image itself).
func TestDockerfileBuildsAStaticBinaryThatStarts(t *testing.T) {
	t.Parallel()
	build, out, cmd, nonRoot := dockerfile(t)
	if !strings.HasPrefix(build, "CGO_ENABLED=0 go build ") || !strings.Contains(build, " -o /out/server ") {
		t.Fatalf("Dockerfile build line %q: want a static build to /out/server", build)
	}
	if !nonRoot {
		t.Error("the image does not switch to a non-root USER")
	}
	if !strings.Contains(cmd, out) || !strings.Contains(cmd, `"serve"`) {
		t.Errorf("CMD %s does not run %s serve", cmd, out)
	}
	bin := filepath.Join(t.TempDir(), "server")
	c := exec.Command("sh", "-c", strings.Replace(build, " -o /out/server ", " -o "+bin+" ", 1))
	c.Dir = repoRoot
	// The image build's ARGs, as `fly deploy --build-arg` passes them.
	c.Env = append(os.Environ(), "GIT_COMMIT=0123abc", "BUILD_TIME=2026-12-03T10:00:00Z")
	if o, err := c.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", build, err, o)
	}
	if o, err := exec.Command(bin, "version").Output(); err != nil || !strings.Contains(string(o), "commit 0123abc built 2026-12-03T10:00:00Z") {
		t.Errorf("server version of the image build = %q (%v), want the build args' commit and time", o, err)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary is dynamically linked")
		}
	}
	f.Close()

	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	srv := exec.Command(bin, "serve", "--addr", addr)
	srv.Env = append(os.Environ(), "DATABASE_URL="+dbtest.URL(t), "LOG_LEVEL=warn")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Process.Kill()
	if err := waitReady(t.Context(), "http://"+addr); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, "http://"+addr+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d", code)
	}
	_ = srv.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("serve did not stop within 30 s of SIGTERM")
	}
}

type flyConfig struct {
	App         string            `toml:"app"`
	KillSignal  string            `toml:"kill_signal"`
	KillTimeout int               `toml:"kill_timeout"`
	Env         map[string]string `toml:"env"`
	Build       struct {
		Dockerfile string `toml:"dockerfile"`
	} `toml:"build"`
	Deploy struct {
		ReleaseCommand string `toml:"release_command"`
	} `toml:"deploy"`
	HTTPService struct {
		InternalPort       int    `toml:"internal_port"`
		AutoStopMachines   string `toml:"auto_stop_machines"`
		MinMachinesRunning int    `toml:"min_machines_running"`
		Checks             []struct {
			Path string `toml:"path"`
		} `toml:"checks"`
	} `toml:"http_service"`
	Checks map[string]struct {
		Path string `toml:"path"`
		Port int    `toml:"port"`
	} `toml:"checks"`
}

// fly.toml parses and names only commands, paths and routes that exist,
// keeps a machine running, outlasts River's soft stop, and holds no secret.
func TestFlyToml(t *testing.T) {
	t.Parallel()
	var fly flyConfig
	_, err := toml.DecodeFile(filepath.Join(repoRoot, "fly.toml"), &fly)
	if err != nil {
		t.Fatal(err)
	}
	_, out, _, _ := dockerfile(t)
	if _, err := os.Stat(filepath.Join(repoRoot, fly.Build.Dockerfile)); err != nil {
		t.Errorf("build.dockerfile: %v", err)
	}
	rel := strings.Fields(fly.Deploy.ReleaseCommand)
	if len(rel) != 2 || rel[0] != out || rel[1] != "migrate" {
		t.Errorf("release_command %q, want %q migrate", fly.Deploy.ReleaseCommand, out)
	}
	if _, ok := commands()[rel[len(rel)-1]]; !ok {
		t.Errorf("release_command runs unknown subcommand %q", rel[len(rel)-1])
	}
	if fly.HTTPService.AutoStopMachines != "off" || fly.HTTPService.MinMachinesRunning < 1 {
		t.Errorf("machines may stop: auto_stop_machines %q, min_machines_running %d", fly.HTTPService.AutoStopMachines, fly.HTTPService.MinMachinesRunning)
	}
	if fly.KillSignal != "SIGTERM" || fly.KillTimeout < 30 {
		t.Errorf("kill %s after %d s: River's soft stop takes 20 s, then Sentry flushes", fly.KillSignal, fly.KillTimeout)
	}
	port := fly.HTTPService.InternalPort
	if fly.Env["PORT"] != "" && fly.Env["PORT"] != strconv.Itoa(port) {
		t.Errorf("PORT %s but internal_port %d", fly.Env["PORT"], port)
	}
	var paths []string
	for _, c := range fly.HTTPService.Checks {
		paths = append(paths, c.Path)
	}
	for _, c := range fly.Checks {
		paths = append(paths, c.Path)
	}
	for _, p := range paths {
		if p != "/healthz" && p != "/readyz" {
			t.Errorf("health check on %s, not a health route", p)
		}
	}
	if len(paths) < 2 {
		t.Errorf("health checks %v, want /readyz for routing and /healthz for the machine", paths)
	}
	secret := regexp.MustCompile(`(?i)(KEY|SECRET|PASSWORD|DSN|DATABASE_URL|SMTP_URL)`)
	for k := range fly.Env {
		if secret.MatchString(k) {
			t.Errorf("fly.toml [env] sets %s: secrets go in `fly secrets set`", k)
		}
	}
}
