package vespa

import (
	"strings"

	"knacksync/internal/knack"
)

// Object2Fields is object_2, the establishments (schools, colleges).
type Object2Fields struct {
	Object          string
	Name            Field // "EMPTY" counts as empty
	NameFallback    Field
	Status          Field // "Active", "Cancelled", ...
	PortalType      Field // "COACHING PORTAL", "RESOURCE PORTAL", empty
	IsAustralian    Field
	UseStandardYear Field // may be empty, which means the UK rule
}

// Object2 is the live app's object_2.
var Object2 = Object2Fields{
	Object:          "object_2",
	Name:            text("field_44"),
	NameFallback:    text("field_11"),
	Status:          choice("field_2209"),
	PortalType:      choice("field_63"),
	IsAustralian:    yesNo("field_3573"),
	UseStandardYear: yesNo("field_3752"),
}

func object2Labels(add func(Field, string)) {
	e := Object2
	add(e.Name, "Name")
	add(e.NameFallback, "Name (fallback)")
	add(e.Status, "Status")
	add(e.PortalType, "Portal type")
	add(e.IsAustralian, "Australian")
	add(e.UseStandardYear, "Uses the standard year")
}

// EstablishmentRow is one row of public.establishments.
type EstablishmentRow struct {
	KnackID         string
	Name            string
	Status          string
	PortalType      string
	IsAustralian    bool
	UseStandardYear *bool
}

// ProjectObject2 maps an object_2 record to its establishments row.
// Every establishment is mirrored (rule 10: filters are applied elsewhere).
// The name is field_44, else field_11, else the record's identifier, else
// "Establishment <first 8 characters of the id>"; a name reading "EMPTY" (any
// case) counts as empty. An unreadable yes/no flag is reported and read as
// false (is_australian) or empty (use_standard_year, i.e. the UK rule).
func ProjectObject2(rec knack.Record) (EstablishmentRow, []Issue) {
	f := Object2
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
	for _, f := range []Field{Object2.Name, Object2.NameFallback} {
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

// Staging: the columns of stg_establishments (sql/object2.sql, "stage").
var establishmentCols = []string{"knack_id", "name", "status", "portal_type", "is_australian", "use_standard_year"}

func stageObject2(s Stager, rec knack.Record, _ Context) {
	row, issues := ProjectObject2(rec)
	stageIssues(s, issues)
	s.Record(false, "")
	id := rec.ID
	s.Row("stg_establishments", establishmentCols, row.KnackID, s.Fit(id, "establishments.name", row.Name, 255),
		s.Fit(id, "establishments.status", row.Status, 50), s.Fit(id, "establishments.portal_type", row.PortalType, 50),
		row.IsAustralian, row.UseStandardYear)
}
