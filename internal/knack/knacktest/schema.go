// Package knacktest is a Knack simulator: a real HTTP server that behaves like
// the Knack REST API (KNACK_API.md §8), with fault injection, request counters
// and an outbound change-hint emitter. It is the only fake in the project.
package knacktest

import "knacksync/internal/knack"

// Schema is an application's metadata, served at GET /v1/applications/{id}.
type Schema struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Timezone string   `json:"timezone"` // application.settings.timezone
	Objects  []Object `json:"objects"`
}

// Object is one object of the schema.
type Object struct {
	Key        string  `json:"key"`
	Name       string  `json:"name"`
	Identifier string  `json:"identifier"` // the display field's key
	Type       string  `json:"type"`       // "StandardObject" or "UserObject"
	Fields     []Field `json:"fields"`
}

// Field is one field of an object.
type Field struct {
	Key          string         `json:"key"`
	Name         string         `json:"name"`
	Type         string         `json:"type"` // short_text, number, email, name, date_time, connection, boolean, ...
	Required     bool           `json:"required"`
	Unique       bool           `json:"unique"`
	Format       map[string]any `json:"format,omitempty"`
	Relationship *Relationship  `json:"relationship,omitempty"`
}

// Relationship describes a connection field's target.
type Relationship struct {
	BelongsTo string `json:"belongs_to"`
	Has       string `json:"has"`
	Object    string `json:"object"`
}

// Dataset is everything a simulator serves: the schema and, per object key,
// the records in API output shape (field_N and field_N_raw for every field).
type Dataset struct {
	Schema  Schema
	Records map[string][]knack.Record
}
