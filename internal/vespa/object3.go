package vespa

import (
	"knacksync/internal/knack"
)

// Object3Fields is object_3, all user accounts; only id → email is used.
type Object3Fields struct {
	Object string
	Email  Field
}

// Object3 is the live app's object_3.
var Object3 = Object3Fields{
	Object: "object_3",
	Email:  email("field_70"),
}

func object3Labels(add func(Field, string)) {
	add(Object3.Email, "Email")
}

// ProjectObject3 reads an object_3 account as its id and email (as given),
// for the id → email map of academic profiles (rule 13). An account without
// a valid email gives email "" and a RuleEmail issue; leave it out of the
// map, and the profiles that point to it are reported in turn.
func ProjectObject3(rec knack.Record) (id, email string, issues []Issue) {
	f := Object3
	is := newIssues(f.Object, rec)
	email, err := knack.DecodeEmailAsGiven(rec, f.Email.Key)
	if err != nil {
		detail := "invalid account email; left out of the account map"
		if isNoValue(err) {
			detail = "no account email; left out of the account map"
		}
		is.addErr(RuleEmail, f.Email, err, detail)
	}
	return knack.CleanText(rec.ID), email, is.list
}

// Staging: the columns of stg_accounts (sql/object3.sql, "stage").
var accountCols = []string{"record_id", "email"}

func stageObject3(s Stager, rec knack.Record, _ Context) {
	id, email, issues := ProjectObject3(rec)
	stageIssues(s, issues)
	s.Record(false, "")
	if email != "" {
		s.Row("stg_accounts", accountCols, id, email)
	}
}
