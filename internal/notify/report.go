package notify

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"knacksync/internal/store"
	"knacksync/internal/syncer"
)

// ReportExtra is what the report shows besides the run itself. The
// caller loads it (Loader.Load) just before the report is sent.
type ReportExtra struct {
	// Reason is why the sweep ran ("nightly", "catch-up: ...", "admin").
	Reason string
	// IssuesByRule counts the data issues open now, by rule (values are
	// never included: they may be a student's e-mail).
	IssuesByRule map[string]int
	// NewIssuesByRule counts those first seen during this run.
	NewIssuesByRule map[string]int
	// Held are the deletions held back for an operator, not applied yet.
	Held []store.HeldSummary
	// Statistics is what the run's derived statistics recomputes did; nil
	// when it recomputed nothing (statistics.go).
	Statistics *RunStatistics
	// LoadError says why the issues and held deletions could not be read;
	// the report goes out without them.
	LoadError string
}

// outcome is how a sweep ended, as the report and the monitor see it.
type outcome int

const (
	outcomeSucceeded outcome = iota
	outcomeFailed
	// The process stopped mid-sweep (deploy, SIGTERM): the run stays open
	// and the next start resumes it.
	outcomeInterrupted
	// Another sweep held the lock; this job waits and tries again.
	outcomeSkipped
)

func classify(ctx context.Context, run *store.Run, err error) outcome {
	switch {
	case errors.Is(err, syncer.ErrSweepRunning):
		return outcomeSkipped
	case err != nil && errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return outcomeInterrupted
	case err != nil || run == nil || run.Status == store.StatusFailed:
		return outcomeFailed
	case run.Status == store.StatusRunning:
		return outcomeInterrupted
	}
	return outcomeSucceeded
}

// composeReport builds the subject and the text body from run, runErr and
// extra alone. Every string that did not come from this package passes sc.
func composeReport(ctx context.Context, run *store.Run, runErr error, extra ReportExtra, sc scrubber) (subject, body string) {
	res := classify(ctx, run, runErr)
	errText := ""
	switch {
	case runErr != nil:
		errText = runErr.Error()
	case run != nil:
		errText = run.Error
	}
	errText = sc.String(errText)
	if errText == "" && res == outcomeFailed {
		errText = "no run was recorded"
	}

	what := "sweep"
	if run != nil && !run.FullSweep {
		what = "partial sweep"
	}
	runRef := ""
	if run != nil {
		runRef = fmt.Sprintf(" (run %d)", run.ID)
	}
	dur, hasDur := runDuration(run)
	switch res {
	case outcomeSucceeded:
		subject = fmt.Sprintf("knacksync: %s succeeded in %s%s", what, fmtDuration(dur), runRef)
	case outcomeFailed:
		subject = fmt.Sprintf("knacksync: %s FAILED%s: %s", what, runRef, truncate(oneLine(errText), 160))
	case outcomeInterrupted:
		subject = fmt.Sprintf("knacksync: %s interrupted%s, resumes on the next start", what, runRef)
	case outcomeSkipped:
		subject = fmt.Sprintf("knacksync: %s not started: another sweep is running", what)
	}
	if n := len(extra.Held); n > 0 {
		subject += fmt.Sprintf("; %d held deletion%s to review", n, plural(n))
	}

	var b strings.Builder
	title := "knacksync sweep report"
	if run != nil {
		title += fmt.Sprintf(": run %d", run.ID)
	}
	fmt.Fprintf(&b, "%s\n%s\n\n", title, strings.Repeat("=", len(title)))

	t := newTable(&b)
	t.row("Result:", map[outcome]string{
		outcomeSucceeded: "succeeded", outcomeFailed: "FAILED",
		outcomeInterrupted: "interrupted (the service stopped; the next start resumes this run)",
		outcomeSkipped:     "not started (another sweep is running)",
	}[res])
	if extra.Reason != "" {
		t.row("Reason:", sc.String(extra.Reason))
	}
	if run != nil {
		t.row("Started:", fmtTime(run.StartedAt))
		if run.FinishedAt != nil {
			t.row("Finished:", fmtTime(*run.FinishedAt))
		}
		if hasDur {
			t.row("Duration:", fmtDuration(dur))
		}
		objects := "all (full sweep)"
		if !run.FullSweep {
			objects = strings.Join(run.Objects, ", ")
		}
		t.row("Objects:", objects)
		requests := 0
		for _, p := range run.Progress {
			requests += p.KnackRequests
		}
		t.row("Knack requests:", fmt.Sprint(requests))
	}
	t.flush()
	if res == outcomeFailed {
		fmt.Fprintf(&b, "\nError:\n  %s\n", strings.ReplaceAll(errText, "\n", "\n  "))
		b.WriteString("\nThe figures below are what this run did before it failed. River retries the\n" +
			"sweep job; its attempts are in the River UI (/riverui/), the error in Sentry.\n")
	}

	if run != nil {
		writeObjects(&b, run, errText, sc)
		writeTables(&b, run)
		writeStatistics(&b, extra)
	} else {
		b.WriteString("\nNo run was recorded, so there are no figures for this attempt.\n")
	}
	writeIssues(&b, extra)
	writeHeld(&b, extra, sc)
	if extra.LoadError != "" {
		fmt.Fprintf(&b, "\nData issues and held deletions could not be read: %s\n", sc.String(extra.LoadError))
	}
	b.WriteString("\n-- \nSent by knacksync after each sweep. The status page has the history.\n")
	return subject, b.String()
}

func writeObjects(b *strings.Builder, run *store.Run, runErr string, sc scrubber) {
	b.WriteString("\nObjects\n-------\n")
	if len(run.Progress) == 0 {
		b.WriteString("  none\n")
		return
	}
	t := newTable(b)
	t.row("object", "status", "pages", "requests", "seen", "changed", "deleted", "held", "issues", "time")
	var failed []store.ObjectProgress
	for _, p := range run.Progress {
		t.row(p.Object, p.Status, itoa(p.Pages), itoa(p.KnackRequests), itoa(p.RecordsSeen), itoa(p.RecordsChanged),
			itoa(p.RecordsDeleted), itoa(p.DeletionsHeld), itoa(p.DataIssues), fmtDuration(time.Duration(p.DurationMS)*time.Millisecond))
		if p.Error != "" {
			failed = append(failed, p)
		}
	}
	t.flush()
	for _, p := range failed {
		// The run's error usually is the failed object's, already shown.
		if msg := sc.String(p.Error); !strings.Contains(runErr, msg) {
			fmt.Fprintf(b, "  %s failed: %s\n", p.Object, oneLine(msg))
		}
	}
}

func writeTables(b *strings.Builder, run *store.Run) {
	b.WriteString("\nTables (rows this run wrote)\n----------------------------\n")
	if len(run.Tables) == 0 {
		b.WriteString("  none\n")
		return
	}
	t := newTable(b)
	t.row("table", "inserted", "updated", "deleted", "unchanged")
	var total store.Counts
	for _, name := range slices.Sorted(maps.Keys(run.Tables)) {
		c := run.Tables[name]
		total.Add(c)
		t.row(name, i64(c.Inserted), i64(c.Updated), i64(c.Deleted), i64(c.Unchanged))
	}
	t.row("total", i64(total.Inserted), i64(total.Updated), i64(total.Deleted), i64(total.Unchanged))
	t.flush()
}

func writeIssues(b *strings.Builder, extra ReportExtra) {
	b.WriteString("\nData issues (open now, by rule; the values stay in the database)\n" +
		"-----------------------------------------------------------------\n")
	if len(extra.IssuesByRule) == 0 {
		if extra.LoadError == "" {
			b.WriteString("  none\n")
		}
		return
	}
	t := newTable(b)
	t.row("rule", "open", "new in this run")
	var open, fresh int
	for _, rule := range slices.Sorted(maps.Keys(extra.IssuesByRule)) {
		n, f := extra.IssuesByRule[rule], extra.NewIssuesByRule[rule]
		open, fresh = open+n, fresh+f
		t.row(rule, itoa(n), itoa(f))
	}
	t.row("total", itoa(open), itoa(fresh))
	t.flush()
	b.WriteString("  The status page lists them per record (GET /api/status for the counts).\n")
}

func writeHeld(b *strings.Builder, extra ReportExtra, sc scrubber) {
	b.WriteString("\nHeld deletions (not applied)\n----------------------------\n")
	if len(extra.Held) == 0 {
		if extra.LoadError == "" {
			b.WriteString("  none\n")
		}
		return
	}
	t := newTable(b)
	t.row("object", "records", "of", "held by run", "held at")
	for _, h := range extra.Held {
		t.row(h.Object, itoa(h.Records), itoa(h.ObjectRecords), fmt.Sprint(h.RunID), fmtTime(h.CreatedAt))
	}
	t.flush()
	for _, h := range extra.Held {
		fmt.Fprintf(b, "  %s: %s\n", h.Object, oneLine(sc.String(h.Reason)))
	}
	b.WriteString("\n  A sweep found these records missing from Knack but did not delete their rows,\n" +
		"  because more went missing than SYNC_MAX_DELETE_RATIO allows. Check in Knack\n" +
		"  that the records were really deleted (not hidden by a filter or an import\n" +
		"  gone wrong), then apply the deletions with:\n\n" +
		"      server sync --confirm-deletes\n\n" +
		"  Until then the rows stay in the database and every sweep reports them here.\n")
}

// table writes aligned columns, two spaces apart and indented.
type table struct{ w *tabwriter.Writer }

func newTable(b *strings.Builder) table {
	return table{tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)}
}

func (t table) row(cells ...string) { fmt.Fprintf(t.w, "  %s\n", strings.Join(cells, "\t")) }
func (t table) flush()              { _ = t.w.Flush() }

func runDuration(run *store.Run) (time.Duration, bool) {
	if run == nil || run.FinishedAt == nil {
		return 0, false
	}
	return run.FinishedAt.Sub(run.StartedAt), true
}

func fmtDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func itoa(n int) string   { return fmt.Sprint(n) }
func i64(n int64) string  { return fmt.Sprint(n) }
func plural(n int) string { return map[bool]string{true: "", false: "s"}[n == 1] }

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
