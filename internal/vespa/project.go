package vespa

// Helpers shared by the projections (records → rows). Every projection is a
// pure function of a record and a Context: no clock, no I/O. A projection
// returns ok=false only when the record cannot produce any row (no usable
// identity, e.g. an invalid email); its issues say why. A record that is
// taken but produces no cycle, answer, comment or subject still returns
// ok=true with empty lists, so that the store can delete the rows it owned
// before (docs/mapping.md, rule 11).

import (
	"errors"
	"strings"
	"time"

	"knacksync/internal/knack"
)

// issueList collects the data issues of one record.
type issueList struct {
	object string
	record string
	list   []Issue
}

func newIssues(object string, rec knack.Record) *issueList {
	return &issueList{object: object, record: rec.ID}
}

func (is *issueList) add(rule string, f Field, value, detail string) {
	is.list = append(is.list, Issue{
		Object:   is.object,
		RecordID: is.record,
		Rule:     rule,
		Field:    f.Key,
		Value:    knack.CleanText(value),
		Detail:   detail,
	})
}

// addErr reports a decoder error, with the offending value it carries.
func (is *issueList) addErr(rule string, f Field, err error, detail string) {
	var ve *knack.ValueError
	value := ""
	if errors.As(err, &ve) {
		value = ve.Value
	}
	is.add(rule, f, value, detail)
}

func isNoValue(err error) bool { return errors.Is(err, knack.ErrNoValue) }

// readText reads a field as text in the way its type asks: a name object, a
// multiple choice (list or string), else plain text. The text is cleaned
// (rule 14) and otherwise kept as Knack gives it.
func readText(rec knack.Record, f Field) string {
	switch f.Type {
	case TypeName:
		return knack.DecodeName(rec, f.Key)
	case TypeMultipleChoice:
		return knack.DecodeChoice(rec, f.Key)
	}
	return knack.DecodeText(rec, f.Key)
}

func joinIDs(ids []string) string { return strings.Join(ids, ",") }

// blank reports whether text is empty once surrounding white space is gone.
func blank(s string) bool { return strings.TrimSpace(s) == "" }

// establishmentOf resolves a connection to object_2 against the
// establishments of the run: the first connected id that is known. known is
// false when the record names no establishment or only unknown ones; ids then
// lists what it names (for the issue).
func establishmentOf(rec knack.Record, f Field, ctx Context) (id string, info EstablishmentInfo, known bool, ids []string) {
	ids = knack.DecodeConnectionIDs(rec, f.Key)
	for _, id := range ids {
		if info, ok := ctx.Establishments[id]; ok {
			return id, info, true, ids
		}
	}
	return "", EstablishmentInfo{}, false, ids
}

// firstSeenDate is the calendar date (UTC) on which the service first saw a
// record: the date that gives the academic year of a record without a
// completion date (rule 4). ok is false when the context carries none.
func firstSeenDate(ctx Context) (time.Time, bool) {
	if ctx.FirstSeen.IsZero() {
		return time.Time{}, false
	}
	y, m, d := ctx.FirstSeen.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), true
}

func emailDetail(err error, who string) string {
	if errors.Is(err, knack.ErrNoValue) {
		return "no " + who + " email; record skipped"
	}
	return "invalid " + who + " email; record skipped"
}

func establishmentDetail(ids []string, who string) string {
	if len(ids) == 0 {
		return "no establishment; " + who + " stored without one"
	}
	return "establishment not among the synced establishments; " + who + " stored without one"
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}
