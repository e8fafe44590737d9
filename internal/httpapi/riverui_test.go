package httpapi

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// queueSweep queues a sweep through POST /api/sync and returns its job.
func (b *testBundle) queueSweep(t *testing.T) int64 {
	t.Helper()
	token := b.csrfToken(t)
	rec := b.serve(adminPost(func(r *http.Request) { r.Header.Set(csrfHeader, token) }))
	if rec.Code != http.StatusAccepted {
		t.Fatalf("POST /api/sync: %d %s", rec.Code, rec.Body)
	}
	return decodeSync(t, rec).JobID
}

func (b *testBundle) jobState(t *testing.T, id int64) string {
	t.Helper()
	var state string
	if err := b.pool.QueryRow(t.Context(), `SELECT state FROM knacksync.river_job WHERE id = $1`, id).Scan(&state); err != nil {
		t.Fatal(err)
	}
	return state
}

// riverUIPost is a credentialed POST to River UI's job cancel endpoint, as
// a browser on the service's own page (or another site's) sends it.
func riverUIPost(body io.Reader, headers ...string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "http://knacksync.example/riverui/api/jobs/cancel", body)
	req.RemoteAddr = "203.0.113.7:5555"
	req.SetBasicAuth("admin", "admin-password-123")
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

// River UI's writes get the admin POSTs' origin check, Referer included:
// another site's credentialed POST that says where it comes from only by
// its Referer is refused and changes nothing; the service's own page gets
// through.
func TestRiverUIOriginCheck(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.queueSweep(t)
	cancel := func() io.Reader { return strings.NewReader(fmt.Sprintf(`{"ids":["%d"]}`, id)) }

	for _, tt := range []struct {
		name    string
		headers []string
	}{
		{"cross-site Referer only", []string{"Referer", "https://evil.example/page"}},
		{"cross-site Origin", []string{"Origin", "https://evil.example"}},
		{"cross-site Sec-Fetch-Site", []string{"Sec-Fetch-Site", "cross-site"}},
		{"unparseable Referer", []string{"Referer", "http://[::1"}},
	} {
		rec := b.serve(riverUIPost(cancel(), tt.headers...))
		if rec.Code != http.StatusForbidden {
			t.Errorf("%s: %d %s, want 403", tt.name, rec.Code, rec.Body)
		}
		if s := b.jobState(t, id); s != "available" {
			t.Fatalf("%s: the job is %s after a refused cancel", tt.name, s)
		}
	}

	rec := b.serve(riverUIPost(cancel(), "Referer", "http://knacksync.example/riverui/jobs"))
	if rec.Code != http.StatusOK {
		t.Fatalf("same-origin cancel: %d %s, want 200", rec.Code, rec.Body)
	}
	if s := b.jobState(t, id); s != "cancelled" {
		t.Errorf("same-origin cancel: the job is %s, want cancelled", s)
	}
}

// A River UI request body over 1 MiB is refused with 413, declared or
// streamed, before River UI reads it.
func TestRiverUIBodyCap(t *testing.T) {
	t.Parallel()
	b := setup(t)
	big := bytes.Repeat([]byte(" "), maxRiverUIBody+1)

	if rec := b.serve(riverUIPost(bytes.NewReader(big))); rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("declared %d-byte body: %d, want 413", len(big), rec.Code)
	}
	// 8 MiB of JSON whitespace, length unknown: a reader without a cap
	// reads it all.
	streamed := &countingReader{}
	req := riverUIPost(io.NopCloser(io.LimitReader(streamed, 8<<20)))
	req.ContentLength = -1
	if rec := b.serve(req); rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("streamed 8 MiB body: %d, want 413", rec.Code)
	}
	if streamed.n > maxRiverUIBody+bytes.MinRead {
		t.Errorf("read %d bytes of an 8 MiB body; the cap is %d", streamed.n, maxRiverUIBody)
	}
	// At the cap, River UI gets the body (and finds no job in it).
	ok := append([]byte(`{"ids":[]}`), bytes.Repeat([]byte(" "), maxRiverUIBody-10)...)
	if rec := b.serve(riverUIPost(bytes.NewReader(ok))); rec.Code == http.StatusRequestEntityTooLarge || rec.Code == http.StatusForbidden {
		t.Errorf("a %d-byte body: %d, want it passed to River UI", len(ok), rec.Code)
	}
}
