package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"knacksync/internal/dbtest"
	"knacksync/internal/knacksim"
	"knacksync/internal/knacksim/vespagen"
)

// forward accepts on ln and copies each connection to and from target.
func forward(t *testing.T, ln net.Listener, target string) {
	t.Helper()
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				d, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer d.Close()
				go func() { _, _ = io.Copy(d, c) }()
				_, _ = io.Copy(c, d)
			}()
		}
	}()
}

// A production `serve` whose database is unreachable at start comes up all
// the same: /healthz answers, /readyz says 503, and once the database
// appears it turns ready without a restart.
func TestServeComesUpWithoutDatabase(t *testing.T) {
	t.Parallel()
	dbURL := dbtest.URL(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	dbAddr, err := freeAddr() // nothing listens there yet
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	u.Host = dbAddr
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"DATABASE_URL": u.String(), "APP_ENV": "production", "LOG_LEVEL": "warn",
		"WEBHOOK_SECRET": "0123456789abcdef0123", "ADMIN_USER": "admin", "ADMIN_PASSWORD": "admin-password-1",
		// Knack is never reached in this test.
		"KNACK_API_URL": "http://127.0.0.1:9/v1", "KNACK_APP_ID": "5b0c1d2e3f4a5b6c7d8e9f00", "KNACK_API_KEY": "0a1b2c3d-0000-0000-0000-000000000000",
	}
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"server", "serve", "--addr", addr}, mapEnv(env), strings.NewReader(""), io.Discard, stderr)
	}()
	defer func() {
		cancel()
		<-done
	}()
	base := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if code, _ := getQuiet(base + "/healthz"); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz not OK within 30 s with the database unreachable\n%s", stderr)
		}
	}
	if code, _ := get(t, base+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the database unreachable = %d, want 503", code)
	}
	if code, _ := get(t, base+"/api/status"); code != http.StatusServiceUnavailable {
		t.Errorf("/api/status with the database unreachable = %d, want 503", code)
	}
	select {
	case err := <-done:
		t.Fatalf("serve exited with the database unreachable: %v\n%s", err, stderr)
	default:
	}

	// It says why it waits, and keeps trying.
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(stderr.String(), "database not reachable"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the log does not say why serve waits:\n%s", stderr)
		}
	}
	ln, err := net.Listen("tcp", dbAddr)
	if err != nil {
		t.Fatal(err)
	}
	forward(t, ln, target)
	deadline := time.Now().Add(45 * time.Second)
	for {
		if code, _ := get(t, base+"/readyz"); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz not OK 45 s after the database appeared\n%s", stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// getQuiet is a GET whose failure is only a status of 0.
func getQuiet(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// A port in use says how to choose another.
func TestServePortInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, stderr := runArgs("serve", "--addr", ln.Addr().String())
	if code != 1 || !strings.Contains(stderr, "PORT=") || !strings.Contains(stderr, "--addr") {
		t.Errorf("exit %d, stderr %q: want a failure that suggests PORT or --addr", code, stderr)
	}
}

// Ctrl-C asks for a graceful stop and says what it waits for; a second
// Ctrl-C ends the process at once, even while a slow sweep holds it.
func TestSecondInterruptQuits(t *testing.T) {
	t.Parallel()
	bin, err := serverBinary()
	if err != nil {
		t.Fatal(err)
	}
	ds, err := vespagen.Generate(vespagen.Tiny, 3, time.Now().UTC().Truncate(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// Every Knack answer takes 3 s: the sweep is in a request when stopped.
	sim := knacksim.Start(t, knacksim.Options{Dataset: ds, RatePerSecond: 10, Latency: 3 * time.Second})
	dbURL := dbtest.URL(t)
	pool := dbtest.Connect(t, dbURL)
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--addr", addr)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "KNACK_API_URL="+sim.URL(), "KNACK_APP_ID="+sim.AppID(),
		"KNACK_API_KEY="+sim.APIKey(), "LOG_LEVEL=info")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for count(t, pool, `SELECT count(*) FROM knacksync.runs WHERE kind = 'sweep' AND status = 'running'`) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no sweep started")
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	_ = cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-done:
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("the second Ctrl-C took %s to end the process", took)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the process still runs 10 s after a second Ctrl-C")
	}
	if !strings.Contains(stderr.String(), "Ctrl-C again quits at once") {
		t.Errorf("the first Ctrl-C does not say what it waits for:\n%s", stderr.String())
	}
}
