package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"knacksync/internal/stats"
	"knacksync/internal/store"
)

var runTemplate = template.Must(template.New("run.html").Funcs(templateFuncs).ParseFS(templateFS, "templates/run.html", "templates/head.html"))

// runView is the run detail page's data.
type runView struct {
	CSS     template.CSS
	Now     time.Time
	Run     statusRun
	Names   string
	Objects []runObject
	Tables  []runTable
	// Stats is nil when the run recorded no statistics recompute (or
	// statistics are not wired).
	Stats *stats.RunStats
	// Refresh: the run is going, reload the page.
	Refresh bool
}

// runObject is one object of a run.
type runObject struct {
	Object, Name, Status string
	Pages, Requests      int
	Seen, Changed        int
	Deleted, Held, Kept  int
	Issues, NewIssues    int
	Duration             time.Duration
	Error, ErrorSummary  string
}

// runTable is one table's rows written by a run.
type runTable struct {
	Name string
	store.Counts
}

// handleRun is GET /runs/{id}: one run, per object and per table.
func (s *Server) handleRun(c echo.Context) error {
	if s.deps.Status == nil {
		return errStatusNotWired
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return &badRequest{msg: "a run id is a positive number"}
	}
	ctx := c.Request().Context()
	d, err := s.deps.Status.RunDetail(ctx, id)
	if errors.Is(err, store.ErrRunNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("no run %d", id))
	}
	if err != nil {
		return err
	}
	jobs, err := s.deps.Status.PendingJobs(ctx, jobKinds)
	if err != nil {
		return err
	}
	now := s.now()
	end := now
	if d.FinishedAt != nil {
		end = *d.FinishedAt
	}
	v := runView{CSS: template.CSS(statusCSS), Now: now.UTC(), Names: objectNames(d.Objects, s.deps.Objects),
		Refresh: d.Status == store.StatusRunning}
	if s.deps.Stats != nil {
		figures, err := s.deps.Stats.ForRuns(ctx, []int64{id})
		if err != nil {
			return err
		}
		if f, ok := figures[id]; ok {
			v.Stats = &f
		}
	}
	v.Run = statusRun{
		ID: d.ID, Kind: d.Kind, Objects: d.Objects, FullSweep: d.FullSweep, Status: d.Status,
		StartedAt: d.StartedAt.UTC(), FinishedAt: d.FinishedAt, DurationSeconds: end.Sub(d.StartedAt).Seconds(),
		Error: maskEmails(d.Error), ErrorSummary: errorInWords(d.Error),
	}
	// retryText wants the newer runs newest first.
	var later []statusRun
	for _, l := range slices.Backward(d.Later) {
		later = append(later, statusRun{ID: l.ID, Kind: l.Kind, Objects: l.Objects, Status: l.Status})
	}
	var next *time.Time
	if s.schedule != nil {
		t := s.schedule.Next(now).UTC()
		next = &t
	}
	v.Run.Retry = retryText(v.Run, later, jobs, next, now)
	for _, p := range d.Progress {
		v.Run.RecordsSeen += p.RecordsSeen
		v.Run.RecordsChanged += p.RecordsChanged
		v.Run.RecordsDeleted += p.RecordsDeleted
		v.Run.DeletionsHeld += p.DeletionsHeld
		v.Run.DataIssues += p.DataIssues
		v.Run.KnackRequests += p.KnackRequests
		v.Objects = append(v.Objects, runObject{
			Object: p.Object, Name: objectName(p.Object), Status: p.Status,
			Pages: p.Pages, Requests: p.KnackRequests, Seen: p.RecordsSeen, Changed: p.RecordsChanged,
			Deleted: p.RecordsDeleted, Held: p.DeletionsHeld, Kept: p.HistoryKept,
			Issues: p.DataIssues, NewIssues: d.NewIssues[p.Object],
			Duration: time.Duration(p.DurationMS) * time.Millisecond,
			Error:    maskEmails(p.Error), ErrorSummary: errorInWords(p.Error),
		})
	}
	for _, name := range slices.Sorted(maps.Keys(d.Tables)) {
		v.Tables = append(v.Tables, runTable{Name: name, Counts: d.Tables[name]})
	}
	var buf bytes.Buffer
	if err := runTemplate.Execute(&buf, v); err != nil {
		return fmt.Errorf("render run %d: %w", id, err)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}
