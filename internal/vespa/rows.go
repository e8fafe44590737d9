package vespa

import "time"

// This file is the contract between the pure projection (records → rows) and
// the store (rows → Postgres). Text fields use "" for "no value" (the store
// writes NULL); numbers, dates and booleans that may be absent are pointers.
// Rows name other rows by natural keys (Knack ids, email and academic
// year): the store resolves them to uuids in SQL. Emails are as Knack gives
// them, trimmed (rule 1; staff admins lower-cased); the store compares them
// case-insensitively.

// Issue is one data issue (docs/mapping.md, rule 12): a record that could not be
// taken as it is. Value is the offending value as received (emails inside it
// are masked by whatever shows it outside the database).
type Issue struct {
	Object   string
	RecordID string
	Rule     string // one of the Rule* constants
	Field    string // the field key, when one field is at fault
	Value    string
	Detail   string // a short human explanation
}

// Issue rules.
const (
	RuleEmail         = "bad_email"
	RuleDate          = "bad_date"
	RuleScore         = "score_out_of_range"
	RuleScoreRounded  = "score_rounded"
	RuleAnswer        = "bad_answer"
	RuleUnlinked      = "unlinked_answer"
	RuleDuplicate     = "duplicate"
	RuleEstablishment = "unknown_establishment"
	RuleSubject       = "bad_subject"
	RuleValue         = "bad_value"      // any other field that could not be read (attendance, prior attainment, ...)
	RuleTooLong       = "value_too_long" // text cut to fit its column

	// RuleAccount: an academic profile whose object_3 account is missing or
	// has no valid email (rule 13); the profile gives no rows.
	RuleAccount = "unknown_account"

	// RuleHistoryLocked: a change in Knack that would touch rows of an
	// earlier academic year than the current one (rule 11); the rows stay
	// as they are. Raised by the store, which knows what the rows hold.
	RuleHistoryLocked = "history_locked"
)

// EstablishmentInfo is what the academic-year rule needs of an establishment.
type EstablishmentInfo struct {
	Name            string
	IsAustralian    bool
	UseStandardYear *bool
}

// Context is what the projection needs beyond the record itself.
type Context struct {
	// Establishments by Knack id (object_2), loaded before other objects.
	Establishments map[string]EstablishmentInfo
	// Accounts maps object_3 ids to their emails as Knack gives them,
	// trimmed (academic profiles).
	Accounts map[string]string
	// FirstSeen is when the service first saw this record (rule 4).
	FirstSeen time.Time
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

// ResultRows is everything one object_10 record produces.
type ResultRows struct {
	Student  StudentRow
	Scores   []ScoreRow
	Comments []CommentRow
}

// Answer is one questionnaire answer (1..5).
type Answer struct {
	Cycle      int
	QuestionID string
	Value      int
}

// QuestionnaireRows is what one object_29 record produces. The student it
// belongs to is found by the store (rule 9): by Email and the academic year
// that the student's establishment gives the completion date (YearUK or
// YearAU, rule 3), else through ResultKnackID (field_792).
type QuestionnaireRows struct {
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

// StaffRow is one row of public.staff_admins.
type StaffRow struct {
	KnackID              string
	Email                string
	Name                 string
	EstablishmentKnackID string
}

// SuperUserRow is one row of public.super_users.
type SuperUserRow struct {
	KnackID string
	Email   string
	Name    string
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

// ProfileRows is everything one object_112 record produces.
type ProfileRows struct {
	Profile  ProfileRow
	Subjects []SubjectRow
}
