package knacksim

import (
	"net/http"
	"slices"
	"strings"
)

// sortSpec is a compiled sort_field/sort_order.
type sortSpec struct {
	kind     string
	typ      string
	raw, fmt int
	desc     bool
}

// newSortSpec checks sort_field: "id" or one of the object's fields, else
// 400 {"errors":[{"message":"Invalid sort_field"}]} (Knack's answer is
// unverified).
func newSortSpec(o *objectStore, field string, desc bool) (*sortSpec, error) {
	if field == "id" {
		return &sortSpec{kind: kindID, desc: desc, raw: -1, fmt: -1}, nil
	}
	f, ok := o.fields[field]
	if !ok {
		return nil, jsonError(http.StatusBadRequest, "Invalid sort_field")
	}
	return &sortSpec{kind: kindOf(f.Type), typ: f.Type, raw: o.lookup(field + "_raw"), fmt: o.lookup(field), desc: desc}, nil
}

type sortItem struct {
	r     *rec
	blank bool
	num   float64
	str   string
}

// sort orders recs by the field: numbers and dates by value, text (and
// choices, connection identifiers) case-insensitively; blanks come first
// ascending and last descending; ties keep storage order.
func (sp *sortSpec) sort(keys []keySlot, recs []*rec) []*rec {
	items := make([]sortItem, len(recs))
	for i, rc := range recs {
		it := sortItem{r: rc}
		raw, formatted := rc.value(keys, sp.raw), rc.value(keys, sp.fmt)
		switch sp.kind {
		case kindID:
			it.str = rc.id
		case kindNumber:
			it.num, it.blank = numberOf(raw, formatted)
			it.blank = !it.blank
		case kindDate:
			t, ok := dateOf(raw, formatted)
			it.num, it.blank = float64(t.UnixMilli()), !ok
		case kindBool:
			b, ok := boolOf(raw, formatted)
			it.blank = !ok
			if b {
				it.num = 1
			}
		case kindChoice:
			it.str = strings.ToLower(strings.Join(choicesOf(raw, formatted), ", "))
			it.blank = it.str == ""
		case kindConn:
			if refs := connectionsOf(raw); len(refs) > 0 {
				it.str = strings.ToLower(refs[0].Identifier)
			} else {
				it.blank = true
			}
		default:
			it.str = strings.ToLower(plainText(sp.typ, raw, formatted))
			it.blank = it.str == ""
		}
		items[i] = it
	}
	numeric := sp.kind == kindNumber || sp.kind == kindDate || sp.kind == kindBool
	slices.SortStableFunc(items, func(a, b sortItem) int {
		c := 0
		switch {
		case a.blank || b.blank:
			c = boolCmp(!a.blank, !b.blank)
		case numeric:
			c = cmpFloat(a.num, b.num)
		default:
			c = strings.Compare(a.str, b.str)
		}
		if sp.desc {
			return -c
		}
		return c
	})
	out := make([]*rec, len(items))
	for i, it := range items {
		out[i] = it.r
	}
	return out
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
