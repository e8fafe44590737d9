package knack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

var errEmptyID = errors.New("empty record id")

func recordsPath(object string) string {
	return "/objects/" + url.PathEscape(object) + "/records"
}

func recordPath(object, id string) string {
	return recordsPath(object) + "/" + url.PathEscape(id)
}

// Get fetches one record. A missing record, or an id that is not an
// ObjectId, gives ErrNotFound.
func (c *Client) Get(ctx context.Context, object, id string) (Record, error) {
	rec, err := c.get(ctx, object, id)
	if err != nil {
		return Record{}, fmt.Errorf("knack: get %s/%s: %w", object, id, err)
	}
	return rec, nil
}

func (c *Client) get(ctx context.Context, object, id string) (Record, error) {
	if id == "" {
		return Record{}, errEmptyID
	}
	body, err := c.do(ctx, request{method: http.MethodGet, path: recordPath(object, id)})
	if err != nil {
		return Record{}, err
	}
	return decodeRecord(body)
}

// Create adds a record and returns it as Knack stored it. fields maps
// field_N to a value in a write shape Knack accepts (docs/knack-api.md §4).
// A create is never retried after a 5xx or a timeout, since it may have
// happened; only a 429 (not processed) is retried.
func (c *Client) Create(ctx context.Context, object string, fields map[string]any) (Record, error) {
	rec, err := c.write(ctx, http.MethodPost, recordsPath(object), fields)
	if err != nil {
		return Record{}, fmt.Errorf("knack: create %s: %w", object, err)
	}
	return rec, nil
}

// Update changes the given fields of a record (a partial PUT: fields left
// out keep their values) and returns the whole updated record.
func (c *Client) Update(ctx context.Context, object, id string, fields map[string]any) (Record, error) {
	var rec Record
	err := errEmptyID
	if id != "" {
		rec, err = c.write(ctx, http.MethodPut, recordPath(object, id), fields)
	}
	if err != nil {
		return Record{}, fmt.Errorf("knack: update %s/%s: %w", object, id, err)
	}
	return rec, nil
}

func (c *Client) write(ctx context.Context, method, path string, fields map[string]any) (Record, error) {
	if fields == nil {
		fields = map[string]any{}
	}
	b, err := json.Marshal(fields)
	if err != nil {
		return Record{}, fmt.Errorf("encode fields: %w", err)
	}
	body, err := c.do(ctx, request{method: method, path: path, body: b})
	if err != nil {
		return Record{}, err
	}
	return decodeRecord(body)
}

// Delete removes a record. A missing record gives ErrNotFound; after a
// retried attempt that can also mean an earlier attempt did delete it.
func (c *Client) Delete(ctx context.Context, object, id string) error {
	err := errEmptyID
	if id != "" {
		err = c.delete(ctx, object, id)
	}
	if err != nil {
		return fmt.Errorf("knack: delete %s/%s: %w", object, id, err)
	}
	return nil
}

func (c *Client) delete(ctx context.Context, object, id string) error {
	body, err := c.do(ctx, request{method: http.MethodDelete, path: recordPath(object, id)})
	if err != nil {
		return err
	}
	var res struct {
		Delete json.RawMessage `json:"delete"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	switch string(res.Delete) {
	case "true", `"true"`:
		return nil
	}
	return fmt.Errorf("unexpected response %.100q", body)
}

func decodeRecord(body []byte) (Record, error) {
	var rec Record
	if err := json.Unmarshal(body, &rec); err != nil {
		return Record{}, fmt.Errorf("decode record: %w", err)
	}
	return rec, nil
}

// App is the application metadata from GET /v1/applications/{app_id}
// (docs/knack-api.md §5): the parts the service uses, and the rest in Raw.
type App struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Slug     string         `json:"slug"`
	Settings AppSettings    `json:"settings"`
	Objects  []ObjectSchema `json:"objects"`
	// Raw is the whole "application" object as received.
	Raw json.RawMessage `json:"-"`
}

// AppSettings holds the application settings the service needs.
type AppSettings struct {
	// Timezone is a Rails-style name ("Central Time (US & Canada)"), not an
	// IANA one.
	Timezone string `json:"timezone"`
	Cluster  string `json:"cluster"`
}

// ObjectSchema is one object (table) of the application.
type ObjectSchema struct {
	Key        string        `json:"key"`
	Name       string        `json:"name"`
	Identifier string        `json:"identifier"` // the display field's key
	Type       string        `json:"type"`       // "StandardObject" or "UserObject"
	ProfileKey string        `json:"profile_key,omitempty"`
	Fields     []FieldSchema `json:"fields"`
}

// FieldSchema is one field of an object.
type FieldSchema struct {
	Key          string             `json:"key"`
	Name         string             `json:"name"`
	Type         string             `json:"type"` // short_text, number, connection, ...
	Required     bool               `json:"required"`
	Unique       bool               `json:"unique"`
	Format       json.RawMessage    `json:"format,omitempty"`
	Relationship *FieldRelationship `json:"relationship,omitempty"`
}

// FieldRelationship describes a connection field's target object.
type FieldRelationship struct {
	BelongsTo string `json:"belongs_to"`
	Has       string `json:"has"`
	Object    string `json:"object"`
}

// Object returns the object with key, if the application has it.
func (a App) Object(key string) (ObjectSchema, bool) {
	for _, o := range a.Objects {
		if o.Key == key {
			return o, true
		}
	}
	return ObjectSchema{}, false
}

// Field returns the field with key, if the object has it.
func (o ObjectSchema) Field(key string) (FieldSchema, bool) {
	for _, f := range o.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return FieldSchema{}, false
}

// Schema fetches the application metadata. Knack serves it without the API
// key, so none is sent.
func (c *Client) Schema(ctx context.Context) (App, error) {
	app, err := c.schema(ctx)
	if err != nil {
		return App{}, fmt.Errorf("knack: schema of app %s: %w", c.appID, err)
	}
	return app, nil
}

func (c *Client) schema(ctx context.Context) (App, error) {
	if c.appID == "" {
		return App{}, errors.New("no application id configured")
	}
	body, err := c.do(ctx, request{
		method: http.MethodGet,
		path:   "/applications/" + url.PathEscape(c.appID),
		noAuth: true,
	})
	if err != nil {
		return App{}, err
	}
	return decodeApp(body)
}

func decodeApp(body []byte) (App, error) {
	var env struct {
		Application json.RawMessage `json:"application"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return App{}, fmt.Errorf("decode application: %w", err)
	}
	if len(env.Application) == 0 || string(env.Application) == "null" {
		return App{}, errors.New("decode application: no \"application\" object")
	}
	var app App
	if err := json.Unmarshal(env.Application, &app); err != nil {
		return App{}, fmt.Errorf("decode application: %w", err)
	}
	app.Raw = env.Application
	return app, nil
}
