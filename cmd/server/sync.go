package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"knacksync/internal/store"
	"knacksync/internal/syncer"
)

// stringsFlag collects a repeated flag.
type stringsFlag []string

func (s *stringsFlag) String() string { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*s = append(*s, part)
		}
	}
	return nil
}

func runSync(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("sync", e)
	var objects stringsFlag
	fs.Var(&objects, "object", "limit the sweep to this Knack object (repeatable, e.g. --object object_10)")
	reproject := fs.Bool("reproject", false, "project every mirrored record again without calling Knack")
	confirm := fs.Bool("confirm-deletes", false, "apply the deletions earlier sweeps held back")
	statsOnly := fs.Bool("stats-only", false, "recompute the derived statistics from the database, without calling Knack")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, logger, err := loadConfig(e)
	if err != nil {
		return err
	}
	pool, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool)
	sts := newStats(cfg, logger, pool)

	newSyncer := func(kn syncer.Knack) *syncer.Syncer {
		return syncer.New(st, kn, logger, time.Now, syncer.Config{MaxDeleteRatio: cfg.SyncMaxDeleteRatio, Stats: sts})
	}
	switch {
	case *statsOnly:
		return runStatsOnly(ctx, e.stdout, sts)
	case *reproject:
		run, err := newSyncer(nil).ReprojectAll(ctx, objects)
		if run != nil {
			printSummary(e.stdout, run)
		}
		return err
	case *confirm:
		kn, err := newKnackClient(cfg, logger, st, nil)
		if err != nil {
			return err
		}
		a, err := newSyncer(kn).ConfirmDeletes(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "applied held deletions of %d records\n", a.Deleted)
		return nil
	}

	kn, err := newKnackClient(cfg, logger, st, nil)
	if err != nil {
		return err
	}
	p := newProgress(e.stderr)
	run, err := newSyncer(kn).Sweep(ctx, syncer.SweepOptions{Objects: objects, Progress: p.page})
	p.done()
	if run != nil {
		printSummary(e.stdout, run)
		printRunStatistics(ctx, e.stdout, sts, run.ID)
	}
	if err != nil {
		return fmt.Errorf("sync failed: %w", err)
	}
	if run.Status != store.StatusSucceeded {
		return fmt.Errorf("sync did not finish (run %d is %s): it resumes on the next start", run.ID, run.Status)
	}
	return nil
}

// progress draws a one-line progress bar on a terminal, or plain lines.
// Pages commit out of order (two are applied at once), so it counts the
// pages done, which only grows, rather than showing page numbers.
type progress struct {
	w        io.Writer
	terminal bool
	last     string
	pages    map[string]int // pages committed per object
}

func newProgress(w io.Writer) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, terminal: ok && term.IsTerminal(int(f.Fd())), pages: map[string]int{}}
}

func (p *progress) page(ev syncer.Progress) {
	p.pages[ev.Object]++
	n := p.pages[ev.Object]
	total := max(ev.TotalPages, n)
	if !p.terminal {
		fmt.Fprintf(p.w, "sync: %s %d/%d pages, %d records\n", ev.Object, n, total, ev.Records)
		return
	}
	const width = 30
	filled := width * n / max(total, 1)
	if p.last != "" && p.last != ev.Object {
		fmt.Fprintln(p.w)
	}
	p.last = ev.Object
	fmt.Fprintf(p.w, "\r%-11s [%s%s] %d/%d pages, %d records", ev.Object,
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), n, total, ev.Records)
}

func (p *progress) done() {
	if p.terminal && p.last != "" {
		fmt.Fprintln(p.w)
	}
}

// printSummary writes a run's figures as two tables.
func printSummary(w io.Writer, run *store.Run) {
	fmt.Fprintf(w, "run %d (%s): %s", run.ID, run.Kind, run.Status)
	if run.FinishedAt != nil {
		fmt.Fprintf(w, " in %s", run.FinishedAt.Sub(run.StartedAt).Round(time.Millisecond))
	}
	fmt.Fprintln(w)
	if run.Error != "" {
		fmt.Fprintf(w, "error: %s\n", run.Error)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "object\tstatus\tpages\trequests\tseen\tchanged\tdeleted\theld\tnew issues\tseconds\t")
	for _, p := range run.Progress {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.1f\t\n", p.Object, p.Status, p.Pages, p.KnackRequests,
			p.RecordsSeen, p.RecordsChanged, p.RecordsDeleted, p.DeletionsHeld, p.DataIssues, float64(p.DurationMS)/1000)
	}
	tw.Flush()
	fmt.Fprintln(w)
	if len(run.Tables) == 0 {
		fmt.Fprintln(w, "no table rows written")
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	// repaired: rows a full sweep fixed although Knack had not changed
	// (another writer's drift); unowned: current-year rows no Knack record
	// produces, left alone (docs/mapping.md, rule 16).
	if len(run.Tables) > 0 {
		fmt.Fprintln(tw, "table\tinserted\tupdated\tdeleted\tunchanged\trepaired\tunowned\t")
	}
	names := make([]string, 0, len(run.Tables))
	for n := range run.Tables {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		c := run.Tables[n]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t\n", n, c.Inserted, c.Updated, c.Deleted, c.Unchanged, c.Repaired, c.Unowned)
	}
	tw.Flush()
	kept := 0
	for _, p := range run.Progress {
		kept += p.HistoryKept
	}
	if kept > 0 {
		// Rule 11: deleted in Knack, rows of an earlier academic year kept.
		fmt.Fprintf(w, "\nhistory kept: %d deleted records kept their rows of earlier academic years\n", kept)
	}
	fmt.Fprintf(w, "\npeak memory: %d MB\n", peakRSS()>>20)
}
