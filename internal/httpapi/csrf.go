package httpapi

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// CSRF protection of the admin POSTs.
//
// The admin routes have no session: the browser sends basic-auth
// credentials, and it sends them on its own, also with a form that another
// site makes it submit. So no admin POST is trusted for carrying
// credentials, basic auth included: a script's `curl -u` must send a token
// too. Two checks, both required:
//
//  1. Origin: when the request says where it comes from (Sec-Fetch-Site,
//     Origin, or else Referer), that must be this host
//     (net/http.CrossOriginProtection, plus the Referer for browsers that
//     send no Origin).
//  2. A token, in the form field csrf_token (the status page's "Sync now"
//     form) or the header X-CSRF-Token (scripts: GET /api/status returns
//     csrf_token). Another site can neither read it (same-origin policy; no
//     CORS here) nor make it.
//
// Referrer-Policy is no-referrer (headers.go), so a browser's form POST
// says "Origin: null" and passes on Sec-Fetch-Site: same-origin, which
// browsers send to HTTPS and localhost only. Served over plain HTTP on
// another host, "Sync now" is refused: use HTTPS (Fly.io does).
//
// A token is "expiry.HMAC-SHA256(key, expiry)", stateless. The key is
// derived from the admin credentials, not drawn at start: every instance
// behind the load balancer shares ADMIN_USER/ADMIN_PASSWORD and so accepts
// the tokens of the others, and a password change revokes every token.
// Without credentials (development, loopback only) the key is random per
// process.
//
// Scripts:
//
//	tok=$(curl -su "$ADMIN_USER:$ADMIN_PASSWORD" "$URL/api/status" | jq -r .csrf_token)
//	curl -su "$ADMIN_USER:$ADMIN_PASSWORD" -X POST -H "X-CSRF-Token: $tok" "$URL/api/sync"

const (
	csrfHeader = "X-CSRF-Token"
	csrfField  = "csrf_token"
	// csrfTTL is how long a token is good for: a status page left open
	// for a day still syncs.
	csrfTTL = 24 * time.Hour
	// csrfFormLimit bounds the form body read for the token.
	csrfFormLimit = 64 << 10
)

// The refusals: 403s, by the one error handler.
var (
	errCSRF        = echo.NewHTTPError(http.StatusForbidden, "missing or invalid CSRF token: reload the page, or send the X-CSRF-Token header with the csrf_token of GET /api/status")
	errCrossOrigin = echo.NewHTTPError(http.StatusForbidden, "cross-origin request refused")
)

// csrfTokens issues and checks tokens.
type csrfTokens struct {
	key []byte
	now func() time.Time
}

// newCSRFTokens derives the key from the admin credentials, or draws one
// when there are none.
func newCSRFTokens(user, password string, now func() time.Time) csrfTokens {
	var secret []byte
	if user != "" || password != "" {
		secret = []byte(user + "\x00" + password)
	} else {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret) // never fails (crypto/rand)
	}
	key, err := hkdf.Key(sha256.New, secret, nil, "knacksync admin csrf v1", 32)
	if err != nil {
		panic(err) // only for a length hkdf cannot give
	}
	return csrfTokens{key: key, now: now}
}

func (t csrfTokens) sign(expiry string) []byte {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte("csrf|" + expiry))
	return m.Sum(nil)
}

// issue returns a token good for csrfTTL.
func (t csrfTokens) issue() string {
	expiry := strconv.FormatInt(t.now().Add(csrfTTL).Unix(), 10)
	return expiry + "." + base64.RawURLEncoding.EncodeToString(t.sign(expiry))
}

// valid reports whether token was issued with this key and has not expired.
func (t csrfTokens) valid(token string) bool {
	expiry, sig, ok := strings.Cut(token, ".")
	if !ok || len(expiry) > 12 || len(sig) > 64 {
		return false
	}
	unix, err := strconv.ParseInt(expiry, 10, 64)
	if err != nil || !t.now().Before(time.Unix(unix, 0)) {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	return err == nil && hmac.Equal(got, t.sign(expiry))
}

// requireCSRF guards the unsafe methods of the admin routes. It runs after
// requireAdmin: without credentials the answer is 401, with credentials
// and without a token it is 403.
func (s *Server) requireCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		switch req.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if err := s.checkOrigin(req); err != nil {
			return err
		}
		token := req.Header.Get(csrfHeader)
		if token == "" && isForm(req) {
			req.Body = http.MaxBytesReader(c.Response(), req.Body, csrfFormLimit)
			token = req.PostFormValue(csrfField)
		}
		if !s.csrf.valid(token) {
			return errCSRF
		}
		return next(c)
	}
}

// checkOrigin refuses a cross-origin browser request (errCrossOrigin):
// net/http.CrossOriginProtection judges Sec-Fetch-Site and Origin (and
// lets safe methods through); without both, a Referer from elsewhere still
// tells a browser's cross-site request. A request with none of the three
// (curl, scripts) passes: the admin POSTs' token or credentials decide.
func (s *Server) checkOrigin(req *http.Request) error {
	if err := s.crossOrigin.Check(req); err != nil {
		return errCrossOrigin
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if req.Header.Get("Sec-Fetch-Site") == "" && req.Header.Get("Origin") == "" {
		if ref := req.Header.Get("Referer"); ref != "" {
			u, err := url.Parse(ref)
			if err != nil || !strings.EqualFold(u.Host, req.Host) {
				return errCrossOrigin
			}
		}
	}
	return nil
}

// isForm reports whether req carries an HTML form.
func isForm(req *http.Request) bool {
	ct := req.Header.Get(echo.HeaderContentType)
	return strings.HasPrefix(ct, echo.MIMEApplicationForm) || strings.HasPrefix(ct, echo.MIMEMultipartForm)
}
