package syncer

import (
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"knacksync/internal/knack"
	"knacksync/internal/store"
	"knacksync/internal/vespa"
)

// input is one record to project, with when the mirror first saw it.
// repair: the record is unchanged, projected again by a full sweep to
// repair drift (docs/mapping.md, rule 16).
type input struct {
	rec       knack.Record
	firstSeen time.Time
	repair    bool
}

// lookups are the context a batch's projection needs beyond its records.
type lookups struct {
	establishments map[string]vespa.EstablishmentInfo
	accounts       map[string]string
}

// object is one Knack object the sync reads: its entry in the mapping
// package's registry (vespa.Objects), which says how it is projected and
// staged and which SQL merges it. The engine names no object itself.
type object = vespa.Object

// Objects is every object the sync reads, in dependency order: a later
// object resolves keys written by an earlier one.
func Objects() []string {
	out := make([]string, len(vespa.Objects))
	for i, o := range vespa.Objects {
		out[i] = o.Key
	}
	return out
}

func lookupObject(key string) (object, error) {
	i := slices.IndexFunc(vespa.Objects, func(o object) bool { return o.Key == key })
	if i < 0 {
		return object{}, fmt.Errorf("%w %q (known: %v)", ErrUnknownObject, key, Objects())
	}
	return vespa.Objects[i], nil
}

// builder collects one batch: records, staging rows and issues. today is
// the injected clock's date: what is history depends on it (rule 11). An
// object's Stage stages into it (vespa.Stager) through a recordStager per
// record.
type builder struct {
	batch  store.Batch
	tables map[string]*store.Table
}

func newBuilder(o object, runID int64, today time.Time) *builder {
	return &builder{
		batch:  store.Batch{Object: o.Key, Script: o.Script, RunID: runID, Params: o.Params, Today: today},
		tables: map[string]*store.Table{},
	}
}

// record adds a batch record. replace: the record's claims are replaced by
// what it produced now (false keeps what it had, when it produced nothing).
func (b *builder) record(in input, replace bool, year string) {
	b.batch.Records = append(b.batch.Records, store.BatchRecord{ID: in.rec.ID, Replace: replace, CurrentYear: year, Repair: in.repair})
}

// recordStager stages one input into its batch: the vespa.Stager an
// object's Stage is given.
type recordStager struct {
	*builder
	in input
}

func (s recordStager) Record(replace bool, year string) { s.record(s.in, replace, year) }

var _ vespa.Stager = recordStager{}

// stage projects and stages one input with its object's Stage.
func (b *builder) stage(o object, in input, ctx vespa.Context) {
	o.Stage(recordStager{builder: b, in: in}, in.rec, ctx)
}

// changed is how many of fresh records changed (the others are repairs).
func changed(fresh []store.Fresh) int {
	n := 0
	for _, f := range fresh {
		if !f.Repair {
			n++
		}
	}
	return n
}

func (b *builder) deleted(id string) {
	b.batch.Records = append(b.batch.Records, store.BatchRecord{ID: id, Replace: true, Deleted: true})
}

// Issue stages one data issue of the batch's object (stg_issues,
// store/sql/common_stage.sql).
func (b *builder) Issue(is vespa.Issue) {
	b.Row("stg_issues", []string{"record_id", "rule", "field", "value", "detail"},
		is.RecordID, is.Rule, is.Field, shorten(is.Value), is.Detail)
}

// issueValueLimit is as much of an offending value as an issue keeps: enough
// to recognise it, not a megabyte per record.
const issueValueLimit = 200

func shorten(v string) string {
	if utf8.RuneCountInString(v) <= issueValueLimit {
		return v
	}
	return string([]rune(v)[:issueValueLimit]) + "…"
}

// Fit cuts a text to the characters its column holds (the dashboard's
// varchar limits) and reports the cut, so that an over-long value from
// Knack never fails its batch.
func (b *builder) Fit(recordID, column, v string, limit int) string {
	if utf8.RuneCountInString(v) <= limit {
		return v
	}
	cut := []rune(v)
	b.Issue(vespa.Issue{
		Object: b.batch.Object, RecordID: recordID, Rule: vespa.RuleTooLong, Field: column, Value: v,
		Detail: fmt.Sprintf("%d characters cut to the column's %d", len(cut), limit),
	})
	return string(cut[:limit])
}

// Row appends a staging row; columns are given once per table.
func (b *builder) Row(table string, columns []string, values ...any) {
	t, ok := b.tables[table]
	if !ok {
		t = &store.Table{Name: table, Columns: columns}
		b.tables[table] = t
	}
	t.Rows = append(t.Rows, values)
}

func (b *builder) done() store.Batch {
	names := make([]string, 0, len(b.tables))
	for n := range b.tables {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		b.batch.Tables = append(b.batch.Tables, *b.tables[n])
	}
	return b.batch
}
