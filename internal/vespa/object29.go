package vespa

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"knacksync/internal/knack"
)

// Object29Fields is object_29, the psychometric questionnaire: one
// record per student enrolment, one answer field per question per cycle.
type Object29Fields struct {
	Object         string
	Email          Field
	Result         Field // connection to the object_10 record; often empty through the API
	CompletionDate Field
	Questions      []Question
}

// Question is one questionnaire item and its answer field for cycles 1..3.
type Question struct {
	ID     string
	Cycles [3]Field
}

func q(id, c1, c2, c3 string) Question {
	return Question{ID: id, Cycles: [3]Field{number(c1), number(c2), number(c3)}}
}

// Object29 is the live app's object_29 (docs/mapping.md, "Field map"). The ids follow
// no pattern: keep the table as data.
var Object29 = Object29Fields{
	Object:         "object_29",
	Email:          email("field_2732"),
	Result:         conn("field_792", "object_10"),
	CompletionDate: date("field_856"),
	Questions: []Question{
		q("q1", "field_1953", "field_1955", "field_1956"),
		q("q2", "field_1954", "field_1957", "field_1958"),
		q("q3", "field_1959", "field_1960", "field_1961"),
		q("q4", "field_1962", "field_1963", "field_1964"),
		q("q5", "field_1965", "field_1966", "field_1967"),
		q("q6", "field_1968", "field_1969", "field_1970"),
		q("q7", "field_1971", "field_1972", "field_1973"),
		q("q8", "field_1974", "field_1975", "field_1976"),
		q("q9", "field_1977", "field_1978", "field_1979"),
		q("q10", "field_1980", "field_1981", "field_1982"),
		q("q11", "field_1983", "field_1984", "field_1985"),
		q("q12", "field_1986", "field_1987", "field_1988"),
		q("q13", "field_1989", "field_1990", "field_1991"),
		q("q14", "field_1992", "field_1993", "field_1994"),
		q("q15", "field_1995", "field_1996", "field_1997"),
		q("q16", "field_1998", "field_1999", "field_2000"),
		q("q17", "field_2001", "field_2002", "field_2003"),
		q("q18", "field_2004", "field_2005", "field_2006"),
		q("q19", "field_2007", "field_2008", "field_2009"),
		q("q20", "field_2010", "field_2011", "field_2012"),
		q("q21", "field_2013", "field_2014", "field_2015"),
		q("q22", "field_2016", "field_2017", "field_2018"),
		q("q23", "field_2019", "field_2020", "field_2021"),
		q("q24", "field_2022", "field_2023", "field_2024"),
		q("q25", "field_2025", "field_2026", "field_2027"),
		q("q26", "field_2028", "field_2029", "field_2030"),
		q("q27", "field_2031", "field_2032", "field_2033"),
		q("q28", "field_2034", "field_2035", "field_2036"),
		q("q29_vision_grades", "field_2927", "field_2928", "field_2929"),
		q("outcome_q_support", "field_2037", "field_2038", "field_2039"),
		q("outcome_q_equipped", "field_2040", "field_2041", "field_2042"),
		q("outcome_q_confident", "field_2043", "field_2044", "field_2045"),
	},
}

func object29Labels(add func(Field, string)) {
	q := Object29
	add(q.Email, "Email")
	add(q.Result, "Result")
	add(q.CompletionDate, "Completion date")
	for _, qu := range q.Questions {
		for c, f := range qu.Cycles {
			add(f, fmt.Sprintf("Cycle %d answer %s", c+1, qu.ID))
		}
	}
}

// Answer is one questionnaire answer (1..5).
type Answer struct {
	Cycle      int
	QuestionID string
	Value      int
}

// Object29Rows is what one object_29 record produces. The student it
// belongs to is found by the store (rule 9): by Email and the academic year
// that the student's establishment gives the completion date (YearUK or
// YearAU, rule 3), else through ResultKnackID (field_792).
type Object29Rows struct {
	RecordID       string
	Email          string // as given, trimmed; "" when absent
	ResultKnackID  string // "" when field_792 is empty
	YearUK         string
	YearAU         string
	CompletionDate *time.Time
	// CompletedAt ranks duplicates as in rule 5 (date and time of day).
	CompletedAt *time.Time
	Answers     []Answer
}

// ProjectObject29 maps an object_29 record to its answers and the keys
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
func ProjectObject29(rec knack.Record, ctx Context) (Object29Rows, []Issue, bool) {
	f := Object29
	is := newIssues(f.Object, rec)

	rows := Object29Rows{
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
		return Object29Rows{}, is.list, false
	}

	completed, yearDate, ok := completionDate(rec, f.CompletionDate, ctx, is)
	if !ok {
		return Object29Rows{}, is.list, false
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
func (q Object29Rows) YearFor(est EstablishmentInfo) string {
	if calendarYear(est) {
		return q.YearAU
	}
	return q.YearUK
}

// Staging: the columns of the staging tables of sql/object29.sql
// ("stage").
var (
	questionnaireCols = []string{"record_id", "email", "result_knack_id", "year_uk", "year_au", "completion_date", "completed_at"}
	answerSetCols     = []string{"record_id", "cycle", "question_ids", "vals"}
)

func stageObject29(s Stager, rec knack.Record, ctx Context) {
	rows, issues, ok := ProjectObject29(rec, ctx)
	stageIssues(s, issues)
	if !ok {
		s.Record(false, "")
		return
	}
	s.Record(true, rows.YearUK)
	s.Row("stg_questionnaires", questionnaireCols, rec.ID, rows.Email, rows.ResultKnackID, rows.YearUK, rows.YearAU,
		dateValue(rows.CompletionDate), dateValue(rows.CompletedAt))
	for _, set := range answerSets(rows.Answers) {
		s.Row("stg_answer_sets", answerSetCols, rec.ID, set.cycle, set.ids, set.vals)
	}
}

// answerSet is one cycle's answers with question ids in byte order, the
// order the SQL compares them in (COLLATE "C").
type answerSet struct {
	cycle int
	ids   []string
	vals  []int32
}

func answerSets(answers []Answer) []answerSet {
	sorted := slices.Clone(answers)
	slices.SortStableFunc(sorted, func(a, b Answer) int {
		return cmp.Or(cmp.Compare(a.Cycle, b.Cycle), strings.Compare(a.QuestionID, b.QuestionID))
	})
	var sets []answerSet
	for _, a := range sorted {
		if len(sets) == 0 || sets[len(sets)-1].cycle != a.Cycle {
			sets = append(sets, answerSet{cycle: a.Cycle})
		}
		set := &sets[len(sets)-1]
		if n := len(set.ids); n > 0 && set.ids[n-1] == a.QuestionID {
			continue // one answer per question and cycle: the first
		}
		set.ids = append(set.ids, a.QuestionID)
		set.vals = append(set.vals, int32(a.Value))
	}
	return sets
}
