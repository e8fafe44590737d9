package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// headerAdminMode marks admin responses served without credentials.
const headerAdminMode = "X-Knacksync-Admin"

// requireAdmin guards the admin routes. With credentials configured it
// checks HTTP basic auth; without (development only) it serves loopback
// clients only, judged by the connection's address: X-Forwarded-For and
// friends are the client's to forge.
func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if !s.adminConfigured {
			if !isLoopback(req.RemoteAddr) {
				return errAdminLoopbackOnly
			}
			c.Response().Header().Set(headerAdminMode, "unauthenticated-loopback-only")
			return next(c)
		}
		user, password, ok := req.BasicAuth()
		if !ok {
			// No credentials (a browser's first request, before its
			// prompt): not a wrong try.
			return errAdminUnauthorized
		}
		// A source that keeps getting them wrong waits between tries
		// (backoff.go); its credentials are not even checked meanwhile.
		source := s.sourceOf(req)
		if wait := s.adminFailures.wait(source); wait > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
			return errAdminThrottled
		}
		// Compare SHA-256 digests so that the compare takes the same time
		// whatever the lengths, and check both before deciding so that a
		// right user name is not told apart from a wrong one.
		u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(password))
		userOK := subtle.ConstantTimeCompare(u[:], s.adminUser[:])
		passwordOK := subtle.ConstantTimeCompare(p[:], s.adminPassword[:])
		if userOK&passwordOK != 1 {
			s.adminFailures.failed(source)
			return errAdminUnauthorized
		}
		s.adminFailures.succeeded(source)
		return next(c)
	}
}

// isLoopback reports whether remoteAddr (host:port, as net/http sets it)
// is a loopback address, IPv4-mapped IPv6 included.
func isLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return false
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}

// handleSync starts a full sweep now, or reports the one already queued.
// The status page's form gets a 303 back to the page with a flash message;
// scripts get 202 and JSON.
func (s *Server) handleSync(c echo.Context) error {
	id, already, err := s.deps.Sweeps.EnqueueSweep(c.Request().Context(), "manual: POST /api/sync")
	if err != nil {
		return fmt.Errorf("sync now: %w", err)
	}
	if isForm(c.Request()) {
		flash := flashQueued
		if already {
			flash = flashAlreadyQueued
		}
		q := url.Values{"flash": {flash}, "job": {strconv.FormatInt(id, 10)}}
		return c.Redirect(http.StatusSeeOther, "/?"+q.Encode())
	}
	return c.JSON(http.StatusAccepted, syncResponse{JobID: id, AlreadyQueued: already})
}

type syncResponse struct {
	JobID         int64 `json:"job_id"`
	AlreadyQueued bool  `json:"already_queued"`
}
