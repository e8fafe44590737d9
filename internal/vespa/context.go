package vespa

import "time"

// What every projection shares: its Context and the data Issues it reports.
// The rows each object produces are declared in its own file (objectN.go),
// the contract between the pure projection (records → rows) and its SQL
// (sql/objectN.sql, rows → Postgres). Text fields use "" for "no value"
// (the store writes NULL); numbers, dates and booleans that may be absent
// are pointers. Rows name other rows by natural keys (Knack ids, email and
// academic year): the SQL resolves them to uuids. Emails are as Knack gives
// them, trimmed (rule 1; staff admins lower-cased); the SQL compares them
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
