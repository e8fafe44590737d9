package knacksim

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // app timezones must resolve on minimal images too
)

// railsZones maps the Rails-style names Knack keeps in
// application.settings.timezone to IANA names (the common ones; an IANA
// name is accepted as is).
var railsZones = map[string]string{
	"London":                      "Europe/London",
	"Edinburgh":                   "Europe/London",
	"Dublin":                      "Europe/Dublin",
	"Lisbon":                      "Europe/Lisbon",
	"UTC":                         "UTC",
	"Paris":                       "Europe/Paris",
	"Berlin":                      "Europe/Berlin",
	"Amsterdam":                   "Europe/Amsterdam",
	"Madrid":                      "Europe/Madrid",
	"Rome":                        "Europe/Rome",
	"Eastern Time (US & Canada)":  "America/New_York",
	"Central Time (US & Canada)":  "America/Chicago",
	"Mountain Time (US & Canada)": "America/Denver",
	"Pacific Time (US & Canada)":  "America/Los_Angeles",
	"Alaska":                      "America/Juneau",
	"Hawaii":                      "Pacific/Honolulu",
	"Arizona":                     "America/Phoenix",
	"Atlantic Time (Canada)":      "America/Halifax",
	"Sydney":                      "Australia/Sydney",
	"Melbourne":                   "Australia/Melbourne",
	"Canberra":                    "Australia/Canberra",
	"Brisbane":                    "Australia/Brisbane",
	"Adelaide":                    "Australia/Adelaide",
	"Darwin":                      "Australia/Darwin",
	"Perth":                       "Australia/Perth",
	"Hobart":                      "Australia/Hobart",
	"Auckland":                    "Pacific/Auckland",
	"Wellington":                  "Pacific/Auckland",
	"Tokyo":                       "Asia/Tokyo",
	"Singapore":                   "Asia/Singapore",
	"Hong Kong":                   "Asia/Hong_Kong",
	"Mumbai":                      "Asia/Kolkata",
	"New Delhi":                   "Asia/Kolkata",
	"Dubai":                       "Asia/Dubai",
	"Abu Dhabi":                   "Asia/Dubai",
	"Johannesburg":                "Africa/Johannesburg",
}

// appLocation resolves the app's timezone; unknown names fall back to UTC.
func appLocation(name string, log *slog.Logger) *time.Location {
	name = strings.TrimSpace(name)
	if name == "" {
		return time.UTC
	}
	if iana, ok := railsZones[name]; ok {
		name = iana
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		log.Warn("knack simulator: unknown app timezone, using UTC", "timezone", name)
		return time.UTC
	}
	return loc
}

// handleSchema is GET /v1/applications/{app}: the application metadata
// (docs/knack-api.md §5). It needs no auth and counts toward no limit.
func (s *Server) handleSchema(w http.ResponseWriter, r *http.Request) error {
	if r.PathValue("app") != s.appID {
		return jsonError(http.StatusNotFound, "Application not found")
	}
	type source struct {
		Object string `json:"object"`
	}
	type view struct {
		Key    string `json:"key"`
		Type   string `json:"type"`
		Name   string `json:"name"`
		Source source `json:"source"`
	}
	type scene struct {
		Key           string `json:"key"`
		Slug          string `json:"slug"`
		Name          string `json:"name"`
		Authenticated bool   `json:"authenticated"`
		Views         []view `json:"views"`
	}
	type object struct {
		Key        string  `json:"key"`
		Name       string  `json:"name"`
		Identifier string  `json:"identifier"`
		Type       string  `json:"type"`
		Fields     []Field `json:"fields"`
	}
	type settings struct {
		Timezone       string `json:"timezone"`
		TimezoneOffset string `json:"timezone_offset"`
		TimezoneDST    bool   `json:"timezone_dst"`
		Cluster        string `json:"cluster"`
	}
	type application struct {
		ID       string   `json:"id"`
		Name     string   `json:"name"`
		Slug     string   `json:"slug"`
		Settings settings `json:"settings"`
		Objects  []object `json:"objects"`
		Scenes   []scene  `json:"scenes"`
	}
	now := s.now().In(s.loc)
	_, offset := now.Zone()
	app := application{
		ID: s.appID, Name: s.schema.Name, Slug: slug(s.schema.Name),
		Settings: settings{Timezone: s.schema.Timezone, TimezoneOffset: strconv.Itoa(offset),
			TimezoneDST: now.IsDST(), Cluster: "us-east"},
		Objects: make([]object, 0, len(s.schema.Objects)),
		Scenes:  make([]scene, 0, len(s.schema.Scenes)),
	}
	for _, o := range s.schema.Objects {
		typ := o.Type
		if typ == "" {
			typ = "StandardObject"
		}
		fields := o.Fields
		if fields == nil {
			fields = []Field{}
		}
		app.Objects = append(app.Objects, object{Key: o.Key, Name: o.Name, Identifier: o.Identifier, Type: typ, Fields: fields})
	}
	for _, sc := range s.schema.Scenes {
		out := scene{Key: sc.Key, Slug: sc.Slug, Name: sc.Name, Authenticated: sc.LoginRequired, Views: []view{}}
		for _, v := range sc.Views {
			out.Views = append(out.Views, view{Key: v.Key, Type: v.Type, Name: v.Name, Source: source{Object: v.Object}})
		}
		app.Scenes = append(app.Scenes, out)
	}
	return writeValue(w, map[string]any{"application": app})
}

func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(name) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
