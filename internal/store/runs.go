package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Run kinds.
const (
	KindSweep       = "sweep"
	KindIncremental = "incremental"
	KindReproject   = "reproject"
)

// Run statuses.
const (
	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// Run is one row of knacksync.runs with its objects and table counts.
type Run struct {
	ID         int64
	Kind       string
	Objects    []string
	FullSweep  bool
	Status     string
	StartedAt  time.Time
	FinishedAt *time.Time
	Error      string
	Progress   []ObjectProgress
	Tables     map[string]Counts
}

// ObjectProgress is one row of knacksync.run_objects.
type ObjectProgress struct {
	Object         string
	Status         string
	NextPage       int
	Pages          int
	KnackRequests  int
	RecordsSeen    int
	RecordsChanged int
	RecordsDeleted int
	DeletionsHeld  int
	DataIssues     int
	DurationMS     int64
	Error          string
	Notes          map[string]any
	// HistoryKept is the records deleted in Knack whose rows were history
	// and stayed (rule 11).
	HistoryKept int
}

// StartRun records a new run of kind over objects; a sweep also gets its
// public.sync_logs row.
func (s *Store) StartRun(ctx context.Context, kind string, objects []string, fullSweep bool, now time.Time) (int64, error) {
	var id int64
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		args := pgx.NamedArgs{"kind": kind, "objects": objects, "full_sweep": fullSweep, "now": now}
		if err := tx.QueryRow(ctx, s.stmt("runs", "start"), args).Scan(&id); err != nil {
			return err
		}
		args["run_id"] = id
		if _, err := tx.Exec(ctx, s.stmt("runs", "start_objects"), args); err != nil {
			return err
		}
		if kind == KindSweep {
			args["sync_type"] = "knacksync_sweep"
			if !fullSweep {
				args["sync_type"] = "knacksync_partial_sweep"
			}
			_, err := tx.Exec(ctx, s.stmt("runs", "sync_log_start"), args)
			return err
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("start run: %w", err)
	}
	return id, nil
}

// UnfinishedSweep returns the newest sweep that never finished, if any.
func (s *Store) UnfinishedSweep(ctx context.Context) (*Run, error) {
	var r Run
	err := s.pool.QueryRow(ctx, s.stmt("runs", "unfinished")).Scan(&r.ID, &r.Objects, &r.FullSweep, &r.StartedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("unfinished sweep: %w", err)
	}
	r.Kind, r.Status = KindSweep, StatusRunning
	if r.Progress, err = s.Progress(ctx, r.ID); err != nil {
		return nil, err
	}
	return &r, nil
}

// PageDone records the progress of one batch in the batch's transaction, so
// that counts and checkpoints commit with the rows they describe.
type PageDone struct {
	RunID    int64
	Object   string
	NextPage int // the first page not yet done (0 when not paging)
	Pages    int
	Requests int
	Seen     int
	Changed  int
	Deleted  int
	Result   Result
	Now      time.Time
}

// RecordPage writes a PageDone inside tx.
func (s *Store) RecordPage(ctx context.Context, tx pgx.Tx, p PageDone) error {
	args := pgx.NamedArgs{
		"run_id": p.RunID, "object": p.Object, "next_page": p.NextPage, "pages": p.Pages, "requests": p.Requests,
		"seen": p.Seen, "changed": p.Changed, "deleted": p.Deleted, "issues": p.Result.Issues, "now": p.Now,
		"history_kept": p.Result.HistoryKept,
	}
	if _, err := tx.Exec(ctx, s.stmt("runs", "page"), args); err != nil {
		return fmt.Errorf("record page: %w", err)
	}
	if _, err := tx.Exec(ctx, s.stmt("runs", "heartbeat"), args); err != nil {
		return fmt.Errorf("record page: %w", err)
	}
	if len(p.Result.Tables) == 0 {
		return nil
	}
	// In table order: batches running in parallel lock these rows in the
	// same order and cannot deadlock.
	var rows []map[string]any
	for _, t := range slices.Sorted(maps.Keys(p.Result.Tables)) {
		c := p.Result.Tables[t]
		rows = append(rows, map[string]any{"table_name": t, "inserted": c.Inserted, "updated": c.Updated, "deleted": c.Deleted,
			"unchanged": c.Unchanged, "repaired": c.Repaired, "unowned": c.Unowned})
	}
	b, _ := json.Marshal(rows)
	args["tables"] = string(b)
	if _, err := tx.Exec(ctx, s.stmt("runs", "tables"), args); err != nil {
		return fmt.Errorf("record tables: %w", err)
	}
	return nil
}

// ObjectDone closes one object of a run.
func (s *Store) ObjectDone(ctx context.Context, runID int64, object, status, errText string, d time.Duration, held int, notes map[string]any) error {
	if notes == nil {
		notes = map[string]any{}
	}
	b, _ := json.Marshal(notes)
	_, err := s.pool.Exec(ctx, s.stmt("runs", "object_done"), pgx.NamedArgs{
		"run_id": runID, "object": object, "status": status, "error": errText,
		"duration_ms": d.Milliseconds(), "held": held, "notes": string(b),
	})
	if err != nil {
		return fmt.Errorf("object done: %w", err)
	}
	return nil
}

// FinishRun closes a run and its sync_logs row, with the run's own figures.
func (s *Store) FinishRun(ctx context.Context, runID int64, status, errText string, now time.Time) (*Run, error) {
	r, err := s.Run(ctx, runID)
	if err != nil {
		return nil, err
	}
	var records int
	for _, p := range r.Progress {
		records += p.RecordsSeen
	}
	var repaired, unowned, kept int64
	for _, c := range r.Tables {
		repaired += c.Repaired
		unowned += c.Unowned
	}
	for _, p := range r.Progress {
		kept += int64(p.HistoryKept)
	}
	meta, _ := json.Marshal(map[string]any{
		"duration_seconds": now.Sub(r.StartedAt).Seconds(),
		"tables":           r.Tables,
		"objects":          r.Progress,
		// Rule 16 and rule 11 (docs/mapping.md).
		"repaired":     repaired,
		"unowned":      unowned,
		"history_kept": kept,
	})
	args := pgx.NamedArgs{"run_id": runID, "status": status, "error": errText, "now": now, "records": records, "metadata": string(meta)}
	err = s.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, s.stmt("runs", "finish"), args); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, s.stmt("runs", "sync_log_finish"), args)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("finish run %d: %w", runID, err)
	}
	return s.Run(ctx, runID)
}

// Run loads one run with its objects and table counts.
func (s *Store) Run(ctx context.Context, runID int64) (*Run, error) {
	var r Run
	err := s.pool.QueryRow(ctx, s.stmt("runs", "run"), pgx.NamedArgs{"run_id": runID}).
		Scan(&r.ID, &r.Kind, &r.Objects, &r.FullSweep, &r.Status, &r.StartedAt, &r.FinishedAt, &r.Error)
	if err != nil {
		return nil, fmt.Errorf("run %d: %w", runID, err)
	}
	if r.Progress, err = s.Progress(ctx, runID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, s.stmt("runs", "run_tables"), pgx.NamedArgs{"run_id": runID})
	if err != nil {
		return nil, fmt.Errorf("run %d tables: %w", runID, err)
	}
	r.Tables = map[string]Counts{}
	var name string
	var c Counts
	_, err = pgx.ForEachRow(rows, []any{&name, &c.Inserted, &c.Updated, &c.Deleted, &c.Unchanged, &c.Repaired, &c.Unowned}, func() error {
		r.Tables[name] = c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("run %d tables: %w", runID, err)
	}
	return &r, nil
}

// Progress returns a run's objects, in run order.
func (s *Store) Progress(ctx context.Context, runID int64) ([]ObjectProgress, error) {
	rows, err := s.pool.Query(ctx, s.stmt("runs", "objects"), pgx.NamedArgs{"run_id": runID})
	if err != nil {
		return nil, fmt.Errorf("run %d objects: %w", runID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ObjectProgress, error) {
		var p ObjectProgress
		err := r.Scan(&p.Object, &p.Status, &p.NextPage, &p.Pages, &p.KnackRequests, &p.RecordsSeen, &p.RecordsChanged,
			&p.RecordsDeleted, &p.DeletionsHeld, &p.DataIssues, &p.DurationMS, &p.Error, &p.Notes, &p.HistoryKept)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("run %d objects: %w", runID, err)
	}
	return out, nil
}

// LastFullSweep is when the last full sweep that succeeded as a whole
// finished (the zero time when none has): the schedule's question (was the
// nightly run done?), not an object's last successful sync, which is
// LastSuccess.
func (s *Store) LastFullSweep(ctx context.Context) (time.Time, error) {
	var t *time.Time
	if err := s.pool.QueryRow(ctx, s.stmt("runs", "last_full_sweep")).Scan(&t); err != nil {
		return time.Time{}, fmt.Errorf("last full sweep: %w", err)
	}
	if t == nil {
		return time.Time{}, nil
	}
	return *t, nil
}
