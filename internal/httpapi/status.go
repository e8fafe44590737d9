package httpapi

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"knacksync/internal/buildinfo"
	"knacksync/internal/knack"
	"knacksync/internal/store"
	"knacksync/internal/worker"
)

// StatusLoader reads the data of the status page, its run pages and its
// CSV (*store.Store has it).
type StatusLoader interface {
	Status(ctx context.Context, q store.StatusQuery) (*store.Status, error)
	RunDetail(ctx context.Context, runID int64) (*store.RunDetail, error)
	PendingJobs(ctx context.Context, kinds []string) ([]store.PendingJob, error)
	EachIssue(ctx context.Context, rule string, fn func(store.OpenIssue) error) error
}

// KnackStats reports the Knack client's counters (*knack.Client has it):
// the page shows the daily quota left from them.
type KnackStats interface {
	Stats() knack.Stats
}

const (
	// runLimit and issueLimit cap the page's lists.
	runLimit   = 30
	issueLimit = 200
	// defaultStaleMargin is how long after a scheduled run its sweep may
	// take before an object it has not completed counts as stale.
	defaultStaleMargin = 2 * time.Hour
	// confirmCommand applies held deletions.
	confirmCommand = "server sync --confirm-deletes"
)

var (
	//go:embed templates
	templateFS embed.FS
	// statusCSS is inlined in the page and allowed by its hash (headers.go).
	statusCSS     = mustRead("templates/status.css")
	templateFuncs = template.FuncMap{
		"fmtTime":    fmtTime,
		"duration":   fmtDuration,
		"seconds":    func(s float64) string { return fmtDuration(time.Duration(s * float64(time.Second))) },
		"sub":        subTimes,
		"join":       strings.Join,
		"num":        formatNumber,
		"objectName": objectName,
	}
	statusTemplate = template.Must(template.New("status.html").Funcs(templateFuncs).ParseFS(templateFS, "templates/status.html", "templates/head.html"))
)

func mustRead(name string) string {
	b, err := templateFS.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// errStatusNotWired: Deps.Status is nil, a wiring bug; the status routes
// answer 503 rather than panic.
var errStatusNotWired = echo.NewHTTPError(http.StatusServiceUnavailable, "the status page is not configured (httpapi.Deps.Status is nil)")

// ruleRE is what a data-issue rule name looks like (vespa.Rule*).
var ruleRE = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)

// statusPage is GET /api/status, and what GET / renders. The field names
// are an interface: add, never rename. Every text that may hold a student's
// e-mail has it masked.
type statusPage struct {
	GeneratedAt time.Time `json:"generated_at"`
	// AdminMode is "basic_auth", or "loopback_only" without credentials.
	AdminMode          string         `json:"admin_mode"`
	Schedule           statusSchedule `json:"schedule"`
	Quota              *statusQuota   `json:"quota"`
	KnackRequestsToday int            `json:"knack_requests_today"`
	Objects            []statusObject `json:"objects"`
	Runs               []statusRun    `json:"runs"`
	HeldDeletions      []statusHeld   `json:"held_deletions"`
	DataIssues         statusIssues   `json:"data_issues"`
	// CSRFToken goes in the X-CSRF-Token header of an admin POST.
	CSRFToken string `json:"csrf_token"`

	// Budget is the day's Knack quota budget (the request ledger's).
	Budget statusBudget `json:"knack_budget"`
}

type statusSchedule struct {
	Cron        string     `json:"cron"`
	NextRun     *time.Time `json:"next_run"`
	PreviousRun *time.Time `json:"previous_run"`
	// StaleBefore: an object whose last successful sync is older is stale.
	StaleBefore *time.Time `json:"stale_before"`
}

type statusQuota struct {
	Remaining int64     `json:"remaining"`
	Limit     *int64    `json:"limit"`
	SeenAt    time.Time `json:"seen_at"`
}

// statusBudget is store.QuotaDay: -1 is unknown (Knack has not reported a
// limit yet). HintsWaiting: the hint budget is spent and hints wait for
// the nightly sweep.
type statusBudget struct {
	Limit          int64      `json:"limit"`
	Remaining      int64      `json:"remaining"`
	Reserve        int64      `json:"reserve"`
	SweepNeed      int64      `json:"sweep_need"`
	HintBudget     int64      `json:"hint_budget"`
	HintRequests   int64      `json:"hint_requests"`
	HintsWaiting   bool       `json:"hints_waiting_for_sweep"`
	HintsStoppedAt *time.Time `json:"hints_stopped_at"`
}

type statusObject struct {
	Object string `json:"object"`
	// Name is the object's for a person: "Results (object_10)".
	Name               string     `json:"name"`
	LastSuccessAt      *time.Time `json:"last_success_at"`
	AgeSeconds         *int64     `json:"age_seconds"`
	Stale              bool       `json:"stale"`
	Records            int        `json:"records"`
	LastRunID          *int64     `json:"last_run_id"`
	LastRunChanges     int        `json:"last_run_changes"`
	OpenIssues         int        `json:"open_issues"`
	KnackRequestsToday int        `json:"knack_requests_today"`
}

type statusRun struct {
	ID              int64      `json:"id"`
	Kind            string     `json:"kind"`
	Objects         []string   `json:"objects"`
	FullSweep       bool       `json:"full_sweep"`
	Status          string     `json:"status"`
	StartedAt       time.Time  `json:"started_at"`
	FinishedAt      *time.Time `json:"finished_at"`
	DurationSeconds float64    `json:"duration_seconds"`
	RecordsSeen     int        `json:"records_seen"`
	RecordsChanged  int        `json:"records_changed"`
	RecordsDeleted  int        `json:"records_deleted"`
	DeletionsHeld   int        `json:"deletions_held"`
	DataIssues      int        `json:"data_issues"`
	KnackRequests   int        `json:"knack_requests"`
	// Derived statistics rows written and recompute time (runstats.go).
	StatisticsRows    *int64   `json:"statistics_rows"`
	StatisticsSeconds *float64 `json:"statistics_seconds"`
	Error             string   `json:"error"`
	// ErrorSummary is Error in words, Retry when it will be tried again
	// (failed runs only).
	ErrorSummary string `json:"error_summary"`
	Retry        string `json:"retry"`
}

type statusHeld struct {
	ID            int64     `json:"id"`
	RunID         int64     `json:"run_id"`
	Object        string    `json:"object"`
	Records       int       `json:"records"`
	ObjectRecords int       `json:"object_records"`
	Reason        string    `json:"reason"`
	CreatedAt     time.Time `json:"created_at"`
	// Confirm is the command that applies them.
	Confirm string `json:"confirm"`
}

type statusIssues struct {
	// Rule is the filter (?rule=), empty for every rule.
	Rule  string       `json:"rule"`
	Rules []statusRule `json:"rules"`
	// Total is the open issues that match the filter; Items the newest
	// issueLimit of them.
	Total int           `json:"total"`
	Items []statusIssue `json:"items"`
}

type statusRule struct {
	Rule  string `json:"rule"`
	Count int    `json:"count"`
}

type statusIssue struct {
	Object      string    `json:"object"`
	RecordID    string    `json:"record_id"`
	Rule        string    `json:"rule"`
	Field       string    `json:"field"`
	Value       string    `json:"value"`
	Detail      string    `json:"detail"`
	RunID       *int64    `json:"run_id"`
	FirstSeenAt time.Time `json:"first_seen_at"`
	LastSeenAt  time.Time `json:"last_seen_at"`
	// ObjectName and FieldName are for a person ("Email (field_197)"; for
	// a duplicate, what its records share). DuplicateOf is, for a
	// duplicate, the record that wins the key (Field is then the claim
	// key, kept for scripts).
	ObjectName  string `json:"object_name"`
	FieldName   string `json:"field_name"`
	DuplicateOf string `json:"duplicate_of"`
}

// handleStatusPage is GET /: the status page.
func (s *Server) handleStatusPage(c echo.Context) error {
	p, err := s.loadStatus(c)
	if err != nil {
		return err
	}
	view := statusView{
		P: p, CSS: template.CSS(statusCSS), Chart: durationChart(p.Runs),
		StaleMargin: s.staleMargin, ConfirmCommand: confirmCommand, Flash: flashMessage(c.QueryParams()),
		RunObjects: map[int64]string{}, CSVLink: issuesCSVLink(p.DataIssues.Rule),
		RiverUI: s.deps.RiverUI != nil, LastFailure: lastFailure(p.Runs),
		Version: buildinfo.Read().String(),
	}
	for _, r := range p.Runs {
		view.RunObjects[r.ID] = objectNames(r.Objects, s.deps.Objects)
		// While a run is going, the page reloads itself (a meta refresh:
		// no script).
		view.Refresh = view.Refresh || r.Status == store.StatusRunning
	}
	for _, r := range p.DataIssues.Rules {
		view.AllIssues += r.Count
	}
	var buf bytes.Buffer
	if err := statusTemplate.Execute(&buf, view); err != nil {
		return fmt.Errorf("render status page: %w", err)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

// handleStatusJSON is GET /api/status.
func (s *Server) handleStatusJSON(c echo.Context) error {
	p, err := s.loadStatus(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, p)
}

// loadStatus reads and shapes the data of both status routes.
func (s *Server) loadStatus(c echo.Context) (*statusPage, error) {
	if s.deps.Status == nil {
		return nil, errStatusNotWired
	}
	rule := c.QueryParam("rule")
	if rule != "" && !ruleRE.MatchString(rule) {
		return nil, &badRequest{msg: "rule must be a data-issue rule name such as bad_email"}
	}
	now := s.now()
	st, err := s.deps.Status.Status(c.Request().Context(), store.StatusQuery{
		Now: now, Objects: s.deps.Objects, Runs: runLimit, Issues: issueLimit, Rule: rule, JobKinds: jobKinds,
	})
	if err != nil {
		return nil, err
	}
	p := &statusPage{
		GeneratedAt:        now.UTC(),
		AdminMode:          "basic_auth",
		Schedule:           statusSchedule{Cron: s.cron},
		KnackRequestsToday: st.RequestsToday,
		Objects:            []statusObject{},
		Runs:               []statusRun{},
		HeldDeletions:      []statusHeld{},
		DataIssues:         statusIssues{Rule: rule, Rules: []statusRule{}, Items: []statusIssue{}},
		CSRFToken:          s.csrf.issue(),
	}
	p.Budget = statusBudget{
		Limit: st.Quota.PlanLimit, Remaining: st.Quota.Remaining, Reserve: st.Quota.Reserve, SweepNeed: st.Quota.SweepNeed,
		HintBudget: st.Quota.HintBudget, HintRequests: st.Quota.HintRequests, HintsWaiting: st.Quota.HintsStoppedAt != nil,
		HintsStoppedAt: st.Quota.HintsStoppedAt,
	}
	if !s.adminConfigured {
		p.AdminMode = "loopback_only"
	}
	var staleBefore time.Time
	if s.schedule != nil {
		next := s.schedule.Next(now).UTC()
		p.Schedule.NextRun = &next
		if prev := worker.Previous(s.schedule, now); !prev.IsZero() {
			prev = prev.UTC()
			p.Schedule.PreviousRun = &prev
		}
		// The run due at prev may still be going within the margin: until
		// then the one before it is what an object must have.
		if sb := worker.Previous(s.schedule, now.Add(-s.staleMargin)); !sb.IsZero() {
			staleBefore = sb.UTC()
			p.Schedule.StaleBefore = &staleBefore
		}
	}
	if s.deps.Knack != nil {
		if ks := s.deps.Knack.Stats(); ks.PlanLimitRemaining >= 0 {
			q := &statusQuota{Remaining: ks.PlanLimitRemaining, SeenAt: ks.PlanLimitSeen.UTC()}
			if ks.PlanLimitLimit >= 0 {
				q.Limit = &ks.PlanLimitLimit
			}
			p.Quota = q
		}
	}
	for _, o := range st.Objects {
		so := statusObject{
			Object: o.Object, Name: objectName(o.Object), Records: o.Records, LastRunID: o.LastRunID, LastRunChanges: o.LastRunChanges,
			OpenIssues: o.OpenIssues, KnackRequestsToday: o.RequestsToday,
			// Never synced is stale; so is a sync before the last
			// scheduled run that should have happened.
			Stale: o.LastSuccess == nil || o.LastSuccess.Before(staleBefore),
		}
		if o.LastSuccess != nil {
			t := o.LastSuccess.UTC()
			age := int64(now.Sub(t) / time.Second)
			so.LastSuccessAt, so.AgeSeconds = &t, &age
		}
		p.Objects = append(p.Objects, so)
	}
	for _, r := range st.Runs {
		end := now
		if r.FinishedAt != nil {
			end = *r.FinishedAt
			f := r.FinishedAt.UTC()
			r.FinishedAt = &f
		}
		p.Runs = append(p.Runs, statusRun{
			ID: r.ID, Kind: r.Kind, Objects: r.Objects, FullSweep: r.FullSweep, Status: r.Status,
			StartedAt: r.StartedAt.UTC(), FinishedAt: r.FinishedAt,
			DurationSeconds: math.Round(end.Sub(r.StartedAt).Seconds()*1000) / 1000,
			RecordsSeen:     r.RecordsSeen, RecordsChanged: r.RecordsChanged, RecordsDeleted: r.RecordsDeleted,
			DeletionsHeld: r.DeletionsHeld, DataIssues: r.DataIssues, KnackRequests: r.KnackRequests,
			Error: maskEmails(r.Error),
		})
	}
	s.addRunStatistics(c.Request().Context(), p.Runs)
	for i := range p.Runs {
		r := &p.Runs[i]
		r.ErrorSummary = errorInWords(r.Error)
		r.Retry = retryText(*r, p.Runs[:i], st.Jobs, p.Schedule.NextRun, now)
	}
	for _, h := range st.Held {
		p.HeldDeletions = append(p.HeldDeletions, statusHeld{
			ID: h.ID, RunID: h.RunID, Object: h.Object, Records: h.Records, ObjectRecords: h.ObjectRecords,
			Reason: maskEmails(h.Reason), CreatedAt: h.CreatedAt.UTC(), Confirm: confirmCommand,
		})
	}
	for _, r := range st.Rules {
		p.DataIssues.Rules = append(p.DataIssues.Rules, statusRule{Rule: r.Rule, Count: r.Count})
		if rule == "" || r.Rule == rule {
			p.DataIssues.Total += r.Count
		}
	}
	for _, i := range st.Issues {
		p.DataIssues.Items = append(p.DataIssues.Items, issueRow(i))
	}
	return p, nil
}

// statusView is what the template gets: the JSON's data and the page's own.
type statusView struct {
	P              *statusPage
	CSS            template.CSS
	Chart          *chart
	Flash          string
	StaleMargin    time.Duration
	ConfirmCommand string
	AllIssues      int
	// RunObjects names each run's objects; CSVLink downloads the issues
	// shown; RiverUI: River UI is mounted; LastFailure: the newest run
	// failed; Refresh: a run is going, reload the page.
	RunObjects  map[int64]string
	CSVLink     string
	RiverUI     bool
	LastFailure *statusRun
	Refresh     bool
	// Version is the running build (server version).
	Version string
}

// Flash messages after "Sync now" (a fixed set: the page never reflects
// text from the query string).
const (
	flashQueued        = "sync_queued"
	flashAlreadyQueued = "sync_already_queued"
)

func flashMessage(q url.Values) string {
	job, err := strconv.ParseInt(q.Get("job"), 10, 64)
	if err != nil || job <= 0 {
		return ""
	}
	switch q.Get("flash") {
	case flashQueued:
		return fmt.Sprintf("Sweep queued (job %d). It appears under Recent runs when it starts: reload the page.", job)
	case flashAlreadyQueued:
		return fmt.Sprintf("A sweep was already queued or running (job %d): no other was queued.", job)
	}
	return ""
}

// chart is an SVG bar chart of run durations, drawn on the server (the
// page runs no script).
type chart struct {
	Width, Height, Left, Base int
	Max                       string
	Bars                      []bar
}

type bar struct {
	X, Y, W, H float64
	Status     string
	Title      string
}

// durationChart draws runs (newest first, as listed) oldest on the left.
func durationChart(runs []statusRun) *chart {
	if len(runs) == 0 {
		return nil
	}
	c := &chart{Width: 760, Height: 160, Left: 44, Base: 150}
	var longest float64
	for _, r := range runs {
		longest = max(longest, r.DurationSeconds)
	}
	c.Max = fmtDuration(time.Duration(longest * float64(time.Second)))
	plotH := float64(c.Base - 10)
	slot := float64(c.Width-c.Left) / float64(max(len(runs), 10))
	for i := range runs {
		r := runs[len(runs)-1-i]
		h := 1.0 // a run too short to see still shows
		if longest > 0 {
			h = max(h, r.DurationSeconds/longest*plotH)
		}
		h = math.Round(h*10) / 10
		status := r.Status
		if status != store.StatusSucceeded && status != store.StatusFailed {
			status = store.StatusRunning
		}
		c.Bars = append(c.Bars, bar{
			X: math.Round((float64(c.Left)+float64(i)*slot+slot*0.15)*10) / 10, Y: float64(c.Base) - h,
			W: math.Round(slot*0.7*10) / 10, H: h, Status: status,
			Title: fmt.Sprintf("run %d · %s · %s · %s", r.ID, r.Kind, r.Status,
				fmtDuration(time.Duration(r.DurationSeconds*float64(time.Second)))),
		})
	}
	return c
}

// fmtTime formats a time or *time.Time in UTC to the minute.
func fmtTime(v any) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x == nil {
			return ""
		}
		t = *x
	default:
		return fmt.Sprint(v)
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// subTimes is a - b for times or *times (a nil one counts as zero).
func subTimes(a, b any) time.Duration {
	get := func(v any) time.Time {
		switch x := v.(type) {
		case time.Time:
			return x
		case *time.Time:
			if x != nil {
				return *x
			}
		}
		return time.Time{}
	}
	return get(a).Sub(get(b))
}

// fmtDuration is a short human duration: 0.4s, 12s, 3m 05s, 2h 07m, 3d 4h.
func fmtDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < 10*time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
}
