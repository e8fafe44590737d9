package store

import (
	"context"
	"fmt"

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
type BatchRecord struct {
	ID          string
	Replace     bool
	Deleted     bool
	CurrentYear string
}

// Issue is a data issue found by the projection.
type Issue struct {
	RecordID, Rule, Field, Value, Detail string
}

// Batch is one unit of work for one Knack object: the records, the rows
// their projection produced, and the issues it found. It is applied in one
// transaction by ApplyBatch.
type Batch struct {
	Object  string // Knack object key, stored in claims and issues
	Script  string // the object's SQL file in sql/, without .sql
	RunID   int64
	Records []BatchRecord
	Issues  []Issue
	Tables  []Table
	// Params are named arguments some scripts need (field keys).
	Params map[string]any
}

// Counts are the rows a batch wrote to one table.
type Counts struct {
	Inserted, Updated, Deleted, Unchanged int64
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Inserted += o.Inserted
	c.Updated += o.Updated
	c.Deleted += o.Deleted
	c.Unchanged += o.Unchanged
}

// Written is the number of rows inserted, updated or deleted.
func (c Counts) Written() int64 { return c.Inserted + c.Updated + c.Deleted }

// Result is what ApplyBatch did.
type Result struct {
	Tables map[string]Counts
	Issues int64 // issues recorded, including duplicates found in SQL
}

func (r *Result) add(table string, c Counts, issues int64) {
	if r.Tables == nil {
		r.Tables = map[string]Counts{}
	}
	if table != "data_issues" {
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
}

// ApplyBatch stages the batch with COPY and merges it with one statement per
// table, inside tx. Scripts with a "claims" section go through the claims
// engine (sql/claims.sql) between staging and writing.
func (s *Store) ApplyBatch(ctx context.Context, tx pgx.Tx, b Batch) (Result, error) {
	var res Result
	stage := &pgx.Batch{}
	for _, st := range s.scripts["common_stage"] {
		stage.Queue(st.sql)
	}
	for _, st := range s.section(b.Script, "stage") {
		stage.Queue(st.sql)
	}
	if err := tx.SendBatch(ctx, stage).Close(); err != nil {
		return res, fmt.Errorf("stage %s: %w", b.Object, err)
	}

	batchRows := make([][]any, len(b.Records))
	for i, r := range b.Records {
		batchRows[i] = []any{r.ID, r.Replace, r.Deleted, r.CurrentYear}
	}
	issueRows := make([][]any, len(b.Issues))
	for i, is := range b.Issues {
		issueRows[i] = []any{is.RecordID, is.Rule, is.Field, is.Value, is.Detail}
	}
	tables := append([]Table{
		{Name: "stg_batch", Columns: []string{"record_id", "replace", "deleted", "current_year"}, Rows: batchRows},
		{Name: "stg_issues", Columns: []string{"record_id", "rule", "field", "value", "detail"}, Rows: issueRows},
	}, b.Tables...)
	for _, t := range tables {
		if len(t.Rows) == 0 {
			continue
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.Name}, t.Columns, pgx.CopyFromRows(t.Rows)); err != nil {
			return res, fmt.Errorf("copy %s: %w", t.Name, err)
		}
		// Temporary tables get no statistics from autovacuum; without them
		// the planner picks nested loops over tens of thousands of rows.
		if len(t.Rows) > 100 {
			if _, err := tx.Exec(ctx, "ANALYZE "+pgx.Identifier{t.Name}.Sanitize()); err != nil {
				return res, fmt.Errorf("analyze %s: %w", t.Name, err)
			}
		}
	}

	args := pgx.NamedArgs{"object": b.Object, "run_id": b.RunID}
	for k, v := range b.Params {
		args[k] = v
	}
	// The mirror is marked projected first, so that a winner the claims
	// engine asks to re-project (claims_reproject) keeps that mark.
	steps := s.section("mirror", "projected")
	if s.has(b.Script, "claims") {
		steps = append(steps, s.section(b.Script, "claims")...)
		steps = append(steps, s.scripts["claims"]...)
	}
	for _, st := range s.scripts[b.Script] {
		if st.name != "stage" && st.name != "claims" {
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

// exec runs one statement; statements that report counts return one row of
// (table, inserted, updated, deleted, unchanged, issues).
func (s *Store) exec(ctx context.Context, tx pgx.Tx, st statement, args pgx.NamedArgs, res *Result) error {
	rows, err := tx.Query(ctx, st.sql, args)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if len(rows.FieldDescriptions()) != 6 {
			continue
		}
		var table string
		var c Counts
		var issues int64
		if err := rows.Scan(&table, &c.Inserted, &c.Updated, &c.Deleted, &c.Unchanged, &issues); err != nil {
			return err
		}
		res.add(table, c, issues)
	}
	return rows.Err()
}
