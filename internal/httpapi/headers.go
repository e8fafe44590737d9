package httpapi

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/labstack/echo/v4"
)

// contentSecurityPolicy is the policy of every response, the status page's
// included: nothing loads but the page itself. The page has no script at
// all (the chart is SVG drawn on the server, "Sync now" is a plain form)
// and one inline stylesheet, allowed by its hash. A route that needs more
// (the River UI, a single-page app) sets its own policy in its handler or a
// route middleware, which replaces this one.
var contentSecurityPolicy = strings.Join([]string{
	"default-src 'none'",
	"style-src '" + styleHash(statusCSS) + "'",
	"img-src 'self'",
	"form-action 'self'",
	"frame-ancestors 'none'",
	"base-uri 'none'",
}, "; ")

// styleHash is a CSP source for an inline <style> with exactly css inside.
func styleHash(css string) string {
	sum := sha256.Sum256([]byte(css))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// secureHeaders sets the security headers on every response, errors and
// 404s included (it runs before routing).
func secureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		// Fly.io terminates TLS and says so in X-Forwarded-Proto. The
		// header only matters to a browser that reached us over HTTPS, and
		// on plain HTTP (local development) it is ignored anyway.
		if c.Request().TLS != nil || c.Request().Header.Get(echo.HeaderXForwardedProto) == "https" {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(c)
	}
}
