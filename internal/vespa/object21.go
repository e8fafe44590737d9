package vespa

import (
	"knacksync/internal/knack"
)

// Object21Fields is object_21, super users.
type Object21Fields struct {
	Object string
	Email  Field
	Name   Field
}

// Object21 is the live app's object_21.
var Object21 = Object21Fields{
	Object: "object_21",
	Email:  email("field_473"),
	Name:   name("field_472"),
}

func object21Labels(add func(Field, string)) {
	add(Object21.Email, "Email")
	add(Object21.Name, "Name")
}

// SuperUserRow is one row of public.super_users.
type SuperUserRow struct {
	KnackID string
	Email   string
	Name    string
}

// ProjectObject21 maps an object_21 record to its super_users row, its
// email as Knack gives it (the dashboard's super-user check matches it
// exactly). Without a valid email the record gives no row (ok=false) and a
// RuleEmail issue.
func ProjectObject21(rec knack.Record) (SuperUserRow, []Issue, bool) {
	f := Object21
	is := newIssues(f.Object, rec)
	email, err := knack.DecodeEmailAsGiven(rec, f.Email.Key)
	if err != nil {
		is.addErr(RuleEmail, f.Email, err, emailDetail(err, "super user"))
		return SuperUserRow{}, is.list, false
	}
	return SuperUserRow{
		KnackID: knack.CleanText(rec.ID),
		Email:   email,
		Name:    readText(rec, f.Name),
	}, is.list, true
}

// Staging: the columns of stg_super_users (sql/object21.sql, "stage").
var superUserCols = []string{"knack_id", "email", "name"}

func stageObject21(s Stager, rec knack.Record, _ Context) {
	row, issues, ok := ProjectObject21(rec)
	stageIssues(s, issues)
	s.Record(false, "")
	if ok {
		s.Row("stg_super_users", superUserCols, row.KnackID, row.Email, s.Fit(rec.ID, "super_users.name", row.Name, 255))
	}
}
