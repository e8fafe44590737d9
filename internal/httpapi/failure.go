package httpapi

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"knacksync/internal/store"
	"knacksync/internal/worker"
)

// A failed run's error is Go's wrapped error text ("sweep object_10: page
// 3: HTTP 502 Bad Gateway"): right for the log, opaque to a data manager.
// The pages say what happened in words, and when it will be tried again;
// the text itself stays beside it, masked, for whoever debugs it.

var (
	// httpStatusRE is an *knack.APIError's text.
	httpStatusRE = regexp.MustCompile(`HTTP (\d{3})`)
	// objectRE and pageRE find the object and page an error names.
	objectRE = regexp.MustCompile(`\b(object_\d+)\b`)
	pageRE   = regexp.MustCompile(`\bpage (\d+):`)
)

// errorInWords says what a run's error means. Empty for no error.
func errorInWords(errText string) string {
	if errText == "" {
		return ""
	}
	lower := strings.ToLower(errText)
	var what string
	switch m := httpStatusRE.FindStringSubmatch(errText); {
	case strings.Contains(lower, "daily api quota exhausted"):
		what = "Knack's daily API quota is used up; it resets at 00:00 UTC"
	case strings.Contains(lower, "not enough knack quota left today"):
		what = "Not enough of today's Knack quota was left to finish a sweep, so none started"
	case strings.Contains(lower, "down to the reserve"):
		what = "The Knack quota left is down to the share kept for the live app"
	case strings.Contains(lower, "hint budget"):
		what = "Today's Knack budget for change hints is spent"
	case m != nil:
		code, _ := strconv.Atoi(m[1])
		switch {
		case code == 401 || code == 403:
			what = fmt.Sprintf("Knack refused the API key or application id (HTTP %d): check KNACK_APP_ID and KNACK_API_KEY", code)
		case code == 429:
			what = "Knack kept answering \"too many requests\" (HTTP 429), even after retries"
		case code >= 500:
			what = fmt.Sprintf("Knack's servers failed (HTTP %d), even after retries", code)
		case code == 404:
			what = "Knack did not find what it was asked for (HTTP 404)"
		default:
			what = fmt.Sprintf("Knack rejected a request (HTTP %d)", code)
		}
	case strings.Contains(lower, "request timed out"):
		what = "Knack did not answer in time, even after retries"
	case strings.Contains(lower, "context deadline exceeded"):
		what = "The run took longer than it may and was stopped"
	case strings.Contains(lower, "context canceled"):
		what = "The run was stopped (the server shut down or restarted)"
	case strings.Contains(lower, "statement timeout") || strings.Contains(lower, "lock timeout"):
		what = "The database was too busy and a statement timed out"
	case strings.Contains(lower, "failed to connect"):
		what = "The database could not be reached"
	case strings.Contains(lower, "sqlstate"):
		what = "A database statement failed"
	case strings.Contains(lower, "connection refused") || strings.Contains(lower, "no such host") ||
		strings.Contains(lower, "connection reset"):
		what = "Knack could not be reached (a network error)"
	case strings.Contains(lower, "another sweep is running"):
		what = "Another sweep was already running"
	default:
		what = "The run stopped on an error"
	}
	if m := objectRE.FindStringSubmatch(errText); m != nil {
		what += ", while syncing " + objectName(m[1])
		if p := pageRE.FindStringSubmatch(errText); p != nil {
			what += " (page " + p[1] + ")"
		}
	}
	return what + "."
}

// jobKinds are the River jobs that run a failed run again: the sweep job
// (its retries) and the hints jobs.
var jobKinds = []string{worker.SweepArgs{}.Kind(), worker.HintsArgs{}.Kind()}

// retryText says when a failed run will be tried again. newer are the runs
// listed above it (newer ones), jobs the River jobs still to run, next the
// next scheduled sweep (nil without a schedule).
func retryText(r statusRun, newer []statusRun, jobs []store.PendingJob, next *time.Time, now time.Time) string {
	if r.Status != store.StatusFailed {
		return ""
	}
	// A newer run of the same kind over the same objects has tried again.
	for i := len(newer) - 1; i >= 0; i-- {
		n := newer[i]
		covers := true
		for _, o := range r.Objects {
			covers = covers && slices.Contains(n.Objects, o)
		}
		if n.Kind != r.Kind || !covers {
			continue
		}
		switch n.Status {
		case store.StatusSucceeded:
			return fmt.Sprintf("Run %d has succeeded since.", n.ID)
		case store.StatusRunning:
			return fmt.Sprintf("Run %d is trying again now.", n.ID)
		}
		return fmt.Sprintf("Run %d tried again since.", n.ID)
	}
	kind := worker.HintsArgs{}.Kind()
	if r.Kind == store.KindSweep {
		kind = worker.SweepArgs{}.Kind()
	}
	for _, j := range jobs {
		if j.Kind != kind || (j.Object != "" && !slices.Contains(r.Objects, j.Object)) {
			continue
		}
		if j.State == "running" {
			return fmt.Sprintf("River is running it again now (job %d, attempt %d of %d).", j.ID, j.Attempt, j.MaxAttempts)
		}
		when := "now"
		if j.ScheduledAt.After(now) {
			when = fmt.Sprintf("at %s, in %s", fmtTime(j.ScheduledAt), fmtDuration(j.ScheduledAt.Sub(now)))
		}
		return fmt.Sprintf("River runs it again %s (job %d, attempt %d of %d).", when, j.ID, j.Attempt+1, j.MaxAttempts)
	}
	if r.Kind != store.KindSweep {
		if next != nil {
			return fmt.Sprintf("The next change hint for the object, or the scheduled sweep at %s, picks it up.", fmtTime(next))
		}
		return "The next change hint for the object picks it up, or press Sync now."
	}
	if next != nil {
		return fmt.Sprintf("The next scheduled sweep, at %s (in %s), tries again; or press Sync now.", fmtTime(next), fmtDuration(next.Sub(now)))
	}
	return "No sweep is scheduled: press Sync now to try again."
}

// lastFailure is the newest sweep when it failed (the page's banner), or
// nil. runs are newest first.
func lastFailure(runs []statusRun) *statusRun {
	for i := range runs {
		if runs[i].Kind == store.KindSweep {
			if runs[i].Status == store.StatusFailed {
				r := runs[i]
				return &r
			}
			return nil
		}
	}
	return nil
}
