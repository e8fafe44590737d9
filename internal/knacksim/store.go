package knacksim

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"knacksync/internal/knack"
)

// The store keeps every record pre-serialised: one JSON object per record,
// written once when the record is stored, so that a page of 1,000 records is a
// concatenation of byte slices and never a re-marshal of maps. Next to the
// bytes each record keeps the offset of every key/value pair, so that a
// filter, a sort or format=raw|html can reach one value without parsing the
// whole record. Records are immutable once stored: an update stores a new
// *rec in the old one's place, so readers may keep a *rec after unlocking.

// objectStore holds one object's records in storage (insertion) order, with
// an id index.
type objectStore struct {
	obj    *Object
	fields map[string]*Field // by field key

	keys   []keySlot      // slot -> key
	slotOf map[string]int // key -> slot
	order  []int          // canonical slot order of the schema's keys
	shapes map[string]*shape

	recs []*rec
	byID map[string]*rec

	scratch  []int32 // encode's slot list, reused under the write lock
	shapeKey []byte  // intern's map key, likewise
}

// keySlot is one JSON key that records of an object carry.
type keySlot struct {
	name   string
	enc    []byte // `"name":`
	raw    bool   // a field_N_raw key (kept by format=raw, dropped by format=html)
	schema bool   // one of the schema's keys, written in schema order
}

// shape is the key layout shared by records that carry the same keys in the
// same order; interning it keeps the per-record index to 4 bytes a pair.
type shape struct {
	slots []int32 // pair i carries key slots[i]
	index []int32 // slot -> pair index, or -1; slots beyond len are absent
}

// rec is one stored record.
type rec struct {
	id     string
	js     []byte   // {"id":"...",...}
	idEnd  uint32   // js[1:idEnd] is the `"id":"..."` pair
	shape  *shape   //
	starts []uint32 // start of pair i in js
}

func newObjectStore(obj *Object) *objectStore {
	o := &objectStore{
		obj:    obj,
		fields: make(map[string]*Field, len(obj.Fields)),
		slotOf: make(map[string]int, 2*len(obj.Fields)),
		shapes: make(map[string]*shape),
		byID:   make(map[string]*rec),
	}
	for i := range obj.Fields {
		f := &obj.Fields[i]
		o.fields[f.Key] = f
		for _, k := range []string{f.Key, f.Key + "_raw"} {
			s := o.slot(k)
			if !o.keys[s].schema {
				o.keys[s].schema = true
				o.order = append(o.order, s)
			}
		}
	}
	return o
}

// slot returns the slot of key, adding it when it is new. Callers that may
// add hold the write lock.
func (o *objectStore) slot(key string) int {
	if s, ok := o.slotOf[key]; ok {
		return s
	}
	enc, _ := json.Marshal(key)
	enc = append(enc, ':')
	o.keys = append(o.keys, keySlot{name: key, enc: enc, raw: strings.HasSuffix(key, "_raw")})
	o.slotOf[key] = len(o.keys) - 1
	return len(o.keys) - 1
}

// lookup returns the slot of key, or -1.
func (o *objectStore) lookup(key string) int {
	if s, ok := o.slotOf[key]; ok {
		return s
	}
	return -1
}

// encode serialises a record: id first, then the schema's fields in schema
// order (field_N, field_N_raw), then any other key in sorted order. Values
// are compacted, and bytes that are not UTF-8 escaped, so that every answer
// is valid UTF-8 JSON; an invalid JSON value is an error.
func (o *objectStore) encode(id string, fields map[string]json.RawMessage) (*rec, error) {
	size := 16 + len(id)
	for k, v := range fields {
		size += len(k) + len(v) + 4
	}
	var buf bytes.Buffer
	buf.Grow(size)
	buf.WriteString(`{"id":`)
	idJSON, _ := json.Marshal(id)
	buf.Write(idJSON)
	r := &rec{id: id, idEnd: uint32(buf.Len())}
	slots := o.scratch[:0]
	defer func() { o.scratch = slots[:0] }()
	starts := make([]uint32, 0, len(fields))
	add := func(slot int, v json.RawMessage) error {
		buf.WriteByte(',')
		starts = append(starts, uint32(buf.Len()))
		slots = append(slots, int32(slot))
		buf.Write(o.keys[slot].enc)
		if !utf8.Valid(v) {
			// Knack answers valid UTF-8 only; a test may still plant raw
			// bytes. They go out as escapes (jsonstr.go).
			if !json.Valid(v) {
				return fmt.Errorf("record %s key %s: not valid JSON", id, o.keys[slot].name)
			}
			v = escapeInvalidUTF8(v)
		}
		if simpleJSON(v) {
			buf.Write(v)
			return nil
		}
		if err := json.Compact(&buf, v); err != nil {
			return fmt.Errorf("record %s key %s: %w", id, o.keys[slot].name, err)
		}
		return nil
	}
	seen := 0
	for _, slot := range o.order {
		if v, ok := fields[o.keys[slot].name]; ok {
			seen++
			if err := add(slot, v); err != nil {
				return nil, err
			}
		}
	}
	if seen < len(fields) {
		var extra []string
		for k := range fields {
			if k == "id" {
				continue
			}
			if s, ok := o.slotOf[k]; ok && o.keys[s].schema {
				continue
			}
			extra = append(extra, k)
		}
		slices.Sort(extra)
		for _, k := range extra {
			if err := add(o.slot(k), fields[k]); err != nil {
				return nil, err
			}
		}
	}
	buf.WriteByte('}')
	r.js = buf.Bytes()
	r.starts = starts
	r.shape = o.intern(slots)
	return r, nil
}

// intern returns the shared shape for a slot sequence.
func (o *objectStore) intern(slots []int32) *shape {
	key := slices.Grow(o.shapeKey[:0], 4*len(slots))[:4*len(slots)]
	o.shapeKey = key
	for i, s := range slots {
		binary.LittleEndian.PutUint32(key[4*i:], uint32(s))
	}
	if sh, ok := o.shapes[string(key)]; ok {
		return sh
	}
	sh := &shape{slots: slices.Clone(slots), index: make([]int32, len(o.keys))}
	for i := range sh.index {
		sh.index[i] = -1
	}
	for i, s := range slots {
		sh.index[s] = int32(i)
	}
	o.shapes[string(key)] = sh
	return sh
}

// pairEnd is the end (exclusive) of pair i of r.
func (r *rec) pairEnd(i int) uint32 {
	if i+1 < len(r.starts) {
		return r.starts[i+1] - 1
	}
	return uint32(len(r.js)) - 1
}

// value returns the JSON value r carries under slot, or nil. keys is the
// object's slot table (a copy taken under the lock is fine: slots are only
// ever appended).
func (r *rec) value(keys []keySlot, slot int) []byte {
	if slot < 0 || slot >= len(r.shape.index) {
		return nil
	}
	i := r.shape.index[slot]
	if i < 0 {
		return nil
	}
	return r.js[r.starts[i]+uint32(len(keys[slot].enc)) : r.pairEnd(int(i))]
}

// appendFormat appends r's JSON as format=both|raw|html selects.
func (r *rec) appendFormat(dst []byte, keys []keySlot, format string) []byte {
	if format == formatBoth {
		return append(dst, r.js...)
	}
	wantRaw := format == formatRaw
	dst = append(dst, '{')
	dst = append(dst, r.js[1:r.idEnd]...)
	for i, s := range r.shape.slots {
		if keys[s].raw == wantRaw {
			dst = append(dst, ',')
			dst = append(dst, r.js[r.starts[i]:r.pairEnd(i)]...)
		}
	}
	return append(dst, '}')
}

// record rebuilds the knack.Record of r.
func (r *rec) record(keys []keySlot) knack.Record {
	out := knack.Record{ID: r.id, Fields: make(map[string]json.RawMessage, len(r.starts))}
	for i, s := range r.shape.slots {
		v := r.js[r.starts[i]+uint32(len(keys[s].enc)) : r.pairEnd(i)]
		out.Fields[keys[s].name] = bytes.Clone(v)
	}
	return out
}

// fieldsOf returns the fields map of r (values alias r.js: read only).
func (r *rec) fieldsOf(keys []keySlot) map[string]json.RawMessage {
	m := make(map[string]json.RawMessage, len(r.starts))
	for i, s := range r.shape.slots {
		m[keys[s].name] = r.js[r.starts[i]+uint32(len(keys[s].enc)) : r.pairEnd(i)]
	}
	return m
}

// load stores a dataset's records.
func (o *objectStore) load(recs []knack.Record) error {
	o.recs = slices.Grow(o.recs, len(recs))
	if len(o.byID) == 0 {
		o.byID = make(map[string]*rec, len(recs))
	}
	for _, kr := range recs {
		if kr.ID == "" {
			return errors.New("a record without id")
		}
		r, err := o.encode(kr.ID, kr.Fields)
		if err != nil {
			return err
		}
		o.put(r)
	}
	return nil
}

// put inserts r, or replaces the record with the same id in its place.
func (o *objectStore) put(r *rec) (replaced bool) {
	if old, ok := o.byID[r.id]; ok {
		i := slices.Index(o.recs, old)
		o.recs[i] = r
		o.byID[r.id] = r
		return true
	}
	o.recs = append(o.recs, r)
	o.byID[r.id] = r
	return false
}

// remove deletes the record with id.
func (o *objectStore) remove(id string) bool {
	old, ok := o.byID[id]
	if !ok {
		return false
	}
	i := slices.Index(o.recs, old)
	o.recs = slices.Delete(o.recs, i, i+1)
	delete(o.byID, id)
	return true
}

// identifier is the display text of r's identifier field, used as the
// identifier of connections that point at r.
func (o *objectStore) identifier(r *rec) string {
	if o.obj.Identifier == "" {
		return ""
	}
	f := o.fields[o.obj.Identifier]
	raw := r.value(o.keys, o.lookup(o.obj.Identifier+"_raw"))
	formatted := r.value(o.keys, o.lookup(o.obj.Identifier))
	typ := ""
	if f != nil {
		typ = f.Type
	}
	return plainText(typ, raw, formatted)
}

// simpleJSON reports whether v is a JSON number, literal or string that
// needs no compaction: the bulk of a dataset's values, copied as they are
// instead of going through json.Compact.
func simpleJSON(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	switch v[0] {
	case '"':
		if len(v) < 2 || v[len(v)-1] != '"' {
			return false
		}
		for i := 1; i < len(v)-1; i++ {
			switch c := v[i]; {
			case c == '\\':
				if i+1 >= len(v)-1 {
					return false // the closing quote is escaped
				}
				i++
			case c == '"' || c < 0x20:
				return false
			}
		}
		return true
	case 't':
		return string(v) == "true"
	case 'f':
		return string(v) == "false"
	case 'n':
		return string(v) == "null"
	}
	return validNumber(v)
}

// validNumber checks the JSON number grammar.
func validNumber(v []byte) bool {
	i := 0
	if i < len(v) && v[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(v) && v[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(v) && v[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < len(v) && (v[i] == '+' || v[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(v)
}
