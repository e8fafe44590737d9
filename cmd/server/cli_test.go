package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runArgs runs the program as a shell would and returns its exit status
// and output.
func runArgs(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	getenv := func(string) string { return "" }
	err := run(context.Background(), append([]string{"server"}, args...), getenv, strings.NewReader(""), &out, &errOut)
	if err != nil {
		errOut.WriteString("error: " + err.Error())
	}
	return exitCode(err), out.String(), errOut.String()
}

// Mistakes on the command line exit 2 and say what was wrong, before
// anything runs: `server sync object_10` (a forgotten --object) used to
// sweep everything.
func TestCLIUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{}, "no command given"},
		{[]string{"nope"}, `unknown command "nope"`},
		{[]string{"sync", "object_10"}, `sync: unexpected argument "object_10"`},
		{[]string{"sync", "--object", "object_10", "extra"}, `unexpected argument "extra"`},
		{[]string{"serve", "extra", "junk"}, `serve: unexpected argument "extra"`},
		{[]string{"migrate", "now"}, `migrate: unexpected argument "now"`},
		{[]string{"doctor", "all"}, `doctor: unexpected argument "all"`},
		{[]string{"sim", "tiny"}, `sim: unexpected argument "tiny"`},
		{[]string{"demo", "tiny"}, `demo: unexpected argument "tiny"`},
		{[]string{"version", "x"}, `version: unexpected argument "x"`},
		{[]string{"bench"}, "bench: name a scenario"},
		{[]string{"bench", "nope"}, `bench: unknown scenario "nope"`},
		{[]string{"bench", "sweep", "vespa"}, `unexpected argument "vespa"`},
		{[]string{"sync", "--no-such-flag"}, "flag provided but not defined: -no-such-flag"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runArgs(tt.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q, want it to say %q", stderr, tt.want)
			}
		})
	}
}

func TestCLIVersion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, stdout, stderr := runArgs(args...)
		if code != 0 || !strings.HasPrefix(stdout, "knacksync ") || !strings.Contains(stdout, " commit ") || !strings.Contains(stdout, " built ") {
			t.Errorf("server %s: exit %d, stdout %q, stderr %q; want `knacksync VERSION commit C built T`", args[0], code, stdout, stderr)
		}
	}
	if code, _, _ := runArgs("help"); code != 0 {
		t.Errorf("server help: exit %d, want 0", code)
	}
}
