package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is an io.Writer safe for the concurrent writes of a running
// command and the reads of a test.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// running is a command started with run in the background.
type running struct {
	cancel context.CancelFunc
	done   chan error
	stderr *syncBuffer
}

// stop cancels the command (as SIGTERM would) and returns its error.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("command did not stop within 30s")
		return nil
	}
}

// start runs `server args...` in the background and returns once it printed
// its first stdout line, which it returns too.
func start(t *testing.T, env map[string]string, args ...string) (*running, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	r := &running{cancel: cancel, done: make(chan error, 1), stderr: &syncBuffer{}}
	go func() {
		err := run(ctx, append([]string{"server"}, args...), mapEnv(env), strings.NewReader(""), pw, r.stderr)
		pw.Close()
		r.done <- err
	}()
	t.Cleanup(func() {
		cancel()
		go io.Copy(io.Discard, pr)
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, pr)
	}()
	select {
	case line, ok := <-lines:
		if !ok {
			err := <-r.done
			t.Fatalf("%v exited before printing: %v\nstderr:\n%s", args, err, r.stderr)
		}
		return r, line
	case <-time.After(60 * time.Second):
		t.Fatalf("%v printed nothing in 60s\nstderr:\n%s", args, r.stderr)
		return nil, ""
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
