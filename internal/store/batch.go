package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Table is a staging table's content: the columns named in the script's
// "stage" section, one []any per row.
type Table struct {
	Name    string
	Columns []string
	Rows    [][]any
}

// BatchRecord is one record of a batch (see stg_batch in common_stage.sql).
// Repair: the record is unchanged and projected again by a sweep to repair
// what other writers changed (docs/mapping.md, rule 16).
type BatchRecord struct {
	ID          string
	Replace     bool
	Deleted     bool
	CurrentYear string
	Repair      bool
}

// Batch is one unit of work for one Knack object: the records, and the
// staging rows their projection produced, the data issues it found among
// them (stg_issues, sql/common_stage.sql). It is applied in one transaction
// by ApplyBatch.
type Batch struct {
	Object  string // Knack object key, stored in claims and issues
	Script  string // the object's SQL file (internal/vespa/sql, added with WithScripts), without .sql
	RunID   int64
	Records []BatchRecord
	Tables  []Table
	// Params are named arguments some scripts need (field keys).
	Params map[string]any
	// Today is the date on the injected clock: rows of an academic year
	// that ended before it are history (rule 11).
	Today time.Time
}

// Counts are the rows a batch wrote to one table. Repaired rows (written
// for records that had not changed: drift by another writer, rule 16) are
// also counted as inserted, updated or deleted; Unowned rows are
// current-year rows no record produces, left alone.
type Counts struct {
	Inserted, Updated, Deleted, Unchanged int64
	Repaired, Unowned                     int64
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Inserted += o.Inserted
	c.Updated += o.Updated
	c.Deleted += o.Deleted
	c.Unchanged += o.Unchanged
	c.Repaired += o.Repaired
	c.Unowned += o.Unowned
}

// Written is the number of rows inserted, updated or deleted.
func (c Counts) Written() int64 { return c.Inserted + c.Updated + c.Deleted }

// Result is what ApplyBatch did.
type Result struct {
	Tables map[string]Counts
	Issues int64 // issues recorded, including duplicates found in SQL
	// HistoryKept is the deleted records whose history rows stayed
	// (rule 11).
	HistoryKept int64
}

func (r *Result) add(table string, c Counts, issues int64) {
	if r.Tables == nil {
		r.Tables = map[string]Counts{}
	}
	if table != "data_issues" && table != "history" {
		t := r.Tables[table]
		t.Add(c)
		r.Tables[table] = t
	}
	r.Issues += issues
}

// Merge adds o to r.
func (r *Result) Merge(o Result) {
	for t, c := range o.Tables {
		r.add(t, c, 0)
	}
	r.Issues += o.Issues
	r.HistoryKept += o.HistoryKept
}

// ApplyBatch stages the batch with COPY and merges it with one statement per
// table, inside tx. Scripts with a "claims" section go through the claims
// engine (sql/claims.sql) between staging and writing.
func (s *Store) ApplyBatch(ctx context.Context, tx pgx.Tx, b Batch) (Result, error) {
	var res Result
	stage := &pgx.Batch{}
	// The rows this transaction writes mark their statistics keys dirty
	// (triggers of migration 00006; internal/stats recomputes them).
	stage.Queue("SET LOCAL knacksync.mark_dirty = 'on'")
	// A batch runs a few dozen short statements; compiling one with JIT
	// (its cost estimate passes jit_above_cost on a large page) takes
	// longer than running it.
	stage.Queue("SET LOCAL jit = off")
	// A page touches about a thousand keys of tables that stay in memory:
	// index lookups beat scanning a whole object's claims or students,
	// which the default (disk-era) random_page_cost makes the planner
	// prefer.
	stage.Queue("SET LOCAL random_page_cost = 1.1")
	for _, st := range s.scripts["common_stage"] {
		stage.Queue(st.sql)
	}
	own, err := s.section(b.Script, "stage")
	if err != nil {
		return res, err
	}
	for _, st := range own {
		stage.Queue(st.sql)
	}
	if err := tx.SendBatch(ctx, stage).Close(); err != nil {
		return res, fmt.Errorf("stage %s: %w", b.Object, err)
	}

	batchRows := make([][]any, len(b.Records))
	for i, r := range b.Records {
		batchRows[i] = []any{r.ID, r.Replace, r.Deleted, r.CurrentYear, r.Repair}
	}
	tables := append([]Table{
		{Name: "stg_batch", Columns: []string{"record_id", "replace", "deleted", "current_year", "repair"}, Rows: batchRows},
	}, b.Tables...)
	for _, t := range tables {
		if len(t.Rows) == 0 {
			continue
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.Name}, t.Columns, pgx.CopyFromRows(t.Rows)); err != nil {
			return res, fmt.Errorf("copy %s: %w", t.Name, err)
		}
		// Temporary tables get no statistics from autovacuum. Without them
		// the planner guesses: nested loops over tens of thousands of rows
		// for a large page, and for a small hint batch a sequential scan of
		// the whole mirror (every statement that joins it). An ANALYZE of a
		// small table costs well under a millisecond.
		if _, err := tx.Exec(ctx, "ANALYZE "+pgx.Identifier{t.Name}.Sanitize()); err != nil {
			return res, fmt.Errorf("analyze %s: %w", t.Name, err)
		}
	}

	args := pgx.NamedArgs{"object": b.Object, "run_id": b.RunID, "today": civilDay(b.Today)}
	for k, v := range b.Params {
		args[k] = v
	}
	// The mirror is marked projected first, so that a winner the claims
	// engine asks to re-project (claims_reproject) keeps that mark.
	steps, err := s.section("mirror", "projected")
	if err != nil {
		return res, err
	}
	if s.has(b.Script, "claims") {
		claims, err := s.section(b.Script, "claims")
		if err != nil {
			return res, err
		}
		steps = append(steps, claims...)
		steps = append(steps, s.scripts["claims"]...)
	}
	for _, st := range s.scripts[b.Script] {
		if st.name != "stage" && st.name != "claims" && st.name != "unowned" {
			steps = append(steps, st)
		}
	}
	steps = append(steps, s.scripts["issues"]...)

	for _, st := range steps {
		if err := s.exec(ctx, tx, st, args, &res); err != nil {
			return res, fmt.Errorf("merge %s (%s.%s): %w", b.Object, b.Script, st.name, err)
		}
	}
	return res, nil
}

// exec runs one statement; statements that report counts return rows of
// (table, inserted, updated, deleted, unchanged, issues), optionally
// followed by (repaired, unowned, history_kept).
func (s *Store) exec(ctx context.Context, tx pgx.Tx, st statement, args pgx.NamedArgs, res *Result) error {
	rows, err := tx.Query(ctx, st.sql, args)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		n := len(rows.FieldDescriptions())
		if n != 6 && n != 9 {
			continue
		}
		var table string
		var c Counts
		var issues, kept int64
		dest := []any{&table, &c.Inserted, &c.Updated, &c.Deleted, &c.Unchanged, &issues}
		if n == 9 {
			dest = append(dest, &c.Repaired, &c.Unowned, &kept)
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		res.add(table, c, issues)
		res.HistoryKept += kept
	}
	return rows.Err()
}

// civilDay is t's calendar date, as a date parameter.
func civilDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Unowned counts, after a complete sweep of object, the current-year rows
// (on today) that no record of it produces: another writer's rows, left
// alone (rule 16). The counts go to the run's tables.
func (s *Store) Unowned(ctx context.Context, object, script string, today time.Time) (Result, error) {
	var res Result
	if !s.has(script, "unowned") {
		return res, nil
	}
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		args := pgx.NamedArgs{"object": object, "today": civilDay(today)}
		steps, err := s.section(script, "unowned")
		if err != nil {
			return err
		}
		for _, st := range steps {
			if err := s.exec(ctx, tx, st, args, &res); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("unowned %s: %w", object, err)
	}
	return res, nil
}
