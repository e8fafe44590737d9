package knacksim

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// access is how a route authenticates and whether it counts toward the
// limits.
type access int

const (
	// accessPublic: no headers needed, not counted (schema, asset downloads).
	accessPublic access = iota
	// accessObject: X-Knack-Application-Id and the app's API key.
	accessObject
	// accessView: X-Knack-Application-Id; the API key is optional (the
	// literal "knack" is ignored); a user token on login-protected scenes.
	accessView
	// accessApp: the app id in the path; no key (remote login).
	accessApp
	// accessAppID: X-Knack-Application-Id only (token validation).
	accessAppID
)

// routes lists every route the simulator serves.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// Application metadata: knack.Client at startup, `server doctor`.
	s.handle(mux, "GET /v1/applications/{app}", accessPublic, s.handleSchema)
	// Remote user login and token validation (docs/knack-api.md §1).
	s.handle(mux, "POST /v1/applications/{app}/session", accessApp, s.handleLogin)
	s.handle(mux, "GET /v1/session/token", accessAppID, s.handleToken)
	// File and image uploads, and the public download URL they return.
	s.handle(mux, "POST /v1/applications/{app}/assets/{kind}/upload", accessObject, s.handleUpload)
	s.handle(mux, "GET /v1/applications/{app}/download/asset/{asset}/{filename}", accessPublic, s.handleDownload)
	// Object-based records: the sync's client.
	s.handle(mux, "GET /v1/objects/{object}/records", accessObject, s.objectRoute(s.list))
	s.handle(mux, "POST /v1/objects/{object}/records", accessObject, s.objectRoute(s.create))
	s.handle(mux, "GET /v1/objects/{object}/records/{id}", accessObject, s.objectRoute(s.get))
	s.handle(mux, "PUT /v1/objects/{object}/records/{id}", accessObject, s.objectRoute(s.update))
	s.handle(mux, "DELETE /v1/objects/{object}/records/{id}", accessObject, s.objectRoute(s.remove))
	// View-based records: live-app code and integrations acting as a user.
	// /v1/scenes/... is the spelling the live app itself uses.
	for _, prefix := range []string{"/v1/pages/{scene}/views/{view}/records", "/v1/scenes/{scene}/views/{view}/records"} {
		s.handle(mux, "GET "+prefix, accessView, s.viewRoute(s.list))
		s.handle(mux, "POST "+prefix, accessView, s.viewRoute(s.create))
		s.handle(mux, "GET "+prefix+"/{id}", accessView, s.viewRoute(s.get))
		s.handle(mux, "PUT "+prefix+"/{id}", accessView, s.viewRoute(s.update))
		s.handle(mux, "DELETE "+prefix+"/{id}", accessView, s.viewRoute(s.remove))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		at := s.now()
		sw := &statusWriter{ResponseWriter: w}
		// Every answer carries both header families, even a 404 for an
		// unknown path; counted routes overwrite them after counting.
		s.lim.admit(at, false).setHeaders(w.Header())
		mux.ServeHTTP(sw, r)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		s.obs.record(Request{
			Time: at, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			Route: r.Pattern, Status: status, Duration: time.Since(start),
		})
	})
}

// statusGone is logged for requests whose client left before an answer.
const statusGone = 499

// handle registers a route behind the common pipeline: app id check, rate
// and quota, injected latency and faults, API key check, then h. Errors that
// h returns are answered here, so handlers never write error bodies.
func (s *Server) handle(mux *http.ServeMux, pattern string, acc access, h func(http.ResponseWriter, *http.Request) error) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if acc != accessPublic {
			if e := s.checkAppID(r, acc); e != nil {
				writeHTTPError(w, e)
				return
			}
			a := s.lim.admit(s.now(), true)
			a.setHeaders(w.Header())
			if a.rateLimited || a.quotaExceeded {
				s.obs.add(func(c *Counts) {
					if a.rateLimited {
						c.RateLimited++
					} else {
						c.QuotaExceeded++
					}
				})
				s.lim.mu.Lock()
				latency := s.lim.latency
				s.lim.mu.Unlock()
				if !s.sleep(r.Context(), latency) {
					markGone(w)
					return
				}
				writeHTTPError(w, textError(http.StatusTooManyRequests, "Rate limit exceeded"))
				return
			}
		}
		f := s.decideFault()
		if !s.sleep(r.Context(), f.delay) {
			markGone(w)
			return
		}
		switch {
		case f.timeout:
			s.obs.add(func(c *Counts) { c.TimedOut++ })
			s.hang(w, r)
			return
		case f.status != 0:
			s.obs.add(func(c *Counts) { c.Failed++ })
			text := fmt.Sprintf("%d %s", f.status, http.StatusText(f.status))
			writeHTTPError(w, textError(f.status, "<html><head><title>"+text+"</title></head><body><h1>"+text+"</h1></body></html>"))
			return
		}
		if e := s.checkKey(r, acc); e != nil {
			writeHTTPError(w, e)
			return
		}
		if err := h(w, r); err != nil {
			var he *httpError
			if !errors.As(err, &he) {
				s.log.ErrorContext(r.Context(), "knack simulator handler", "route", pattern, "err", err)
				he = textError(http.StatusInternalServerError, "Internal Server Error")
			}
			writeHTTPError(w, he)
		}
	})
}

// hang holds a request until the client gives up, the simulator closes, or
// TimeoutHang passes (then 504).
func (s *Server) hang(w http.ResponseWriter, r *http.Request) {
	t := time.NewTimer(s.opts.TimeoutHang)
	defer t.Stop()
	select {
	case <-r.Context().Done():
		markGone(w)
	case <-s.base.Done():
		writeHTTPError(w, textError(http.StatusServiceUnavailable, "Service Unavailable"))
	case <-t.C:
		writeHTTPError(w, textError(http.StatusGatewayTimeout, "<html><body><h1>504 Gateway Time-out</h1></body></html>"))
	}
}

func markGone(w http.ResponseWriter) {
	if sw, ok := w.(*statusWriter); ok && sw.status == 0 {
		sw.status = statusGone
	}
}

// checkAppID checks the application id (a header, or the path for login).
// A wrong id gives 401 "Invalid Application ID" (Knack gave 500 in 2015;
// today's answer is unverified).
func (s *Server) checkAppID(r *http.Request, acc access) *httpError {
	id := r.Header.Get("X-Knack-Application-Id")
	if acc == accessApp {
		id = r.PathValue("app")
	}
	if id != s.appID {
		return textError(http.StatusUnauthorized, "Invalid Application ID")
	}
	if app := r.PathValue("app"); app != "" && app != s.appID {
		return textError(http.StatusUnauthorized, "Invalid Application ID")
	}
	return nil
}

// checkKey checks X-Knack-REST-API-Key (any spelling: header names are
// case-insensitive). Object routes need the app's key; view routes accept
// none, the literal "knack", or the app's key.
func (s *Server) checkKey(r *http.Request, acc access) *httpError {
	key := r.Header.Get("X-Knack-REST-API-Key")
	switch acc {
	case accessObject:
		if key != s.apiKey {
			return textError(http.StatusUnauthorized, "Invalid API Key")
		}
	case accessView:
		if key != "" && key != "knack" && key != s.apiKey {
			return textError(http.StatusUnauthorized, "Invalid API Key")
		}
	}
	return nil
}
