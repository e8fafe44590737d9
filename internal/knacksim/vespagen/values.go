package vespagen

import (
	"encoding/json"
	"strconv"
	"time"

	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
	"knacksync/internal/vespa"
)

// The vespa-scale dataset holds about ten million field values. They are
// written as JSON bytes directly (no map[string]any, no json.Marshal per
// value): each record's values live in one byte slice, and the values that
// repeat everywhere ("" , [], 0..10, true/false) are shared constants.

// Shared constant values. Every slice has len == cap, so that an append by a
// consumer copies instead of writing into a neighbour.
var (
	jsonEmpty     = fixed(`""`)
	jsonEmptyList = fixed(`[]`)
	jsonTrue      = fixed(`true`)
	jsonFalse     = fixed(`false`)
	jsonYes       = fixed(`"Yes"`)
	jsonNo        = fixed(`"No"`)
	smallInts     = func() [11]json.RawMessage {
		var out [11]json.RawMessage
		for i := range out {
			out[i] = fixed(strconv.Itoa(i))
		}
		return out
	}()
)

func fixed(s string) json.RawMessage {
	b := []byte(s)
	return b[:len(b):len(b)]
}

// keys is a field's two record keys: field_N and field_N_raw.
type keys struct{ f, raw string }

// keyCache hands out each field's keys once, so that the millions of map
// entries share a few hundred key strings.
type keyCache map[string]keys

func (c keyCache) of(f vespa.Field) keys {
	k, ok := c[f.Key]
	if !ok {
		k = keys{f: f.Key, raw: f.Key + "_raw"}
		c[f.Key] = k
	}
	return k
}

// builder assembles one record at a time. Values are appended to buf and
// addressed by offset until record() copies buf into the record's own slice.
type builder struct {
	buf  []byte
	ents []entry
	ov   []override
}

type entry struct {
	key        string
	shared     json.RawMessage // a constant value, or nil for buf[start:end]
	start, end int
}

// override replaces one key's value after the regular fields were written:
// this is how dirty values get into a record. A nil val removes the key.
type override struct {
	key string
	val json.RawMessage
}

func (b *builder) reset() {
	b.buf = b.buf[:0]
	b.ents = b.ents[:0]
	b.ov = b.ov[:0]
}

func (b *builder) put(key string, v json.RawMessage) {
	b.ents = append(b.ents, entry{key: key, shared: v})
}

// span records buf[start:] as key's value.
func (b *builder) span(key string, start int) {
	b.ents = append(b.ents, entry{key: key, start: start, end: len(b.buf)})
}

// both gives k.f and k.raw the same value.
func (b *builder) both(k keys, v json.RawMessage) {
	b.put(k.f, v)
	b.put(k.raw, v)
}

// set overrides both keys of a field; nil removes a key.
func (b *builder) set(k keys, formatted, raw json.RawMessage) {
	b.ov = append(b.ov, override{k.f, formatted}, override{k.raw, raw})
}

func (b *builder) record(id string) knack.Record {
	own := make([]byte, len(b.buf))
	copy(own, b.buf)
	m := make(map[string]json.RawMessage, len(b.ents))
	for _, e := range b.ents {
		if e.shared != nil {
			m[e.key] = e.shared
		} else {
			m[e.key] = own[e.start:e.end:e.end]
		}
	}
	for _, o := range b.ov {
		if o.val == nil {
			delete(m, o.key)
		} else {
			m[o.key] = o.val
		}
	}
	return knack.Record{ID: id, Fields: m}
}

// text writes a text value; formatted and raw are the same bytes.
func (b *builder) text(k keys, s string) {
	if s == "" {
		b.both(k, jsonEmpty)
		return
	}
	start := len(b.buf)
	b.buf = appendString(b.buf, s)
	b.span(k.f, start)
	b.span(k.raw, start)
}

// choice writes a single-choice value (raw is the option text).
func (b *builder) choice(k keys, s string) { b.text(k, s) }

func (b *builder) email(k keys, addr string) {
	if addr == "" {
		b.both(k, jsonEmpty)
		return
	}
	start := len(b.buf)
	b.buf = appendAnchor(b.buf, addr)
	b.span(k.f, start)
	start = len(b.buf)
	b.buf = append(b.buf, `{"email":`...)
	b.buf = appendString(b.buf, addr)
	b.buf = append(b.buf, '}')
	b.span(k.raw, start)
}

func (b *builder) name(k keys, first, last string) {
	full := first + " " + last
	start := len(b.buf)
	b.buf = appendString(b.buf, full)
	b.span(k.f, start)
	start = len(b.buf)
	b.buf = append(b.buf, `{"first":`...)
	b.buf = appendString(b.buf, first)
	b.buf = append(b.buf, `,"last":`...)
	b.buf = appendString(b.buf, last)
	b.buf = append(b.buf, `,"full":`...)
	b.buf = appendString(b.buf, full)
	b.buf = append(b.buf, '}')
	b.span(k.raw, start)
}

// conn writes a connection to one record; an empty id writes "" and [].
func (b *builder) conn(k keys, id, identifier string) {
	if id == "" {
		b.put(k.f, jsonEmpty)
		b.put(k.raw, jsonEmptyList)
		return
	}
	start := len(b.buf)
	b.buf = append(b.buf, `"<span class=\"`...)
	b.buf = append(b.buf, id...)
	b.buf = append(b.buf, `\">`...)
	b.buf = appendStringBody(b.buf, identifier)
	b.buf = append(b.buf, `</span>"`...)
	b.span(k.f, start)
	start = len(b.buf)
	b.buf = append(b.buf, `[{"id":"`...)
	b.buf = append(b.buf, id...)
	b.buf = append(b.buf, `","identifier":`...)
	b.buf = appendString(b.buf, identifier)
	b.buf = append(b.buf, `}]`...)
	b.span(k.raw, start)
}

func (b *builder) num(k keys, n int) {
	if n >= 0 && n < len(smallInts) {
		b.both(k, smallInts[n])
		return
	}
	start := len(b.buf)
	b.buf = strconv.AppendInt(b.buf, int64(n), 10)
	b.span(k.f, start)
	b.span(k.raw, start)
}

func (b *builder) float(k keys, f float64) {
	start := len(b.buf)
	b.buf = strconv.AppendFloat(b.buf, f, 'f', -1, 64)
	b.span(k.f, start)
	b.span(k.raw, start)
}

func (b *builder) yesNo(k keys, v bool) {
	if v {
		b.put(k.f, jsonYes)
		b.put(k.raw, jsonTrue)
	} else {
		b.put(k.f, jsonNo)
		b.put(k.raw, jsonFalse)
	}
}

// date writes a date_time value: formatted "DD/MM/YYYY" (with " 3:04pm"
// when withTime, the field's "HH:MM am" time format) and Knack's raw date
// object. t is the app's local wall time, kept as UTC.
func (b *builder) date(k keys, t time.Time, withTime bool) {
	if t.IsZero() {
		b.both(k, jsonEmpty)
		return
	}
	start := len(b.buf)
	b.buf = append(b.buf, '"')
	b.buf = appendDMY(b.buf, t)
	if withTime {
		b.buf = append(b.buf, ' ')
		b.buf = appendKitchen(b.buf, t)
	}
	b.buf = append(b.buf, '"')
	b.span(k.f, start)
	start = len(b.buf)
	b.buf = appendDateRaw(b.buf, t, withTime)
	b.span(k.raw, start)
}

// appendDateRaw writes Knack's raw date object (docs/knack-api.md §4), the
// same shape the simulator's Render gives.
func appendDateRaw(dst []byte, t time.Time, withTime bool) []byte {
	if !withTime {
		t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	h12 := t.Hour() % 12
	if h12 == 0 {
		h12 = 12
	}
	ampm := "AM"
	if t.Hour() >= 12 {
		ampm = "PM"
	}
	minutes := t.Hour()*60 + t.Minute()
	if !withTime {
		// Real Knack output: a date-only value says 12:00 AM, midnight in
		// the ISO text, and yet "time": 720.
		minutes = 720
	}
	dst = append(dst, `{"date":"`...)
	dst = appendMDY(dst, t)
	dst = append(dst, `","date_formatted":"`...)
	dst = appendDMY(dst, t)
	dst = append(dst, `","hours":"`...)
	dst = append2(dst, h12)
	dst = append(dst, `","minutes":"`...)
	dst = append2(dst, t.Minute())
	dst = append(dst, `","am_pm":"`...)
	dst = append(dst, ampm...)
	dst = append(dst, `","unix_timestamp":`...)
	dst = strconv.AppendInt(dst, t.UnixMilli(), 10)
	dst = append(dst, `,"iso_timestamp":"`...)
	dst = appendISO(dst, t)
	dst = append(dst, `","timestamp":"`...)
	dst = appendMDY(dst, t)
	dst = append(dst, ' ')
	dst = append2(dst, h12)
	dst = append(dst, ':')
	dst = append2(dst, t.Minute())
	dst = append(dst, ' ')
	if ampm == "AM" {
		dst = append(dst, "am"...)
	} else {
		dst = append(dst, "pm"...)
	}
	dst = append(dst, `","time":`...)
	dst = strconv.AppendInt(dst, int64(minutes), 10)
	return append(dst, '}')
}

func append2(dst []byte, n int) []byte {
	return append(dst, byte('0'+n/10%10), byte('0'+n%10))
}

func append4(dst []byte, n int) []byte {
	return append(dst, byte('0'+n/1000%10), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}

// appendDMY writes DD/MM/YYYY.
func appendDMY(dst []byte, t time.Time) []byte {
	dst = append2(dst, t.Day())
	dst = append(dst, '/')
	dst = append2(dst, int(t.Month()))
	dst = append(dst, '/')
	return append4(dst, t.Year())
}

// appendMDY writes MM/DD/YYYY.
func appendMDY(dst []byte, t time.Time) []byte {
	dst = append2(dst, int(t.Month()))
	dst = append(dst, '/')
	dst = append2(dst, t.Day())
	dst = append(dst, '/')
	return append4(dst, t.Year())
}

// appendISO writes YYYY-MM-DDTHH:MM:SS.000Z.
func appendISO(dst []byte, t time.Time) []byte {
	dst = append4(dst, t.Year())
	dst = append(dst, '-')
	dst = append2(dst, int(t.Month()))
	dst = append(dst, '-')
	dst = append2(dst, t.Day())
	dst = append(dst, 'T')
	dst = append2(dst, t.Hour())
	dst = append(dst, ':')
	dst = append2(dst, t.Minute())
	dst = append(dst, ':')
	dst = append2(dst, t.Second())
	return append(dst, ".000Z"...)
}

// appendKitchen writes the "HH:MM am" time format as Knack displays it:
// 4:50am, 12:05pm.
func appendKitchen(dst []byte, t time.Time) []byte {
	h12 := t.Hour() % 12
	if h12 == 0 {
		h12 = 12
	}
	dst = strconv.AppendInt(dst, int64(h12), 10)
	dst = append(dst, ':')
	dst = append2(dst, t.Minute())
	if t.Hour() < 12 {
		return append(dst, "am"...)
	}
	return append(dst, "pm"...)
}

// appendAnchor writes the formatted e-mail value, a JSON string holding
// <a href="mailto:addr">addr</a>.
func appendAnchor(dst []byte, addr string) []byte {
	dst = append(dst, `"<a href=\"mailto:`...)
	dst = appendStringBody(dst, addr)
	dst = append(dst, `\">`...)
	dst = appendStringBody(dst, addr)
	return append(dst, `</a>"`...)
}

// appendString writes s as a JSON string (knacksim's encoder: bytes >= 0x80
// as they are, no HTML escaping). s is valid UTF-8: hostile text is planted
// as JSON escapes instead (see plant.go).
func appendString(dst []byte, s string) []byte { return knacksim.AppendJSONString(dst, s) }

func appendStringBody(dst []byte, s string) []byte { return knacksim.AppendJSONStringBody(dst, s) }

// jsonText is s as a standalone JSON string value.
func jsonText(s string) json.RawMessage {
	b := appendString(nil, s)
	return b[:len(b):len(b)]
}

// jsonRaw is a literal JSON value.
func jsonRaw(s string) json.RawMessage { return fixed(s) }
