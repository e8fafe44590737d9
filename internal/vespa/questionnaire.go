package vespa

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"knacksync/internal/knack"
)

// ProjectQuestionnaire maps an object_29 record to its answers and the keys
// that link them to a student (docs/mapping.md, rules 3, 4, 8, 9).
//
//   - Email is field_2732 as given, trimmed; "" when empty (the store
//     compares it case-insensitively). An invalid email is
//     reported (RuleEmail) and left "", so that field_792 can still link.
//   - ResultKnackID is the first object_10 id of field_792, "" when empty.
//   - Neither: the answers can link to no student. The record is reported
//     (RuleUnlinked) and gives no rows (ok=false); the store reports the
//     records whose keys it cannot resolve.
//   - YearUK and YearAU: the academic year of field_856 under each rule; the
//     store takes the one of the linked student's establishment, so that
//     answers and scores of one enrolment share a year (rule 3). Without a
//     date, the year of ctx.FirstSeen (rule 4); an unparseable date is
//     reported and treated as no date.
//   - Answers: all three cycles (object_29 has no current-cycle field in the
//     map). A value is taken when it is a whole number 1..5 ("3" and 3.0
//     too). An empty field is no answer: it is not reported, or every record
//     would be, for the cycles not yet taken. Any other value (0, 6, 50, 2.5,
//     text) is skipped, and the record gets one RuleAnswer issue that counts
//     them and lists them (field=value), rather than one issue per answer.
func ProjectQuestionnaire(rec knack.Record, ctx Context) (QuestionnaireRows, []Issue, bool) {
	f := Questionnaires
	is := newIssues(f.Object, rec)

	rows := QuestionnaireRows{
		RecordID:      knack.CleanText(rec.ID),
		ResultKnackID: knack.DecodeConnectionID(rec, f.Result.Key),
	}
	email, err := knack.DecodeEmailAsGiven(rec, f.Email.Key)
	switch {
	case err == nil:
		rows.Email = email
	case !isNoValue(err):
		detail := "invalid student email; answers can only link through " + f.Result.Key
		if rows.ResultKnackID == "" {
			detail = "invalid student email"
		}
		is.addErr(RuleEmail, f.Email, err, detail)
	}
	if rows.Email == "" && rows.ResultKnackID == "" {
		is.add(RuleUnlinked, f.Email, "", fmt.Sprintf("neither a valid email (%s) nor a result record (%s); answers not stored", f.Email.Key, f.Result.Key))
		return QuestionnaireRows{}, is.list, false
	}

	completed, yearDate, ok := completionDate(rec, f.CompletionDate, ctx, is)
	if !ok {
		return QuestionnaireRows{}, is.list, false
	}
	rows.CompletionDate = completed
	rows.CompletedAt = completedAt(rec, f.CompletionDate, completed)
	rows.YearUK = AcademicYear(yearDate, EstablishmentInfo{})
	rows.YearAU = AcademicYear(yearDate, australianRule())

	var skipped []string
	for _, q := range f.Questions {
		for c, af := range q.Cycles {
			v, ok, present := readAnswer(rec, af)
			switch {
			case ok:
				rows.Answers = append(rows.Answers, Answer{Cycle: c + 1, QuestionID: q.ID, Value: v})
			case present:
				skipped = append(skipped, af.Key+"="+strconv.Quote(knack.DecodeText(rec, af.Key)))
			}
		}
	}
	if len(skipped) > 0 {
		is.list = append(is.list, Issue{
			Object:   f.Object,
			RecordID: rows.RecordID,
			Rule:     RuleAnswer,
			Value:    knack.CleanText(strings.Join(skipped, "; ")),
			Detail:   fmt.Sprintf("%d answer(s) not a whole number 1..5; skipped", len(skipped)),
		})
	}
	return rows, is.list, true
}

// readAnswer reads one answer (rule 8): ok when it is a whole number 1..5;
// present when the field holds anything at all.
func readAnswer(rec knack.Record, f Field) (v int, ok, present bool) {
	n, err := knack.DecodeNumber(rec, f.Key)
	switch {
	case err != nil:
		return 0, false, true
	case n == nil:
		return 0, false, false
	case *n < 1 || *n > 5 || *n != math.Trunc(*n):
		return 0, false, true
	}
	return int(*n), true, true
}

// YearFor is the academic year of the answers for the establishment of the
// student they link to: YearAU under the calendar-year rule, else YearUK
// (rule 3).
func (q QuestionnaireRows) YearFor(est EstablishmentInfo) string {
	if calendarYear(est) {
		return q.YearAU
	}
	return q.YearUK
}
