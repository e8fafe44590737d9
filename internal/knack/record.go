package knack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Record is one Knack record as the API returns it: an id and every field
// twice, field_N (formatted, often HTML) and field_N_raw (structured). Values
// are kept as raw JSON so that nothing is lost between the API and the raw
// mirror; the decoders in this package interpret them.
type Record struct {
	ID     string
	Fields map[string]json.RawMessage // every key except "id", as received
	// JSON is the record exactly as the API sent it, when it was decoded
	// from a response: hashing it tells a changed record from an unchanged
	// one without encoding it again. Nil for records built in code.
	JSON json.RawMessage
}

// UnmarshalJSON reads the flat API shape {"id": "...", "field_1": ..., ...}.
// encoding/json, its only caller, has validated b. The values are slices of
// r.JSON, a copy of b (the decoder's buffer is not ours to keep).
func (r *Record) UnmarshalJSON(b []byte) error {
	data := append(json.RawMessage(nil), b...)
	m := make(map[string]json.RawMessage, 64)
	if err := splitObject(data, func(key string, value []byte) { m[key] = value }); err != nil {
		return err
	}
	idRaw, ok := m["id"]
	if !ok {
		return errors.New("knack record without id")
	}
	if id, ok := plainKey(idRaw); ok {
		r.ID = id
	} else if err := json.Unmarshal(idRaw, &r.ID); err != nil {
		return fmt.Errorf("knack record id: %w", err)
	}
	delete(m, "id")
	r.Fields = m
	r.JSON = data
	return nil
}

// MarshalJSON writes the flat API shape with keys sorted, so that the same
// record always gives the same bytes (and content hash).
func (r Record) MarshalJSON() ([]byte, error) {
	m := make(map[string]json.RawMessage, len(r.Fields)+1)
	for k, v := range r.Fields {
		var buf bytes.Buffer
		if err := json.Compact(&buf, v); err != nil {
			return nil, fmt.Errorf("knack record %s field %s: %w", r.ID, k, err)
		}
		m[k] = buf.Bytes()
	}
	id, _ := json.Marshal(r.ID)
	m["id"] = id
	return json.Marshal(m)
}

// Raw returns field_N_raw, or nil when the record does not carry it.
func (r Record) Raw(field string) json.RawMessage { return r.Fields[field+"_raw"] }

// Formatted returns field_N (the display value), or nil.
func (r Record) Formatted(field string) json.RawMessage { return r.Fields[field] }
