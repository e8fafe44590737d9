package vespa

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"regexp"
	"strconv"
	"strings"

	"knacksync/internal/knack"
)

// ProjectProfile maps an object_112 record to its academic profile and
// subjects (docs/mapping.md, rules 4, 12, 13, 14).
//
//   - The email is that of the object_3 account in field_3064 (as Knack
//     gives it, trimmed: rule 1), looked up in
//     ctx.Accounts (read once per run). A profile without an account, or
//     whose account is not in the map (or has no valid email), is reported
//     (RuleAccount) and gives no rows (ok=false).
//   - The academic year follows rule 4 (a profile has no date): the year of
//     ctx.FirstSeen, under the rule (UK or Australian) of its establishment.
//   - Attendance is a share 0..1: "93%" → 0.93, "0.93" → 0.93, and a bare
//     number above 1 is read as a percentage, "93" → 0.93 (so "1" is 100%).
//     Empty is NULL; anything else (text, a negative value, above 100%) is
//     reported (RuleValue) and NULL.
//   - Prior attainment is a number; text is reported and NULL.
//   - Subjects 1..15: each non-empty field is JSON text. Invalid JSON, or
//     JSON without a non-blank "subject", is reported (RuleSubject) and that
//     position is skipped. Empty fields give no row; the store deletes a
//     position that became empty (current year).
//   - An establishment that is empty or unknown is reported; the profile is
//     stored with EstablishmentKnackID and EstablishmentName "" and the UK
//     rule.
func ProjectProfile(rec knack.Record, ctx Context) (ProfileRows, []Issue, bool) {
	f := Profiles
	is := newIssues(f.Object, rec)

	account := knack.DecodeConnectionID(rec, f.Account.Key)
	email := knack.TrimEmail(ctx.Accounts[account])
	switch {
	case account == "":
		is.add(RuleAccount, f.Account, "", "no account; profile not stored")
		return ProfileRows{}, is.list, false
	case !knack.ValidEmail(email):
		is.add(RuleAccount, f.Account, account, "account not found, or without a valid email; profile not stored")
		return ProfileRows{}, is.list, false
	}

	estID, est, known, ids := establishmentOf(rec, f.Establishment, ctx)
	if !known {
		is.add(RuleEstablishment, f.Establishment, joinIDs(ids), establishmentDetail(ids, "profile"))
	}
	first, ok := firstSeenDate(ctx)
	if !ok {
		is.add(RuleDate, Field{}, "", "no first-seen time for a profile; profile not stored")
		return ProfileRows{}, is.list, false
	}

	p := ProfileRow{
		KnackID:              knack.CleanText(rec.ID),
		Email:                email,
		AcademicYear:         AcademicYear(first, est),
		StudentName:          readText(rec, f.StudentName),
		YearGroup:            readText(rec, f.YearGroup),
		TutorGroup:           readText(rec, f.TutorGroup),
		UPN:                  readText(rec, f.UPN),
		UCI:                  readText(rec, f.UCI),
		CentreNumber:         readText(rec, f.CentreNumber),
		EstablishmentKnackID: estID,
		EstablishmentName:    knack.CleanText(est.Name),
	}
	if s := readText(rec, f.Attendance); !blank(s) {
		if v, ok := parseShare(s); ok {
			p.Attendance = &v
		} else {
			is.add(RuleValue, f.Attendance, s, "attendance is not a share or a percentage; stored as NULL")
		}
	}
	if v, err := knack.DecodeNumber(rec, f.PriorAttainment.Key); err != nil {
		is.addErr(RuleValue, f.PriorAttainment, err, "prior attainment is not a number; stored as NULL")
	} else {
		p.PriorAttainment = v
	}

	rows := ProfileRows{Profile: p}
	for i, sf := range f.Subjects {
		text := readText(rec, sf)
		if blank(text) {
			continue
		}
		s, ok := readSubject(i+1, text, sf, is)
		if ok {
			rows.Subjects = append(rows.Subjects, s)
		}
	}
	return rows, is.list, true
}

// readSubject decodes one subject's JSON text.
func readSubject(pos int, text string, f Field, is *issueList) (SubjectRow, bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		// Only the formatted value may be there, with entities (&quot;).
		if err := json.Unmarshal([]byte(html.UnescapeString(text)), &m); err != nil {
			is.add(RuleSubject, f, text, fmt.Sprintf("subject %d is not valid JSON; skipped", pos))
			return SubjectRow{}, false
		}
	}
	s := SubjectRow{
		Position:             pos,
		SubjectName:          jsonText(m["subject"]),
		ExamType:             jsonText(m["examType"]),
		ExamBoard:            jsonText(m["examBoard"]),
		CurrentGrade:         jsonText(m["currentGrade"]),
		TargetGrade:          jsonText(m["targetGrade"]),
		MinimumExpectedGrade: jsonText(m["minimumExpectedGrade"]),
		SubjectTargetGrade:   jsonText(m["subjectTargetGrade"]),
		EffortGrade:          jsonText(m["effortGrade"]),
		BehaviourGrade:       jsonText(m["behaviourGrade"]),
		OriginalRecordID:     jsonText(m["originalRecordId"]),
	}
	if blank(s.SubjectName) {
		is.add(RuleSubject, f, text, fmt.Sprintf("subject %d has no subject name; skipped", pos))
		return SubjectRow{}, false
	}
	if a := jsonText(m["subjectAttendance"]); !blank(a) {
		if v, ok := parseShare(a); ok {
			s.SubjectAttendance = &v
		} else {
			is.add(RuleValue, f, a, fmt.Sprintf("subjectAttendance of subject %d is not a share or a percentage; stored as NULL", pos))
		}
	}
	return s, true
}

// jsonText renders a JSON value of a subject as text: a string as it is, a
// number as written, a boolean as true/false; null, lists and objects as "".
func jsonText(b json.RawMessage) string {
	var v any
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	if len(b) == 0 || d.Decode(&v) != nil {
		return ""
	}
	switch v := v.(type) {
	case string:
		return knack.CleanText(v)
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

var shareText = regexp.MustCompile(`^(\d+(?:\.\d*)?|\.\d+)\s*(%?)$`)

// parseShare reads an attendance as a share 0..1: "93%" and "93" are
// percentages, "0.93" a share; a number above 1 without % is a percentage.
func parseShare(s string) (float64, bool) {
	m := shareText.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, false
	}
	if m[2] == "%" || v > 1 {
		v /= 100
	}
	if v > 1 {
		return 0, false
	}
	return v, true
}
