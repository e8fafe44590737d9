package vespa

import (
	"knacksync/internal/knack"
)

// Object5Fields is object_5, staff admin accounts.
type Object5Fields struct {
	Object        string
	Email         Field
	Name          Field
	Establishment Field
}

// Object5 is the live app's object_5.
var Object5 = Object5Fields{
	Object:        "object_5",
	Email:         email("field_86"),
	Name:          name("field_85"),
	Establishment: conn("field_110", "object_2"),
}

func object5Labels(add func(Field, string)) {
	add(Object5.Email, "Email")
	add(Object5.Name, "Name")
	add(Object5.Establishment, "Establishment")
}

// StaffRow is one row of public.staff_admins.
type StaffRow struct {
	KnackID              string
	Email                string
	Name                 string
	EstablishmentKnackID string
}

// ProjectObject5 maps an object_5 record to its staff_admins row, its email
// lower-cased (the dashboard reads staff admins lower-cased). Without a
// valid email the record gives no row (ok=false) and a RuleEmail issue. An
// establishment that is not in ctx.Establishments is reported and left ""
// (establishment_id NULL); an empty one is not reported, since about half
// of the staff admins have none (docs/mapping.md, "Field map").
func ProjectObject5(rec knack.Record, ctx Context) (StaffRow, []Issue, bool) {
	f := Object5
	is := newIssues(f.Object, rec)
	email, err := knack.DecodeEmail(rec, f.Email.Key)
	if err != nil {
		is.addErr(RuleEmail, f.Email, err, emailDetail(err, "staff admin"))
		return StaffRow{}, is.list, false
	}
	estID, _, known, ids := establishmentOf(rec, f.Establishment, ctx)
	if !known && len(ids) > 0 {
		is.add(RuleEstablishment, f.Establishment, joinIDs(ids), establishmentDetail(ids, "staff admin"))
	}
	return StaffRow{
		KnackID:              knack.CleanText(rec.ID),
		Email:                email,
		Name:                 readText(rec, f.Name),
		EstablishmentKnackID: estID,
	}, is.list, true
}

// Staging: the columns of stg_staff (sql/object5.sql, "stage").
var staffCols = []string{"knack_id", "email", "name", "establishment_knack_id"}

func stageObject5(s Stager, rec knack.Record, ctx Context) {
	row, issues, ok := ProjectObject5(rec, ctx)
	stageIssues(s, issues)
	s.Record(false, "")
	if ok {
		s.Row("stg_staff", staffCols, row.KnackID, row.Email, s.Fit(rec.ID, "staff_admins.name", row.Name, 255), row.EstablishmentKnackID)
	}
}
