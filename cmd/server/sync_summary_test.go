package main

import (
	"bytes"
	"regexp"
	"testing"
	"time"

	"knacksync/internal/store"
	"knacksync/internal/syncer"
)

// The sync summary reports, per table, the rows a full sweep repaired and
// the current-year rows no record produces, and the deleted records whose
// history stayed (docs/mapping.md, rules 11 and 16).
func TestPrintSummaryRepairedUnowned(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 11, 20, 2, 0, 0, 0, time.UTC)
	end := start.Add(90 * time.Second)
	run := &store.Run{
		ID: 7, Kind: store.KindSweep, Status: store.StatusSucceeded, StartedAt: start, FinishedAt: &end,
		Progress: []store.ObjectProgress{{Object: "object_10", Status: "complete", HistoryKept: 2}},
		Tables: map[string]store.Counts{
			"students":     {Updated: 3, Unchanged: 40, Repaired: 3, Unowned: 1},
			"vespa_scores": {Unchanged: 90},
		},
	}
	var out bytes.Buffer
	printSummary(&out, run)
	for _, want := range []string{
		`table\s+inserted\s+updated\s+deleted\s+unchanged\s+repaired\s+unowned`,
		`students\s+0\s+3\s+0\s+40\s+3\s+1`,
		`vespa_scores\s+0\s+0\s+0\s+90\s+0\s+0`,
		`history kept: 2 deleted records`,
	} {
		if !regexp.MustCompile(want).Match(out.Bytes()) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}

// Pages commit out of order (two at a time): the progress counts pages
// done, so it never goes backwards.
func TestSyncProgressNeverGoesBack(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	p := newProgress(&out)
	for i, page := range []int{2, 1, 4, 3} {
		p.page(syncer.Progress{Object: "object_10", Page: page, TotalPages: 4, Records: 1000 * (i + 1)})
	}
	want := "sync: object_10 1/4 pages, 1000 records\n" +
		"sync: object_10 2/4 pages, 2000 records\n" +
		"sync: object_10 3/4 pages, 3000 records\n" +
		"sync: object_10 4/4 pages, 4000 records\n"
	if out.String() != want {
		t.Errorf("progress lines:\n%s\nwant:\n%s", out.String(), want)
	}
}

// A run that wrote nothing says so instead of an empty table.
func TestPrintSummaryNothingWritten(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	printSummary(&out, &store.Run{ID: 8, Kind: store.KindSweep, Status: store.StatusSucceeded,
		Progress: []store.ObjectProgress{{Object: "object_2", Status: "complete"}}})
	if regexp.MustCompile(`table\s+inserted`).Match(out.Bytes()) || !bytes.Contains(out.Bytes(), []byte("no table rows written")) {
		t.Errorf("summary of a run that wrote nothing:\n%s", out.String())
	}
	if !regexp.MustCompile(`held\s+new issues\s+seconds`).Match(out.Bytes()) {
		t.Errorf("the issues column does not say it counts new issues:\n%s", out.String())
	}
}
