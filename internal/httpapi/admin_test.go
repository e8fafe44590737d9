package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func syncRequest(remoteAddr string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/api/sync", nil)
	if remoteAddr != "" {
		req.RemoteAddr = remoteAddr
	}
	return req
}

func (b *testBundle) sweepJobs(t *testing.T) int {
	return b.count(t, `SELECT count(*) FROM knacksync.river_job WHERE kind = 'knack_sweep'`)
}

// decodeSync reads a 202 answer of POST /api/sync.
func decodeSync(t *testing.T, rec *httptest.ResponseRecorder) syncResponse {
	t.Helper()
	if rec.Code != http.StatusAccepted {
		t.Fatalf("status = %d, want 202; body %s", rec.Code, rec.Body)
	}
	var got syncResponse
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("body: %v", err)
	}
	return got
}

func TestAdminBasicAuth(t *testing.T) {
	t.Parallel()
	b := setup(t)

	refused := []struct {
		name           string
		user, password string
		noAuth         bool
	}{
		{name: "no credentials", noAuth: true},
		{name: "wrong password", user: "admin", password: "wrong"},
		{name: "wrong user", user: "root", password: "admin-password-123"},
		{name: "password prefix", user: "admin", password: "admin-password"},
		{name: "empty", user: "", password: ""},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			// From loopback too: with credentials configured, the address
			// does not matter.
			req := syncRequest("127.0.0.1:40000")
			if !tt.noAuth {
				req.SetBasicAuth(tt.user, tt.password)
			}
			rec := b.serve(req)
			if rec.Code != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401; body %s", rec.Code, rec.Body)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != `Basic realm="knacksync"` {
				t.Errorf("WWW-Authenticate = %q", got)
			}
			if got := rec.Header().Get(headerAdminMode); got != "" {
				t.Errorf("%s = %q on an authenticated setup", headerAdminMode, got)
			}
			if strings.Contains(rec.Body.String(), "admin-password") {
				t.Errorf("body %s echoes the password", rec.Body)
			}
			if n := b.jobs(t); n != 0 {
				t.Errorf("%d jobs after a refused request, want 0", n)
			}
		})
	}

	t.Run("right credentials", func(t *testing.T) {
		token := b.csrfToken(t)
		req := syncRequest("203.0.113.7:5555")
		req.SetBasicAuth("admin", "admin-password-123")
		req.Header.Set("X-CSRF-Token", token)
		first := decodeSync(t, b.serve(req))
		if first.JobID == 0 || first.AlreadyQueued {
			t.Errorf("first sync = %+v, want a new job", first)
		}
		if n := b.count(t, `SELECT count(*) FROM knacksync.river_job WHERE kind = 'knack_sweep' AND id = $1`, first.JobID); n != 1 {
			t.Errorf("no knack_sweep job %d", first.JobID)
		}

		req = syncRequest("203.0.113.7:5555")
		req.SetBasicAuth("admin", "admin-password-123")
		req.Header.Set("X-CSRF-Token", token)
		second := decodeSync(t, b.serve(req))
		if !second.AlreadyQueued || second.JobID != first.JobID {
			t.Errorf("second sync = %+v, want already_queued for job %d", second, first.JobID)
		}
		if n := b.sweepJobs(t); n != 1 {
			t.Errorf("%d sweep jobs, want 1", n)
		}
	})

	t.Run("unknown paths stay 404", func(t *testing.T) {
		rec := b.serve(httptest.NewRequest(http.MethodGet, "/no-such-page", nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("status = %d, want 404", rec.Code)
		}
	})
}

func TestAdminWithoutCredentials(t *testing.T) {
	t.Parallel()
	b := setup(t, func(d *Deps) { d.AdminUser, d.AdminPassword = "", "" })

	if n := strings.Count(b.logs.String(), "ADMIN_USER and ADMIN_PASSWORD are empty"); n != 1 {
		t.Errorf("the warning was logged %d times, want once:\n%s", n, b.logs)
	}

	for _, addr := range []string{"203.0.113.7:5555", "10.0.0.1:80", "[2001:db8::1]:443", "localhost:80", "garbage"} {
		t.Run("refused from "+addr, func(t *testing.T) {
			req := syncRequest(addr)
			// Proxy headers are the client's to forge and change nothing.
			req.Header.Set("X-Forwarded-For", "127.0.0.1")
			req.Header.Set("X-Real-IP", "127.0.0.1")
			rec := b.serve(req)
			if rec.Code != http.StatusForbidden {
				t.Fatalf("status = %d, want 403; body %s", rec.Code, rec.Body)
			}
			if got := rec.Header().Get(headerAdminMode); got != "" {
				t.Errorf("%s = %q on a refused request", headerAdminMode, got)
			}
			if n := b.jobs(t); n != 0 {
				t.Errorf("%d jobs after a refused request, want 0", n)
			}
		})
	}

	// Handler-level: httptest's default RemoteAddr (192.0.2.1) is not loopback.
	t.Run("refused by default", func(t *testing.T) {
		if rec := b.serve(syncRequest("")); rec.Code != http.StatusForbidden {
			t.Fatalf("status = %d, want 403", rec.Code)
		}
	})

	t.Run("served to loopback", func(t *testing.T) {
		var first syncResponse
		token := b.csrfToken(t)
		for i, addr := range []string{"127.0.0.1:40000", "[::1]:40000", "[::ffff:127.0.0.1]:40000"} {
			req := syncRequest(addr)
			req.Header.Set("X-CSRF-Token", token)
			rec := b.serve(req)
			if got := rec.Header().Get(headerAdminMode); got != "unauthenticated-loopback-only" {
				t.Errorf("%s: %s = %q", addr, headerAdminMode, got)
			}
			got := decodeSync(t, rec)
			if i == 0 {
				first = got
				if got.AlreadyQueued {
					t.Errorf("first sync = %+v, want a new job", got)
				}
			} else if !got.AlreadyQueued || got.JobID != first.JobID {
				t.Errorf("%s: sync = %+v, want already_queued for job %d", addr, got, first.JobID)
			}
		}
		if n := b.sweepJobs(t); n != 1 {
			t.Errorf("%d sweep jobs, want 1", n)
		}
	})
}

// TestAdminOverTheNetwork runs the loopback rule through a real server:
// the connection's address decides, whatever the headers say.
func TestAdminOverTheNetwork(t *testing.T) {
	t.Parallel()
	b := setup(t, func(d *Deps) { d.AdminUser, d.AdminPassword = "", "" })
	srv := httptest.NewServer(b.handler)
	t.Cleanup(srv.Close)

	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/sync", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-CSRF-Token", b.csrfToken(t))
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || resp.Header.Get(headerAdminMode) != "unauthenticated-loopback-only" {
		t.Errorf("status %d, %s %q; want 202 and the header", resp.StatusCode, headerAdminMode, resp.Header.Get(headerAdminMode))
	}
}
