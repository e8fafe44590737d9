package main

import (
	"bytes"
	"regexp"
	"testing"
	"time"

	"knacksync/internal/store"
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
