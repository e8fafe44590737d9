package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"knacksync/internal/knacksim/vespagen"
)

var simLine = regexp.MustCompile(`^knack simulator listening on (http://127\.0\.0\.1:[0-9]+/v1) app_id=([0-9a-f]{24}) api_key=([0-9a-f-]{36})$`)

type simBundle struct {
	*running
	url, appID, apiKey string
}

// startSim runs `server sim args...` until the test ends and returns what
// its first line announced.
func startSim(t *testing.T, args ...string) *simBundle {
	t.Helper()
	r, line := start(t, nil, append([]string{"sim"}, args...)...)
	m := simLine.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("first line %q does not match %s", line, simLine)
	}
	return &simBundle{running: r, url: m[1], appID: m[2], apiKey: m[3]}
}

func (sb *simBundle) get(t *testing.T, path string, auth bool) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, sb.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth {
		req.Header.Set("X-Knack-Application-Id", sb.appID)
		req.Header.Set("X-Knack-REST-API-Key", sb.apiKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

type envelope struct {
	TotalPages   int               `json:"total_pages"`
	CurrentPage  any               `json:"current_page"`
	TotalRecords int               `json:"total_records"`
	Records      []json.RawMessage `json:"records"`
}

func TestSim(t *testing.T) {
	t.Parallel()
	sb := startSim(t, "--scale", "tiny", "--addr", "127.0.0.1:0", "--seed", "3")

	y, m, d := time.Now().UTC().Date()
	want, err := vespagen.Generate(vespagen.Tiny, 3, time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if sb.appID != want.Schema.ID {
		t.Errorf("app id %s, want the schema's %s", sb.appID, want.Schema.ID)
	}

	status, body := sb.get(t, "/objects/object_10/records?rows_per_page=10&page=2", true)
	if status != http.StatusOK {
		t.Fatalf("GET object_10: %d %s", status, body)
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("envelope: %v\n%s", err, body)
	}
	n := len(want.Records["object_10"])
	if env.TotalRecords != n || env.TotalPages != (n+9)/10 || len(env.Records) != 10 || env.CurrentPage != float64(2) {
		t.Errorf("envelope: total_records %d (want %d), total_pages %d, current_page %v, %d records",
			env.TotalRecords, n, env.TotalPages, env.CurrentPage, len(env.Records))
	}
	var rec map[string]json.RawMessage
	if err := json.Unmarshal(env.Records[0], &rec); err != nil || rec["id"] == nil || rec["field_197_raw"] == nil && rec["field_197"] == nil {
		t.Errorf("record: %v %s", err, env.Records[0])
	}

	if status, _ := sb.get(t, "/objects/object_10/records", false); status != http.StatusUnauthorized && status != http.StatusBadRequest && status != http.StatusForbidden {
		t.Errorf("GET without credentials: %d", status)
	}
	status, body = sb.get(t, "/applications/"+sb.appID, false)
	if status != http.StatusOK || !bytes.Contains(body, []byte(`"VESPA Academy"`)) {
		t.Errorf("GET application: %d %.200s", status, body)
	}

	if err := sb.stop(t); err != nil {
		t.Fatalf("sim returned %v", err)
	}
	if log := sb.stderr.String(); !strings.Contains(log, "records.object_10=") || !strings.Contains(log, "took=") {
		t.Errorf("stderr lacks the dataset summary:\n%s", log)
	}
}

func TestSimData(t *testing.T) {
	t.Parallel()
	ds, err := vespagen.Generate(vespagen.Tiny, 9, time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := vespagen.WriteDir(ds, dir); err != nil {
		t.Fatal(err)
	}
	sb := startSim(t, "--data", dir, "--addr", "127.0.0.1:0", "--rate", "0")
	status, body := sb.get(t, "/objects/object_29/records?rows_per_page=1000", true)
	var env envelope
	if status != http.StatusOK || json.Unmarshal(body, &env) != nil {
		t.Fatalf("GET object_29: %d %.300s", status, body)
	}
	if env.TotalRecords != len(ds.Records["object_29"]) || len(env.Records) != env.TotalRecords {
		t.Errorf("object_29: %d records (%d on the page), want %d", env.TotalRecords, len(env.Records), len(ds.Records["object_29"]))
	}
}

func TestSimFlagErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--scale", "huge"}, `unknown scale "huge"`},
		{[]string{"--scale", "tiny", "--data", "x"}, "use --scale or --data, not both"},
		{[]string{"--data", "/nonexistent/knacksync"}, "load /nonexistent/knacksync"},
		{[]string{"--fail-rate", "1.5"}, "--fail-rate must be between 0 and 1"},
		{[]string{"--hook-drop", "-0.1"}, "--hook-drop must be between 0 and 1"},
		{[]string{"--rate", "-1"}, "cannot be negative"},
		{[]string{"--bogus"}, "flag provided but not defined"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--scale", "tiny", "--addr", "256.0.0.1:99999"}, "listen"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			var stdout, stderr syncBuffer
			err := run(context.Background(), append([]string{"server", "sim"}, tc.args...), func(string) string { return "" },
				strings.NewReader(""), &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error()+stderr.String(), tc.want) {
				t.Fatalf("run: %v, want an error containing %q\nstderr: %s", err, tc.want, stderr.String())
			}
			if stdout.String() != "" {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
		})
	}
}

func TestSimListedInHelp(t *testing.T) {
	t.Parallel()
	var stderr syncBuffer
	if err := run(context.Background(), []string{"server", "help"}, func(string) string { return "" }, nil, io.Discard, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "  sim ") {
		t.Errorf("help lacks sim:\n%s", stderr.String())
	}
}

// `server sim` listens on $PORT when no --addr is given.
func TestSimListensOnPORT(t *testing.T) {
	t.Parallel()
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	port := addr[strings.LastIndex(addr, ":")+1:]
	_, line := start(t, map[string]string{"PORT": port}, "sim", "--scale", "tiny")
	if m := simLine.FindStringSubmatch(line); m == nil || !strings.HasPrefix(m[1], "http://127.0.0.1:"+port+"/") {
		t.Errorf("first line %q: want the simulator on PORT %s", line, port)
	}
}
