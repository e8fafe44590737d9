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

// object describes how one Knack object is synced.
type object struct {
	key    string
	script string // the store's SQL file
	params map[string]any
	// accounts: the projection needs the object_3 emails of its records.
	accounts func(rec knack.Record) []string
	build    func(b *builder, in input, ctx vespa.Context)
}

// Objects is every object the sync reads, in dependency order: a later
// object resolves keys written by an earlier one.
func Objects() []string {
	out := make([]string, len(objects))
	for i, o := range objects {
		out[i] = o.key
	}
	return out
}

var objects = []object{
	{
		key: vespa.Establishments.Object, script: "establishments",
		params: map[string]any{
			"results_object": vespa.Results.Object, "results_establishment_field": vespa.Results.Establishment.Key,
			"questionnaires_object": vespa.Questionnaires.Object,
			"profiles_object":       vespa.Profiles.Object, "profiles_establishment_field": vespa.Profiles.Establishment.Key,
		},
		build: buildEstablishment,
	},
	{key: vespa.Results.Object, script: "object10", build: buildResult},
	{key: vespa.Questionnaires.Object, script: "object29", build: buildQuestionnaire},
	{key: vespa.Staff.Object, script: "staff", build: buildStaff},
	{key: vespa.SuperUsers.Object, script: "superusers", build: buildSuperUser},
	{
		key: vespa.Accounts.Object, script: "accounts",
		params: map[string]any{"profiles_object": vespa.Profiles.Object, "profiles_account_field": vespa.Profiles.Account.Key},
		build:  buildAccount,
	},
	{
		key: vespa.Profiles.Object, script: "object112", build: buildProfile,
		accounts: func(rec knack.Record) []string { return knack.DecodeConnectionIDs(rec, vespa.Profiles.Account.Key) },
	},
}

func lookupObject(key string) (object, error) {
	i := slices.IndexFunc(objects, func(o object) bool { return o.key == key })
	if i < 0 {
		return object{}, fmt.Errorf("%w %q (known: %v)", ErrUnknownObject, key, Objects())
	}
	return objects[i], nil
}

// builder collects one batch: records, staging rows and issues. today is
// the injected clock's date: what is history depends on it (rule 11).
type builder struct {
	batch  store.Batch
	tables map[string]*store.Table
}

func newBuilder(o object, runID int64, today time.Time) *builder {
	return &builder{
		batch:  store.Batch{Object: o.key, Script: o.script, RunID: runID, Params: o.params, Today: today},
		tables: map[string]*store.Table{},
	}
}

// record adds a batch record. replace: the record's claims are replaced by
// what it produced now (false keeps what it had, when it produced nothing).
func (b *builder) record(in input, replace bool, year string) {
	b.batch.Records = append(b.batch.Records, store.BatchRecord{ID: in.rec.ID, Replace: replace, CurrentYear: year, Repair: in.repair})
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

func (b *builder) issues(list []vespa.Issue) {
	for _, is := range list {
		b.issue(is)
	}
}

// issue stages one data issue of the batch's object (stg_issues,
// store/sql/common_stage.sql).
func (b *builder) issue(is vespa.Issue) {
	b.row("stg_issues", []string{"record_id", "rule", "field", "value", "detail"},
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

// fit cuts a text to the characters its column holds (the dashboard's
// varchar limits) and reports the cut, so that an over-long value from
// Knack never fails its batch.
func (b *builder) fit(recordID, column, v string, limit int) string {
	if utf8.RuneCountInString(v) <= limit {
		return v
	}
	cut := []rune(v)
	b.issue(vespa.Issue{
		Object: b.batch.Object, RecordID: recordID, Rule: vespa.RuleTooLong, Field: column, Value: v,
		Detail: fmt.Sprintf("%d characters cut to the column's %d", len(cut), limit),
	})
	return string(cut[:limit])
}

// row appends a staging row; columns are given once per table.
func (b *builder) row(table string, columns []string, values ...any) {
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

// date turns a civil date into a value COPY writes as a date (or NULL).
func date(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}
