package vespa

import (
	"knacksync/internal/knack"
)

// ProjectStaff maps an object_5 record to its staff_admins row, its email
// lower-cased (the dashboard reads staff admins lower-cased). Without a
// valid email the record gives no row (ok=false) and a RuleEmail issue. An
// establishment that is not in ctx.Establishments is reported and left ""
// (establishment_id NULL); an empty one is not reported, since about half
// of the staff admins have none (docs/mapping.md, "Field map").
func ProjectStaff(rec knack.Record, ctx Context) (StaffRow, []Issue, bool) {
	f := Staff
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

// ProjectSuperUser maps an object_21 record to its super_users row, its
// email as Knack gives it (the dashboard's super-user check matches it
// exactly). Without a valid email the record gives no row (ok=false) and a
// RuleEmail issue.
func ProjectSuperUser(rec knack.Record) (SuperUserRow, []Issue, bool) {
	f := SuperUsers
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

// ProjectAccount reads an object_3 account as its id and email (as given),
// for the id → email map of academic profiles (rule 13). An account without
// a valid email gives email "" and a RuleEmail issue; leave it out of the
// map, and the profiles that point to it are reported in turn.
func ProjectAccount(rec knack.Record) (id, email string, issues []Issue) {
	f := Accounts
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
