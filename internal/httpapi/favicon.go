package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// favicon is the pages' icon: two arrows, Knack to Postgres, in the
// page's blue. Inline SVG, a few hundred bytes, no file to ship.
const favicon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">` +
	`<rect width="32" height="32" rx="7" fill="#1f5fbf"/>` +
	`<path d="M7 11h16l-4.5-4.5M25 21H9l4.5 4.5" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/>` +
	`</svg>`

// handleFavicon is GET /favicon.svg and /favicon.ico. It is public: it
// holds nothing but a picture, and a browser asks for /favicon.ico on its
// own, also for the 401 page before anyone signs in.
func (s *Server) handleFavicon(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=86400")
	return c.Blob(http.StatusOK, "image/svg+xml", []byte(favicon))
}
