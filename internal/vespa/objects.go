// Package vespa is the mapping package: everything that ties one Knack
// object of the VESPA app to the dashboard's tables lives here, in one home
// per object (docs/mapping.md, docs/architecture.md):
//
//   - objectN.go: the object's field map (kept as data, so that a builder's
//     change in Knack is a one-line change), the rows it produces, its
//     pure projection (records → rows) and its staging (rows → the
//     columns of its staging tables, cut to the dashboard's limits);
//   - sql/objectN.sql: the SQL that merges the staged rows into the
//     dashboard's tables, embedded in SQL and run by internal/store.
//
// Objects lists them in dependency order. The sync engine (internal/syncer,
// internal/store) knows no object by name: it walks Objects. The package
// imports internal/knack only.
package vespa

import (
	"embed"

	"knacksync/internal/knack"
)

// SQL holds the objects' SQL files, sql/<Script>.sql, loaded by the store
// alongside its own (store.Store.WithScripts).
//
//go:embed sql/*.sql
var SQL embed.FS

// Object is how one Knack object is synced.
type Object struct {
	Key   string // "object_N"
	Label string // its name for a person ("Results")
	// Script is its SQL file in SQL, sql/<Script>.sql, without .sql.
	Script string
	// Params are named arguments its SQL takes beyond the engine's own
	// (@object, @run_id, @today): other objects' keys and field keys, so
	// that no SQL file names an object other than through them.
	Params map[string]any
	// Reads are the connection fields whose target records its projection
	// reads (rule 15, docs/architecture.md "Dependent records"): a change
	// to one of those records projects it again in the same pass.
	Reads []Field
	// ReadsThrough are objects its projection reads without a connection
	// of its own.
	ReadsThrough []string
	// Accounts, when set: the object_3 ids whose emails the projection of
	// rec needs (Context.Accounts).
	Accounts func(rec knack.Record) []string
	// Stage projects one record and stages what it produces.
	Stage func(s Stager, rec knack.Record, ctx Context)
	// labels names each field of its map for a person (labels.go).
	labels func(add func(Field, string))
}

// Objects is every object the sync reads, in dependency order: a later
// object resolves keys written by an earlier one.
var Objects = []Object{
	{
		Key: Object2.Object, Label: "Establishments", Script: "object2",
		Params: map[string]any{"questionnaires_object": Object29.Object},
		Stage:  stageObject2, labels: object2Labels,
	},
	{
		Key: Object10.Object, Label: "Results", Script: "object10",
		Params: map[string]any{"questionnaires_object": Object29.Object},
		Reads:  []Field{Object10.Establishment},
		Stage:  stageObject10, labels: object10Labels,
	},
	{
		Key: Object29.Object, Label: "Questionnaires", Script: "object29",
		Params:       map[string]any{"results_object": Object10.Object},
		ReadsThrough: []string{Object2.Object},
		Stage:        stageObject29, labels: object29Labels,
	},
	{
		Key: Object5.Object, Label: "Staff admins", Script: "object5",
		Reads: []Field{Object5.Establishment},
		Stage: stageObject5, labels: object5Labels,
	},
	{Key: Object21.Object, Label: "Super users", Script: "object21", Stage: stageObject21, labels: object21Labels},
	{
		Key: Object3.Object, Label: "Accounts", Script: "object3",
		Stage: stageObject3, labels: object3Labels,
	},
	{
		Key: Object112.Object, Label: "Academic profiles", Script: "object112",
		Reads:    []Field{Object112.Establishment, Object112.Account},
		Accounts: func(rec knack.Record) []string { return knack.DecodeConnectionIDs(rec, Object112.Account.Key) },
		Stage:    stageObject112, labels: object112Labels,
	},
}

// Fields lists every field of the object's map (each once, as its labels
// name them; TestLabelsCoverTheMap checks that they name them all).
func (o Object) Fields() []Field {
	var out []Field
	seen := map[string]bool{}
	o.labels(func(f Field, _ string) {
		if !seen[f.Key] {
			seen[f.Key] = true
			out = append(out, f)
		}
	})
	return out
}
