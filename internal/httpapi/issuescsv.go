package httpapi

import (
	"encoding/csv"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"knacksync/internal/store"
	"knacksync/internal/vespa"
)

// issueRow is one data issue as every page and the CSV show it: masked
// the same way everywhere (mask.go), with names for a person.
func issueRow(i store.OpenIssue) statusIssue {
	field, value := maskIssue(i.Object, i.Rule, i.Field, i.Value)
	row := statusIssue{
		Object: i.Object, RecordID: i.RecordID, Rule: i.Rule, Field: field,
		Value: value, Detail: maskEmails(i.Detail), RunID: i.RunID,
		FirstSeenAt: i.FirstSeenAt.UTC(), LastSeenAt: i.LastSeenAt.UTC(),
		ObjectName: objectName(i.Object), FieldName: fieldName(i.Object, field),
	}
	if i.Rule == vespa.RuleDuplicate {
		// Field is the claim key: say what the two records share instead,
		// and name the record that wins it.
		row.FieldName = duplicateKey(i.Object, i.Field)
		row.DuplicateOf = i.OtherRecordID
	}
	return row
}

// issuesCSVLink is the CSV of the issues the page shows (one rule, or all).
func issuesCSVLink(rule string) string {
	if rule == "" {
		return "/issues.csv"
	}
	return "/issues.csv?rule=" + url.QueryEscape(rule)
}

// csvHeader is the CSV's columns: an interface for spreadsheets and
// scripts (add at the end, never rename).
var csvHeader = []string{
	"object", "object_name", "record_id", "duplicate_of", "rule", "field", "field_name",
	"value", "detail", "run_id", "first_seen_at", "last_seen_at",
}

// csvFlushEvery rows, the CSV goes out: memory stays flat however many
// issues there are.
const csvFlushEvery = 500

// handleIssuesCSV is GET /issues.csv: every open data issue (of ?rule=
// when given, as on the page), newest first, streamed as the database
// returns them.
func (s *Server) handleIssuesCSV(c echo.Context) error {
	if s.deps.Status == nil {
		return errStatusNotWired
	}
	rule := c.QueryParam("rule")
	if rule != "" && !ruleRE.MatchString(rule) {
		return &badRequest{msg: "rule must be a data-issue rule name such as bad_email"}
	}
	name := "knacksync-issues"
	if rule != "" {
		name += "-" + rule
	}
	// The response starts with the first row, not before the query: an
	// error before any row is still a proper error response.
	w := csv.NewWriter(c.Response())
	started, n := false, 0
	start := func() error {
		started = true
		h := c.Response().Header()
		h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
		h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`.csv"`)
		h.Set(echo.HeaderCacheControl, "no-store")
		c.Response().WriteHeader(http.StatusOK)
		return w.Write(csvHeader)
	}
	err := s.deps.Status.EachIssue(c.Request().Context(), rule, func(i store.OpenIssue) error {
		if !started {
			if err := start(); err != nil {
				return err
			}
		}
		r := issueRow(i)
		runID := ""
		if r.RunID != nil {
			runID = strconv.FormatInt(*r.RunID, 10)
		}
		if err := w.Write([]string{
			r.Object, r.ObjectName, r.RecordID, r.DuplicateOf, r.Rule, cell(r.Field), cell(r.FieldName),
			cell(r.Value), cell(r.Detail), runID, r.FirstSeenAt.Format(time.RFC3339), r.LastSeenAt.Format(time.RFC3339),
		}); err != nil {
			return err
		}
		if n++; n%csvFlushEvery == 0 {
			w.Flush()
			c.Response().Flush()
		}
		return w.Error()
	})
	if err != nil && started {
		// Rows are out: no error response can follow. Log it; the file
		// ends short.
		s.deps.Logger.ErrorContext(c.Request().Context(), "issues CSV cut short", slog.String("error", err.Error()))
		return err
	}
	if err != nil {
		return err
	}
	if !started {
		if err := start(); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// cell keeps a spreadsheet from reading a value as a formula (values come
// from Knack, typed by anyone): a leading =, +, -, @, tab or CR gets a '.
func cell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
