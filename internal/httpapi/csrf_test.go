package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// csrfToken gets a token as a script does: GET /api/status, from loopback
// with the bundle's admin credentials (ignored when there are none).
func (b *testBundle) csrfToken(t *testing.T) string {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/api/status", nil)
	req.RemoteAddr = "127.0.0.1:40000"
	req.SetBasicAuth("admin", "admin-password-123")
	rec := b.serve(req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/status: %d %s", rec.Code, rec.Body)
	}
	var got struct {
		Token string `json:"csrf_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Token == "" {
		t.Fatalf("GET /api/status: no csrf_token (%v) in %s", err, rec.Body)
	}
	return got.Token
}

// adminPost is POST /api/sync with the admin credentials; edit adds the
// token, headers or a form.
func adminPost(edit func(*http.Request)) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "http://knacksync.example/api/sync", nil)
	req.RemoteAddr = "203.0.113.7:5555"
	req.SetBasicAuth("admin", "admin-password-123")
	if edit != nil {
		edit(req)
	}
	return req
}

// setForm makes req the status page's "Sync now" form with token.
func setForm(req *http.Request, token string) {
	body := url.Values{"csrf_token": {token}}.Encode()
	req.Body = io.NopCloser(strings.NewReader(body))
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	b := setup(t)
	token := b.csrfToken(t)
	other := newCSRFTokens("admin", "another-password", func() time.Time { return testNow }).issue()
	expired := newCSRFTokens("admin", "admin-password-123", func() time.Time { return testNow.Add(-csrfTTL - time.Second) }).issue()

	refused := []struct {
		name string
		edit func(*http.Request)
	}{
		{name: "no token"},
		{name: "empty header", edit: func(r *http.Request) { r.Header.Set("X-CSRF-Token", "") }},
		{name: "garbage", edit: func(r *http.Request) { r.Header.Set("X-CSRF-Token", "garbage") }},
		{name: "tampered expiry", edit: func(r *http.Request) {
			_, sig, _ := strings.Cut(token, ".")
			r.Header.Set("X-CSRF-Token", "99999999999."+sig)
		}},
		{name: "signed with other credentials", edit: func(r *http.Request) { r.Header.Set("X-CSRF-Token", other) }},
		{name: "expired", edit: func(r *http.Request) { r.Header.Set("X-CSRF-Token", expired) }},
		{name: "token in the query string", edit: func(r *http.Request) { r.URL.RawQuery = "csrf_token=" + url.QueryEscape(token) }},
		{name: "empty form field", edit: func(r *http.Request) { setForm(r, "") }},
		{name: "cross-site fetch", edit: func(r *http.Request) {
			r.Header.Set("X-CSRF-Token", token)
			r.Header.Set("Sec-Fetch-Site", "cross-site")
		}},
		{name: "other origin", edit: func(r *http.Request) {
			r.Header.Set("X-CSRF-Token", token)
			r.Header.Set("Origin", "https://evil.example")
		}},
		{name: "null origin", edit: func(r *http.Request) {
			r.Header.Set("X-CSRF-Token", token)
			r.Header.Set("Origin", "null")
		}},
		{name: "other referer", edit: func(r *http.Request) {
			r.Header.Set("X-CSRF-Token", token)
			r.Header.Set("Referer", "https://evil.example/page")
		}},
		{name: "form from another site", edit: func(r *http.Request) {
			setForm(r, token)
			r.Header.Set("Origin", "https://evil.example")
			r.Header.Set("Sec-Fetch-Site", "cross-site")
		}},
	}
	for _, tt := range refused {
		t.Run("refused/"+tt.name, func(t *testing.T) {
			rec := b.serve(adminPost(tt.edit))
			if rec.Code != http.StatusForbidden {
				t.Fatalf("status = %d, want 403; body %s", rec.Code, rec.Body)
			}
			if n := b.jobs(t); n != 0 {
				t.Errorf("%d jobs after a refused request, want 0", n)
			}
		})
	}

	// Without credentials the answer is 401, whatever the token: auth
	// comes first and says nothing about the token.
	t.Run("no credentials with a token", func(t *testing.T) {
		req := adminPost(func(r *http.Request) { r.Header.Set("X-CSRF-Token", token) })
		req.Header.Del("Authorization")
		if rec := b.serve(req); rec.Code != http.StatusUnauthorized {
			t.Fatalf("status = %d, want 401", rec.Code)
		}
	})

	t.Run("header token: 202", func(t *testing.T) {
		rec := b.serve(adminPost(func(r *http.Request) { r.Header.Set("X-CSRF-Token", token) }))
		if got := decodeSync(t, rec); got.JobID == 0 {
			t.Errorf("sync = %+v", got)
		}
	})

	t.Run("same origin", func(t *testing.T) {
		for _, h := range []map[string]string{
			{"Origin": "http://knacksync.example", "Sec-Fetch-Site": "same-origin"},
			{"Origin": "http://knacksync.example"},
			{"Referer": "http://knacksync.example/?rule=bad_email"},
		} {
			rec := b.serve(adminPost(func(r *http.Request) {
				r.Header.Set("X-CSRF-Token", token)
				for k, v := range h {
					r.Header.Set(k, v)
				}
			}))
			if rec.Code != http.StatusAccepted {
				t.Errorf("%v: status = %d, want 202; body %s", h, rec.Code, rec.Body)
			}
		}
	})

	t.Run("form token: 303 back to the page", func(t *testing.T) {
		rec := b.serve(adminPost(func(r *http.Request) {
			setForm(r, token)
			r.Header.Set("Origin", "http://knacksync.example")
			r.Header.Set("Sec-Fetch-Site", "same-origin")
		}))
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("status = %d, want 303; body %s", rec.Code, rec.Body)
		}
		loc, err := url.Parse(rec.Header().Get("Location"))
		if err != nil || loc.Path != "/" || loc.Query().Get("flash") != flashAlreadyQueued || loc.Query().Get("job") == "" {
			t.Errorf("Location = %q, want /?flash=%s&job=N", rec.Header().Get("Location"), flashAlreadyQueued)
		}
	})

	t.Run("GET needs no token", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/api/status", nil)
		req.SetBasicAuth("admin", "admin-password-123")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if rec := b.serve(req); rec.Code != http.StatusOK {
			t.Errorf("status = %d, want 200", rec.Code)
		}
	})
}

// Without credentials (loopback only) a POST needs a token all the same:
// a page on any site can make a browser on the operator's machine post to
// localhost.
func TestCSRFWithoutCredentials(t *testing.T) {
	t.Parallel()
	b := setup(t, func(d *Deps) { d.AdminUser, d.AdminPassword = "", "" })
	req := syncRequest("127.0.0.1:40000")
	if rec := b.serve(req); rec.Code != http.StatusForbidden {
		t.Fatalf("no token: status = %d, want 403", rec.Code)
	}
	req = syncRequest("127.0.0.1:40000")
	req.Header.Set("X-CSRF-Token", b.csrfToken(t))
	decodeSync(t, b.serve(req))
}

func TestCSRFTokens(t *testing.T) {
	t.Parallel()
	now := testNow
	clock := func() time.Time { return now }
	tokens := newCSRFTokens("admin", "pw", clock)
	tok := tokens.issue()
	if !tokens.valid(tok) {
		t.Fatal("a fresh token is not valid")
	}
	// Another instance with the same credentials accepts it.
	if !newCSRFTokens("admin", "pw", clock).valid(tok) {
		t.Error("a token is not valid on another instance with the same credentials")
	}
	for _, creds := range [][2]string{{"admin", "pw2"}, {"admin2", "pw"}, {"adminp", "w"}} {
		if newCSRFTokens(creds[0], creds[1], clock).valid(tok) {
			t.Errorf("valid with credentials %q", creds)
		}
	}
	// Without credentials every process draws its own key.
	if a, b := newCSRFTokens("", "", clock), newCSRFTokens("", "", clock); b.valid(a.issue()) {
		t.Error("two processes without credentials share a key")
	}
	now = testNow.Add(csrfTTL - time.Second)
	if !tokens.valid(tok) {
		t.Error("not valid just before its expiry")
	}
	now = testNow.Add(csrfTTL)
	if tokens.valid(tok) {
		t.Error("valid at its expiry")
	}
	for _, bad := range []string{"", ".", "1.", ".x", "abc.def", tok + "x", strings.Repeat("9", 40) + ".x"} {
		if tokens.valid(bad) {
			t.Errorf("%q is valid", bad)
		}
	}
}
