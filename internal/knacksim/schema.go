package knacksim

import "knacksync/internal/knack"

// Schema is an application's metadata, served at GET /v1/applications/{id}.
type Schema struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Timezone string   `json:"timezone"` // application.settings.timezone
	Objects  []Object `json:"objects"`
	// Scenes are the pages that the view-based routes serve. Optional: an
	// app without scenes only serves object-based routes.
	Scenes []Scene `json:"scenes,omitempty"`
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

// Scene is a page of the live app. The simulator's view model is simple: a
// view maps to one object and shows all of its fields.
type Scene struct {
	Key  string `json:"key"` // scene_N
	Slug string `json:"slug"`
	Name string `json:"name"`
	// LoginRequired makes view-based requests on this scene need a user
	// token (Authorization) from POST /v1/applications/{app}/session.
	LoginRequired bool   `json:"authenticated"`
	Views         []View `json:"views"`
}

// View is one view of a scene.
type View struct {
	Key    string `json:"key"`  // view_N
	Type   string `json:"type"` // table, form, details, ...; informational
	Name   string `json:"name"`
	Object string `json:"object"` // the source object's key
}

// Dataset is everything a simulator serves: the schema and, per object key,
// the records in API output shape (field_N and field_N_raw for every field).
type Dataset struct {
	Schema  Schema
	Records map[string][]knack.Record
}
