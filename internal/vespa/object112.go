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

// Object112Fields is object_112, academic profiles.
type Object112Fields struct {
	Object          string
	Account         Field // the object_3 record id, possibly as a connection
	StudentName     Field
	Establishment   Field
	TutorGroup      Field
	YearGroup       Field
	Attendance      Field // "93%", "0.93" or empty
	PriorAttainment Field
	UPN             Field
	UCI             Field
	CentreNumber    Field
	// Subjects 1..15, each a JSON text with the keys of SubjectJSON.
	Subjects [15]Field
}

// Object112 is the live app's object_112.
var Object112 = Object112Fields{
	Object:          "object_112",
	Account:         conn("field_3064", "object_3"),
	StudentName:     text("field_3066"),
	Establishment:   conn("field_3069", "object_2"),
	TutorGroup:      text("field_3077"),
	YearGroup:       text("field_3078"),
	Attendance:      text("field_3076"),
	PriorAttainment: number("field_3272"),
	UPN:             text("field_3137"),
	UCI:             text("field_3136"),
	CentreNumber:    text("field_3138"),
	Subjects: [15]Field{
		paragraph("field_3080"), paragraph("field_3081"), paragraph("field_3082"), paragraph("field_3083"), paragraph("field_3084"),
		paragraph("field_3085"), paragraph("field_3086"), paragraph("field_3087"), paragraph("field_3088"), paragraph("field_3089"),
		paragraph("field_3090"), paragraph("field_3091"), paragraph("field_3092"), paragraph("field_3093"), paragraph("field_3094"),
	},
}

// SubjectJSON is the shape of one subject text in object_112.
type SubjectJSON struct {
	Subject              string `json:"subject"`
	ExamType             string `json:"examType"`
	ExamBoard            string `json:"examBoard"`
	CurrentGrade         string `json:"currentGrade"`
	TargetGrade          string `json:"targetGrade"`
	MinimumExpectedGrade string `json:"minimumExpectedGrade"`
	SubjectTargetGrade   string `json:"subjectTargetGrade"`
	EffortGrade          string `json:"effortGrade"`
	BehaviourGrade       string `json:"behaviourGrade"`
	SubjectAttendance    any    `json:"subjectAttendance"` // number or text
	OriginalRecordID     string `json:"originalRecordId"`
}

func object112Labels(add func(Field, string)) {
	p := Object112
	add(p.Account, "Account")
	add(p.StudentName, "Student name")
	add(p.Establishment, "Establishment")
	add(p.TutorGroup, "Tutor group")
	add(p.YearGroup, "Year group")
	add(p.Attendance, "Attendance")
	add(p.PriorAttainment, "Prior attainment")
	add(p.UPN, "UPN")
	add(p.UCI, "UCI")
	add(p.CentreNumber, "Centre number")
	for i, f := range p.Subjects {
		add(f, fmt.Sprintf("Subject %d", i+1))
	}
}

// ProfileRow is one row of public.academic_profiles, keyed by
// (Email, AcademicYear).
type ProfileRow struct {
	KnackID              string
	Email                string
	AcademicYear         string
	StudentName          string
	YearGroup            string
	TutorGroup           string
	Attendance           *float64 // "93%" → 0.93
	PriorAttainment      *float64
	UPN                  string
	UCI                  string
	CentreNumber         string
	EstablishmentKnackID string
	EstablishmentName    string
}

// SubjectRow is one row of public.student_subjects.
type SubjectRow struct {
	Position             int // 1..15
	SubjectName          string
	ExamType             string
	ExamBoard            string
	CurrentGrade         string
	TargetGrade          string
	MinimumExpectedGrade string
	SubjectTargetGrade   string
	EffortGrade          string
	BehaviourGrade       string
	SubjectAttendance    *float64
	OriginalRecordID     string
}

// Object112Rows is everything one object_112 record produces.
type Object112Rows struct {
	Profile  ProfileRow
	Subjects []SubjectRow
}

// ProjectObject112 maps an object_112 record to its academic profile and
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
func ProjectObject112(rec knack.Record, ctx Context) (Object112Rows, []Issue, bool) {
	f := Object112
	is := newIssues(f.Object, rec)

	account := knack.DecodeConnectionID(rec, f.Account.Key)
	email := knack.TrimEmail(ctx.Accounts[account])
	switch {
	case account == "":
		is.add(RuleAccount, f.Account, "", "no account; profile not stored")
		return Object112Rows{}, is.list, false
	case !knack.ValidEmail(email):
		is.add(RuleAccount, f.Account, account, "account not found, or without a valid email; profile not stored")
		return Object112Rows{}, is.list, false
	}

	estID, est, known, ids := establishmentOf(rec, f.Establishment, ctx)
	if !known {
		is.add(RuleEstablishment, f.Establishment, joinIDs(ids), establishmentDetail(ids, "profile"))
	}
	first, ok := firstSeenDate(ctx)
	if !ok {
		is.add(RuleDate, Field{}, "", "no first-seen time for a profile; profile not stored")
		return Object112Rows{}, is.list, false
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

	rows := Object112Rows{Profile: p}
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

// Staging: the columns of the staging tables of sql/object112.sql
// ("stage"), and the column limits of the tables they are merged into.
var (
	profileCols = []string{"record_id", "email", "academic_year", "student_name", "year_group", "tutor_group", "attendance", "prior_attainment", "upn", "uci", "centre_number", "establishment_knack_id", "establishment_name"}
	subjectCols = []string{"record_id", "position", "subject_name", "exam_type", "exam_board", "current_grade", "target_grade", "minimum_expected_grade", "subject_target_grade", "effort_grade", "behaviour_grade", "subject_attendance", "original_record_id"}
)

func stageObject112(s Stager, rec knack.Record, ctx Context) {
	rows, issues, ok := ProjectObject112(rec, ctx)
	stageIssues(s, issues)
	if !ok {
		s.Record(false, "")
		return
	}
	p := rows.Profile
	s.Record(true, p.AcademicYear)
	id := rec.ID
	s.Row("stg_profiles", profileCols, id, p.Email, p.AcademicYear, s.Fit(id, "academic_profiles.student_name", p.StudentName, 255),
		s.Fit(id, "academic_profiles.year_group", p.YearGroup, 50), s.Fit(id, "academic_profiles.tutor_group", p.TutorGroup, 50),
		p.Attendance, p.PriorAttainment, s.Fit(id, "academic_profiles.upn", p.UPN, 50), s.Fit(id, "academic_profiles.uci", p.UCI, 50),
		s.Fit(id, "academic_profiles.centre_number", p.CentreNumber, 50), p.EstablishmentKnackID,
		s.Fit(id, "academic_profiles.establishment_name", p.EstablishmentName, 255))
	for _, sub := range rows.Subjects {
		grade := func(col, v string) string { return s.Fit(id, "student_subjects."+col, v, 20) }
		s.Row("stg_subjects", subjectCols, id, sub.Position, s.Fit(id, "student_subjects.subject_name", sub.SubjectName, 255),
			s.Fit(id, "student_subjects.exam_type", sub.ExamType, 50), s.Fit(id, "student_subjects.exam_board", sub.ExamBoard, 50),
			grade("current_grade", sub.CurrentGrade), grade("target_grade", sub.TargetGrade),
			grade("minimum_expected_grade", sub.MinimumExpectedGrade), grade("subject_target_grade", sub.SubjectTargetGrade),
			grade("effort_grade", sub.EffortGrade), grade("behaviour_grade", sub.BehaviourGrade),
			sub.SubjectAttendance, s.Fit(id, "student_subjects.original_record_id", sub.OriginalRecordID, 50))
	}
}
