package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"knacksync/internal/dbtest"
)

// soakLineRE is one interval's line of `bench soak`: the interval number,
// changes, changes seen, hints and hints/s, then the latencies and memory.
var soakLineRE = regexp.MustCompile(`(?m)^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+\S+\s+\S+\s+\S+\s+\d+\s+\d+\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$`)

// `server bench soak` for a few seconds (the hidden --seconds and
// --interval): a line per interval with changes made and hints sent, the
// memory columns filled, and the summary. The real soak runs for minutes
// and is not part of the suite.
func TestBenchSoakShort(t *testing.T) {
	t.Parallel()
	dbtest.Require(t)
	var stdout, stderr bytes.Buffer
	env := map[string]string{"DATABASE_URL": dbtest.ServerURL(), "LOG_LEVEL": "warn"}
	err := run(context.Background(), []string{"server", "bench", "soak", "--seconds", "4", "--interval", "2s", "--scale", "tiny", "--changes", "3", "--hints", "10",
		// Not pgxpool's default of four: see TestHostileHintLocksAndSweepInPoolOfFour.
		"--max-conns", "12"},
		mapEnv(env), strings.NewReader(""), &stdout, &stderr)
	if err != nil {
		t.Fatalf("bench soak: %v\n%s\n%s", err, stdout.String(), lastLines(stderr.String(), 20))
	}
	out := stdout.String()
	lines := soakLineRE.FindAllStringSubmatch(out, -1)
	if len(lines) != 2 {
		t.Fatalf("want 2 interval lines, got %d:\n%s", len(lines), out)
	}
	changes, hints := 0, 0
	for i, m := range lines {
		if n, _ := strconv.Atoi(m[1]); n != i+1 {
			t.Errorf("line %d numbered %s", i+1, m[1])
		}
		c, _ := strconv.Atoi(m[2])
		h, _ := strconv.Atoi(m[4])
		changes, hints = changes+c, hints+h
		for col, name := range map[int]string{6: "VmHWM", 7: "VmRSS", 8: "heap"} {
			if mb, _ := strconv.Atoi(m[col]); mb <= 0 {
				t.Errorf("line %d: %s %s MB", i+1, name, m[col])
			}
		}
	}
	if changes == 0 || hints == 0 {
		t.Errorf("%d changes and %d hints in 4 s:\n%s", changes, hints, out)
	}
	if !strings.Contains(out, "memory from the first line to the last") {
		t.Errorf("no memory summary:\n%s", out)
	}
	t.Logf("\n%s", out)
}

// The hidden flags stay out of -h.
func TestBenchSoakHiddenFlags(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"server", "bench", "soak", "-h"}, mapEnv(nil), strings.NewReader(""), &bytes.Buffer{}, &stderr); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"-minutes", "-changes", "-hints", "-max-conns"} {
		if !strings.Contains(stderr.String(), f) {
			t.Errorf("-h does not show %s:\n%s", f, stderr.String())
		}
	}
	for _, f := range []string{"-seconds", "-interval"} {
		if strings.Contains(stderr.String(), f) {
			t.Errorf("-h shows the hidden %s:\n%s", f, stderr.String())
		}
	}
}
