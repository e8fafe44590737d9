package vespa

import (
	"strings"

	"knacksync/internal/knack"
)

// ProjectEstablishment maps an object_2 record to its establishments row.
// Every establishment is mirrored (rule 10: filters are applied elsewhere).
// The name is field_44, else field_11, else the record's identifier, else
// "Establishment <first 8 characters of the id>"; a name reading "EMPTY" (any
// case) counts as empty. An unreadable yes/no flag is reported and read as
// false (is_australian) or empty (use_standard_year, i.e. the UK rule).
func ProjectEstablishment(rec knack.Record) (EstablishmentRow, []Issue) {
	f := Establishments
	is := newIssues(f.Object, rec)
	row := EstablishmentRow{
		KnackID:    knack.CleanText(rec.ID),
		Name:       establishmentName(rec),
		Status:     readText(rec, f.Status),
		PortalType: readText(rec, f.PortalType),
	}
	if v, err := knack.DecodeBool(rec, f.IsAustralian.Key); err != nil {
		is.addErr(RuleValue, f.IsAustralian, err, "is_australian is not yes/no; read as no")
	} else if v != nil {
		row.IsAustralian = *v
	}
	if v, err := knack.DecodeBool(rec, f.UseStandardYear.Key); err != nil {
		is.addErr(RuleValue, f.UseStandardYear, err, "use_standard_year is not yes/no; read as empty (UK rule)")
	} else {
		row.UseStandardYear = v
	}
	return row, is.list
}

// Info is what the academic-year rule needs of the establishment.
func (r EstablishmentRow) Info() EstablishmentInfo {
	return EstablishmentInfo{Name: r.Name, IsAustralian: r.IsAustralian, UseStandardYear: r.UseStandardYear}
}

func establishmentName(rec knack.Record) string {
	for _, f := range []Field{Establishments.Name, Establishments.NameFallback} {
		if n := readText(rec, f); usableName(n) {
			return n
		}
	}
	// Knack puts no identifier on a record of its own; a record that went
	// through a view or an export may carry one.
	if n := knack.DecodeText(rec, "identifier"); usableName(n) {
		return n
	}
	id := knack.CleanText(rec.ID)
	if len(id) > 8 {
		id = id[:8]
	}
	return "Establishment " + id
}

func usableName(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && !strings.EqualFold(s, "EMPTY")
}
