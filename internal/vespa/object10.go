package vespa

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"knacksync/internal/knack"
)

// Comment types (student_comments.comment_type).
const (
	CommentRRC  = "rrc"
	CommentGoal = "goal"
)

// Cycles is the number of VESPA cycles in a year.
const Cycles = 3

// Object10Fields is object_10, VESPA results: one record per student
// enrolment and the source of student identity.
type Object10Fields struct {
	Object         string
	Email          Field
	Name           Field
	Establishment  Field
	CompletionDate Field // the latest completion, overwritten each cycle
	CurrentCycle   Field // 1..3
	Group          Field
	YearGroup      Field
	Course         Field
	Faculty        Field
	Gender         Field
	// Scores[c][k] is cycle c+1, component k in ScoreNames order. The current
	// scores (field_147..field_152) are never read as per-cycle scores.
	Scores [3][6]Field
	// RRC and Goal comments, per cycle.
	RRC  [3]Field
	Goal [3]Field
}

// ScoreNames are the six VESPA components in field order.
var ScoreNames = [6]string{"vision", "effort", "systems", "practice", "attitude", "overall"}

// Object10 is the live app's object_10.
var Object10 = Object10Fields{
	Object:         "object_10",
	Email:          email("field_197"),
	Name:           name("field_187"),
	Establishment:  conn("field_133", "object_2"),
	CompletionDate: date("field_855"),
	CurrentCycle:   number("field_146"),
	Group:          text("field_223"),
	YearGroup:      text("field_144"),
	Course:         text("field_2299"),
	Faculty:        text("field_782"),
	Gender:         choice("field_143"),
	Scores: [3][6]Field{
		{number("field_155"), number("field_156"), number("field_157"), number("field_158"), number("field_159"), number("field_160")},
		{number("field_161"), number("field_162"), number("field_163"), number("field_164"), number("field_165"), number("field_166")},
		{number("field_167"), number("field_168"), number("field_169"), number("field_170"), number("field_171"), number("field_172")},
	},
	RRC:  [3]Field{paragraph("field_2302"), paragraph("field_2303"), paragraph("field_2304")},
	Goal: [3]Field{paragraph("field_2499"), paragraph("field_2493"), paragraph("field_2494")},
}

func object10Labels(add func(Field, string)) {
	r := Object10
	add(r.Email, "Email")
	add(r.Name, "Name")
	add(r.Establishment, "Establishment")
	add(r.CompletionDate, "Completion date")
	add(r.CurrentCycle, "Current cycle")
	add(r.Group, "Group")
	add(r.YearGroup, "Year group")
	add(r.Course, "Course")
	add(r.Faculty, "Faculty")
	add(r.Gender, "Gender")
	for c := range r.Scores {
		for k, f := range r.Scores[c] {
			add(f, fmt.Sprintf("Cycle %d %s score", c+1, ScoreNames[k]))
		}
		add(r.RRC[c], fmt.Sprintf("Cycle %d RRC comment", c+1))
		add(r.Goal[c], fmt.Sprintf("Cycle %d goal", c+1))
	}
}

// StudentRow is one row of public.students, keyed by (Email, AcademicYear).
type StudentRow struct {
	KnackID              string
	Email                string
	AcademicYear         string
	Name                 string
	EstablishmentKnackID string // "" when the record names none
	YearGroup            string
	Course               string
	Faculty              string
	Group                string
	Gender               string
	// CompletionDate is field_855's calendar date; nil when absent.
	CompletionDate *time.Time
	// CompletedAt decides duplicates (rule 5): CompletionDate with the time
	// of day Knack gives (00:00 when it gives a date alone); nil when absent.
	CompletedAt *time.Time
	// LastCycle is the highest cycle the record's data is current for
	// (field_146, else 3): the student's questionnaire answers of later
	// cycles are last year's leftovers too.
	LastCycle int
}

// ScoreRow is one row of public.vespa_scores.
type ScoreRow struct {
	Email          string
	AcademicYear   string
	Cycle          int
	Scores         [6]*int // ScoreNames order; nil is NULL
	CompletionDate *time.Time
}

// CommentRow is one row of public.student_comments.
type CommentRow struct {
	Email        string
	AcademicYear string
	Cycle        int
	Type         string // "rrc" or "goal"
	Text         string
	FieldKey     string
}

// Object10Rows is everything one object_10 record produces.
type Object10Rows struct {
	Student  StudentRow
	Scores   []ScoreRow
	Comments []CommentRow
}

// ProjectObject10 maps an object_10 record (VESPA results) to a student, its
// per-cycle scores and comments (docs/mapping.md, rules 1–7, 10, 12, 14).
//
//   - Without a valid email the record gives no rows (ok=false) and one
//     RuleEmail issue: a student cannot exist without identity. The email
//     is kept as Knack gives it, trimmed (rule 1); identity compares it
//     case-insensitively (the store keys claims by its lower-cased form).
//   - The academic year comes from the completion date field_855 under the
//     rule of the student's establishment (rule 3). A record without a date
//     takes the year of ctx.FirstSeen (rule 4). An unparseable date is
//     reported (RuleDate) and then treated as no date, so that the student is
//     still stored; CompletionDate is then nil.
//   - An establishment that is empty or not in ctx.Establishments is
//     reported; the student is stored with EstablishmentKnackID "" and the UK
//     rule.
//   - CompletedAt ranks duplicates (rule 5): the completion date with the
//     time of day Knack gives with it; a date alone is 00:00.
//   - Cycles (rule 6): a cycle gives a ScoreRow when at least one of its six
//     scores is valid after rule 7 (a cycle whose every score is out of
//     range or not a number gives no row; its values are still reported).
//     When field_146 is 1..3, cycles above it are ignored for scores and
//     comments alike (answers too, in the store): they hold last year's
//     values. A field_146 that is not 1..3 is reported, and every cycle is
//     then taken.
//   - Scores (rule 7): integral values are taken; a non-integral value is
//     first rounded half up and reported, then range-checked: 10.4 → 10,
//     10.5 → 11 → NULL, -0.4 → 0. A value outside 0..10 becomes NULL and is
//     reported.
//   - Comments: one row per non-blank rrc/goal text, for cycles
//     1..field_146.
//
// Duplicates across records (rule 5) are settled by the store's claims
// engine (internal/store/sql/claims.sql), across batches and in the database.
func ProjectObject10(rec knack.Record, ctx Context) (Object10Rows, []Issue, bool) {
	f := Object10
	is := newIssues(f.Object, rec)

	email, err := knack.DecodeEmailAsGiven(rec, f.Email.Key)
	if err != nil {
		is.addErr(RuleEmail, f.Email, err, emailDetail(err, "student"))
		return Object10Rows{}, is.list, false
	}

	estID, est, known, ids := establishmentOf(rec, f.Establishment, ctx)
	if !known {
		is.add(RuleEstablishment, f.Establishment, joinIDs(ids), establishmentDetail(ids, "student"))
	}

	completed, yearDate, ok := completionDate(rec, f.CompletionDate, ctx, is)
	if !ok {
		return Object10Rows{}, is.list, false
	}
	year := AcademicYear(yearDate, est)

	rows := Object10Rows{Student: StudentRow{
		KnackID:              knack.CleanText(rec.ID),
		Email:                email,
		AcademicYear:         year,
		Name:                 readText(rec, f.Name),
		EstablishmentKnackID: estID,
		YearGroup:            readText(rec, f.YearGroup),
		Course:               readText(rec, f.Course),
		Faculty:              readText(rec, f.Faculty),
		Group:                readText(rec, f.Group),
		Gender:               readText(rec, f.Gender),
		CompletionDate:       completed,
		CompletedAt:          completedAt(rec, f.CompletionDate, completed),
	}}

	last := lastCycle(rec, f.CurrentCycle, is)
	rows.Student.LastCycle = last
	for c := 1; c <= last; c++ {
		score := ScoreRow{Email: email, AcademicYear: year, Cycle: c, CompletionDate: cloneTime(completed)}
		filled := false
		for k, sf := range f.Scores[c-1] {
			v := readScore(rec, sf, is)
			filled = filled || v != nil
			score.Scores[k] = v
		}
		if filled {
			rows.Scores = append(rows.Scores, score)
		}
		for _, cm := range []struct {
			kind  string
			field Field
		}{{CommentRRC, f.RRC[c-1]}, {CommentGoal, f.Goal[c-1]}} {
			text := readText(rec, cm.field)
			if blank(text) {
				continue
			}
			rows.Comments = append(rows.Comments, CommentRow{
				Email:        email,
				AcademicYear: year,
				Cycle:        c,
				Type:         cm.kind,
				Text:         text,
				FieldKey:     cm.field.Key,
			})
		}
	}
	return rows, is.list, true
}

// lastCycle is the highest cycle to take: field_146 when it is 1..3, else all.
func lastCycle(rec knack.Record, f Field, is *issueList) int {
	v, err := knack.DecodeNumber(rec, f.Key)
	switch {
	case err != nil:
		is.addErr(RuleValue, f, err, "current cycle is not a number; all cycles taken")
	case v == nil:
	case *v == 1 || *v == 2 || *v == 3:
		return int(*v)
	default:
		is.add(RuleValue, f, knack.DecodeText(rec, f.Key), "current cycle is not 1, 2 or 3; all cycles taken")
	}
	return Cycles
}

// readScore reads one score (rule 7): nil when the field is empty or the
// value is not valid. A non-integral value is rounded half up (and
// reported) before the range check, so 10.4 is 10 and 10.5 is 11, out of
// range.
func readScore(rec knack.Record, f Field, is *issueList) *int {
	v, err := knack.DecodeNumber(rec, f.Key)
	switch {
	case err != nil:
		is.addErr(RuleScore, f, err, "score is not a number; stored as NULL")
		return nil
	case v == nil:
		return nil
	}
	r := math.Floor(*v + 0.5) // half up; exact for integral values
	if r != *v {
		is.add(RuleScoreRounded, f, knack.DecodeText(rec, f.Key), fmt.Sprintf("score is not a whole number; rounded to %s", strconv.FormatFloat(r, 'f', -1, 64)))
	}
	if r < 0 || r > 10 {
		is.add(RuleScore, f, knack.DecodeText(rec, f.Key), "score outside 0..10; stored as NULL")
		return nil
	}
	n := int(r)
	return &n
}

// Staging: the columns of the staging tables of sql/object10.sql
// ("stage"), and the column limits of the tables they are merged into.
var (
	studentCols = []string{"record_id", "email", "academic_year", "name", "establishment_knack_id", "year_group", "course", "faculty", "grp", "gender", "completion_date", "completed_at", "last_cycle"}
	scoreCols   = []string{"record_id", "cycle", "vision", "effort", "systems", "practice", "attitude", "overall", "completion_date"}
	commentCols = []string{"record_id", "cycle", "comment_type", "comment_text", "knack_field_id"}
)

func stageObject10(s Stager, rec knack.Record, ctx Context) {
	rows, issues, ok := ProjectObject10(rec, ctx)
	stageIssues(s, issues)
	if !ok {
		s.Record(false, "")
		return
	}
	st := rows.Student
	s.Record(true, st.AcademicYear)
	id := rec.ID
	s.Row("stg_students", studentCols, st.KnackID, st.Email, st.AcademicYear, s.Fit(id, "students.name", st.Name, 255),
		st.EstablishmentKnackID, s.Fit(id, "students.year_group", st.YearGroup, 50), s.Fit(id, "students.course", st.Course, 100),
		s.Fit(id, "students.faculty", st.Faculty, 100), s.Fit(id, "students.group", st.Group, 100),
		s.Fit(id, "students.gender", st.Gender, 50), dateValue(st.CompletionDate), dateValue(st.CompletedAt), st.LastCycle)
	for _, sc := range rows.Scores {
		v := sc.Scores
		s.Row("stg_scores", scoreCols, id, sc.Cycle, v[0], v[1], v[2], v[3], v[4], v[5], dateValue(sc.CompletionDate))
	}
	for _, c := range rows.Comments {
		s.Row("stg_comments", commentCols, id, c.Cycle, c.Type, c.Text, c.FieldKey)
	}
}
