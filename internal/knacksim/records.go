package knacksim

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Values of the format parameter.
const (
	formatBoth = "both"
	formatRaw  = "raw"
	formatHTML = "html"
)

// recordHandler serves one record route for an object.
type recordHandler func(w http.ResponseWriter, r *http.Request, o *objectStore) error

// objectRoute resolves {object} for the object-based routes.
func (s *Server) objectRoute(h recordHandler) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		key := r.PathValue("object")
		o, ok := s.objects[key] // the object set is fixed at New: no lock
		if !ok {
			return textError(http.StatusBadRequest, "Malformed Object Key: "+key)
		}
		return h(w, r, o)
	}
}

// viewRoute resolves {scene}/{view} for the view-based routes and checks the
// user token on login-protected scenes (the app's API key also passes).
func (s *Server) viewRoute(h recordHandler) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		v, ok := s.views[r.PathValue("scene")+"/"+r.PathValue("view")]
		if !ok {
			return jsonError(http.StatusNotFound, "View not found")
		}
		if v.scene.LoginRequired && r.Header.Get("X-Knack-REST-API-Key") != s.apiKey {
			if _, err := s.validToken(r.Header.Get("Authorization")); err != nil {
				return jsonError(http.StatusUnauthorized, "Invalid token. Please reauthenticate.")
			}
		}
		return h(w, r, s.objects[v.object])
	}
}

func formatParam(r *http.Request) string {
	switch r.URL.Query().Get("format") {
	case formatRaw:
		return formatRaw
	case formatHTML:
		return formatHTML
	}
	return formatBoth
}

// recordID reads {id}: a 24-hex ObjectId, else 400 "Malformed Record Key".
func recordID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !isObjectID(id) {
		return "", textError(http.StatusBadRequest, "Malformed Record Key: "+id)
	}
	return strings.ToLower(id), nil
}

func (s *Server) notFound(id string) error {
	if s.opts.NotFoundStatus == http.StatusBadRequest {
		return textError(http.StatusBadRequest, "Malformed Record Key: "+id)
	}
	return jsonError(s.opts.NotFoundStatus, "Record not found")
}

var pageBufs = sync.Pool{New: func() any { return new([]byte) }}

// list serves a page of records: filters, sort, page, rows_per_page, format.
func (s *Server) list(w http.ResponseWriter, r *http.Request, o *objectStore) error {
	q := r.URL.Query()
	page := 1
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p >= 1 {
		page = p
	}
	rpp := 25
	if n, err := strconv.Atoi(q.Get("rows_per_page")); err == nil && n >= 1 {
		rpp = min(n, 1000)
	}
	format := formatParam(r)
	sortField := q.Get("sort_field")
	desc := strings.EqualFold(q.Get("sort_order"), "desc")
	env := filterEnv{now: wallOf(s.now().In(s.loc), true).t, caseSensitive: s.opts.CaseSensitive}

	var (
		m     matcher
		total int
		recs  []*rec
		keys  []keySlot
		sf    *sortSpec
	)
	s.mu.RLock()
	keys = o.keys
	if f := q.Get("filters"); f != "" {
		var err error
		if m, err = compileFilters(f, o, env); err != nil {
			s.mu.RUnlock()
			s.log.DebugContext(r.Context(), "knack simulator: bad filters", "err", err)
			return jsonError(http.StatusBadRequest, "Invalid filters")
		}
	}
	if sortField != "" {
		var err error
		if sf, err = newSortSpec(o, sortField, desc); err != nil {
			s.mu.RUnlock()
			return err
		}
	}
	if m == nil && sf == nil {
		total = len(o.recs)
		if lo := (page - 1) * rpp; lo < total {
			recs = slices.Clone(o.recs[lo:min(lo+rpp, total)])
		}
	} else {
		// Records are immutable, so the matching set can be sorted after
		// unlocking; filtering itself reads slots and so stays inside.
		if m == nil {
			recs = slices.Clone(o.recs)
		} else {
			for _, rc := range o.recs {
				if m.match(keys, rc) {
					recs = append(recs, rc)
				}
			}
		}
	}
	s.mu.RUnlock()
	if m != nil || sf != nil {
		if sf != nil {
			recs = sf.sort(keys, recs)
		}
		total = len(recs)
		if lo := (page - 1) * rpp; lo < total {
			recs = recs[lo:min(lo+rpp, total)]
		} else {
			recs = nil
		}
	}

	bp := pageBufs.Get().(*[]byte)
	defer pageBufs.Put(bp)
	size := 128
	for _, rc := range recs {
		size += len(rc.js) + 1
	}
	buf := slices.Grow((*bp)[:0], size)
	buf = append(buf, `{"total_pages":`...)
	buf = strconv.AppendInt(buf, int64((total+rpp-1)/rpp), 10)
	buf = append(buf, `,"current_page":`...)
	if s.opts.CurrentPageAsString && q.Has("page") {
		buf = append(buf, '"')
		buf = strconv.AppendInt(buf, int64(page), 10)
		buf = append(buf, '"')
	} else {
		buf = strconv.AppendInt(buf, int64(page), 10)
	}
	buf = append(buf, `,"total_records":`...)
	buf = strconv.AppendInt(buf, int64(total), 10)
	buf = append(buf, `,"records":[`...)
	for i, rc := range recs {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = rc.appendFormat(buf, keys, format)
	}
	buf = append(buf, "]}"...)
	*bp = buf
	w.Header().Set("Content-Length", strconv.Itoa(len(buf)))
	writeJSON(w, http.StatusOK, buf)
	return nil
}

// get serves one record, bare (not wrapped).
func (s *Server) get(w http.ResponseWriter, r *http.Request, o *objectStore) error {
	id, err := recordID(r)
	if err != nil {
		return err
	}
	s.mu.RLock()
	rc, keys := o.byID[id], o.keys
	s.mu.RUnlock()
	if rc == nil {
		return s.notFound(id)
	}
	writeJSON(w, http.StatusOK, rc.appendFormat(nil, keys, formatParam(r)))
	return nil
}

// create stores a new record from Knack's write format and returns it.
func (s *Server) create(w http.ResponseWriter, r *http.Request, o *objectStore) error {
	body, err := decodeBody(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	fields, errs := s.renderWrite(o, body, "", nil)
	if len(errs) > 0 {
		s.mu.Unlock()
		return fieldErrors(http.StatusBadRequest, errs)
	}
	rc, err := o.encode(s.newID(), fields)
	if err == nil {
		o.put(rc)
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	s.hooks.emit(o.obj.Key, rc.id, "create")
	writeJSON(w, http.StatusOK, rc.js)
	return nil
}

// update applies a partial update: fields left out keep their values.
func (s *Server) update(w http.ResponseWriter, r *http.Request, o *objectStore) error {
	id, err := recordID(r)
	if err != nil {
		return err
	}
	body, err := decodeBody(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	old := o.byID[id]
	if old == nil {
		s.mu.Unlock()
		return s.notFound(id)
	}
	fields, errs := s.renderWrite(o, body, id, old.fieldsOf(o.keys))
	if len(errs) > 0 {
		s.mu.Unlock()
		return fieldErrors(http.StatusBadRequest, errs)
	}
	rc, err := o.encode(id, fields)
	if err == nil {
		o.put(rc)
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	s.hooks.emit(o.obj.Key, id, "update")
	writeJSON(w, http.StatusOK, rc.js)
	return nil
}

// remove deletes a record: {"delete":true}.
func (s *Server) remove(w http.ResponseWriter, r *http.Request, o *objectStore) error {
	id, err := recordID(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	ok := o.remove(id)
	s.mu.Unlock()
	if !ok {
		return s.notFound(id)
	}
	s.hooks.emit(o.obj.Key, id, "delete")
	writeJSON(w, http.StatusOK, []byte(`{"delete":true}`))
	return nil
}

// decodeBody reads a JSON object body (numbers kept as json.Number).
func decodeBody(r *http.Request) (map[string]any, error) {
	d := json.NewDecoder(io.LimitReader(r.Body, 16<<20))
	d.UseNumber()
	var body map[string]any
	if err := d.Decode(&body); err != nil || body == nil {
		return nil, jsonError(http.StatusBadRequest, "Invalid JSON in request body")
	}
	return body, nil
}

// renderWrite turns a write body into stored values. Keys that are not the
// object's field keys (field_N_raw, id, unknown fields) are ignored, as a
// partial copy of a read record must be writable back. On create (existing
// nil) fields left out are stored blank and required ones are errors; on
// update they keep their values. The caller holds s.mu for writing.
func (s *Server) renderWrite(o *objectStore, body map[string]any, selfID string, existing map[string]json.RawMessage) (map[string]json.RawMessage, []*FieldError) {
	out := make(map[string]json.RawMessage, 2*len(o.obj.Fields)+len(existing))
	for k, v := range existing {
		out[k] = v
	}
	identify := func(object, id string) (string, bool) {
		t, ok := s.objects[object]
		if !ok {
			return "", false
		}
		rc, ok := t.byID[id]
		if !ok {
			return "", false
		}
		return t.identifier(rc), true
	}
	var errs []*FieldError
	for i := range o.obj.Fields {
		f := &o.obj.Fields[i]
		v, present := body[f.Key]
		if !present && existing != nil {
			continue
		}
		formatted, raw, err := render(*f, v, identify)
		if err != nil {
			if fe, ok := err.(*FieldError); ok {
				errs = append(errs, fe)
			} else {
				errs = append(errs, invalid(*f, "is not valid"))
			}
			continue
		}
		blank := blankJSON(raw) && blankJSON(formatted)
		if f.Required && blank {
			errs = append(errs, &FieldError{Field: f.Key, Type: "required", Message: fieldLabel(*f) + " is required."})
			continue
		}
		if f.Unique && !blank && s.taken(o, f, raw, formatted, selfID) {
			errs = append(errs, &FieldError{Field: f.Key, Type: "unique", Message: fieldLabel(*f) + " must be unique."})
			continue
		}
		out[f.Key], out[f.Key+"_raw"] = formatted, raw
	}
	return out, errs
}

// taken reports whether another record of o holds the same value in f
// (compared as text, case-insensitively).
func (s *Server) taken(o *objectStore, f *Field, raw, formatted []byte, selfID string) bool {
	want := strings.ToLower(plainText(f.Type, raw, formatted))
	rs, fs := o.lookup(f.Key+"_raw"), o.lookup(f.Key)
	for _, rc := range o.recs {
		if rc.id != selfID && strings.ToLower(plainText(f.Type, rc.value(o.keys, rs), rc.value(o.keys, fs))) == want {
			return true
		}
	}
	return false
}
