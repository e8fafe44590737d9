package knacksim

import (
	"fmt"

	"knacksync/internal/knack"
)

// Put inserts rec into object, or replaces the record with its id in place,
// bypassing HTTP, auth, limits, validation and change hints. Fields are
// stored as given (compacted). An empty ID gets a new one. It panics on an
// object the schema lacks or on invalid JSON: it is a test helper.
func (s *Server) Put(object string, rec knack.Record) {
	o, ok := s.objects[object]
	if !ok {
		panic(fmt.Sprintf("knacksim: Put on unknown object %q", object))
	}
	if rec.ID == "" {
		rec.ID = s.newID()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rc, err := o.encode(rec.ID, rec.Fields)
	if err != nil {
		panic("knacksim: Put: " + err.Error())
	}
	o.put(rc)
}

// Delete removes a record, bypassing HTTP; it reports whether it existed.
func (s *Server) Delete(object, id string) bool {
	o, ok := s.objects[object]
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return o.remove(id)
}

// Get returns one record, bypassing HTTP.
func (s *Server) Get(object, id string) (knack.Record, bool) {
	o, ok := s.objects[object]
	if !ok {
		return knack.Record{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	rc, ok := o.byID[id]
	if !ok {
		return knack.Record{}, false
	}
	return rc.record(o.keys), true
}

// Records returns a copy of an object's records in storage order.
func (s *Server) Records(object string) []knack.Record {
	o, ok := s.objects[object]
	if !ok {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]knack.Record, len(o.recs))
	for i, rc := range o.recs {
		out[i] = rc.record(o.keys)
	}
	return out
}

// Count is the number of records of an object.
func (s *Server) Count(object string) int {
	o, ok := s.objects[object]
	if !ok {
		return 0
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(o.recs)
}
