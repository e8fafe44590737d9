package vespagen

import "reflect"

// Ref points at one dirty value: the record, and the field key (field_N)
// when the case is about one field ("" when it is about the whole record).
// Want is what a correct reading of the value gives under the rules of
// docs/mapping.md, when there is one answer: a normalised e-mail, a date as
// YYYY-MM-DD, a score or answer as an integer ("" when it must be stored as
// NULL or skipped), an attendance fraction, or text with NUL characters and
// unpaired surrogates removed.
type Ref struct {
	Object string
	ID     string
	Field  string
	Want   string
}

// Duplicate is a pair of records for one student, cycle and academic year;
// Winner is the one docs/mapping.md rule 5 keeps (later completion date,
// then the larger record id).
type Duplicate struct {
	Object        string
	Winner, Loser string
}

// Link relates two records of a case: From is the record named by the
// case, To the record it relates to.
type Link struct {
	From, To Ref
}

// Dirty lists, per dirty case (the data problems the rules of
// docs/mapping.md exist for), the records that carry it. Every list is
// non-empty at every scale. A record usually carries one case only, so that
// a test can attribute a data issue to its cause.
type Dirty struct {
	// object_10 e-mail (field_197). Each student's object_29 record carries
	// the clean address and an empty field_792, so that linking exercises
	// the normalisation.
	EmailMixedCase  []Ref // raw {"email":"Amelia.Jones123@Oak-Academy.example"}
	EmailSpaces     []Ref // raw {"email":"  x@y.example "}
	EmailAnchorOnly []Ref // field_197 is the mailto anchor; field_197_raw is absent
	EmailNested     []Ref // raw {"email":{"address":"x@y"}}; field_197 is "", so only the raw object names the address
	EmailAddressKey []Ref // raw {"address":"x@y"}; field_197 is ""

	// object_10 completion date (field_855). Want is the date; the
	// student's object_29 carries a clean field_856 with the same date
	// (empty for DateMissing and DateUnparseable).
	DateWithTimeNoRaw []Ref // "29/09/2025 04:50" and no field_855_raw
	DateMissing       []Ref // field_855 "" while cycle scores are present
	DateJuly31        []Ref // 31/07: the last day of an academic year (UK rule)
	DateAugust1       []Ref // 01/08: the first day of one
	DateDecember31    []Ref // 31/12 at an Australian calendar-year school
	DateJanuary1      []Ref // 01/01 at an Australian calendar-year school
	DateISO           []Ref // ISO 8601 text and no raw object
	DateUnparseable   []Ref // "31/02/YYYY" or free text, no raw object; Want ""

	// object_10 per-cycle scores (cycle 1 fields).
	ScoreDecimalText []Ref // "7.0" (Want 7)
	ScorePadded      []Ref // " 7 " (Want 7)
	ScoreFraction    []Ref // "6.5" (Want 7, rounded half up and reported)
	ScoreHuge        []Ref // 20879 (Want "": NULL, reported)
	ScoreEleven      []Ref // 11 (Want "")
	ScoreEmpty       []Ref // "" while the cycle's other scores are present
	CyclePartial     []Ref // cycle 1 has only the overall score

	// object_29 answers (cycle 1 fields).
	AnswerZero   []Ref // 0 (skipped)
	AnswerSix    []Ref // 6 (skipped)
	AnswerFifty  []Ref // 50 in q29_vision_grades (skipped)
	AnswerEmpty  []Ref // "" among other answers (skipped)
	AnswerText3  []Ref // "3" (Want 3)
	AnswerFloat3 []Ref // 3.0 (Want 3)
	AnswerByLink []Ref // object_29 whose field_2732 is empty or another address: linkable only through field_792
	AnswerOrphan []Ref // object_29 whose e-mail matches no student and whose field_792 is empty

	// object_10 identity.
	Duplicates           []Duplicate // same e-mail and year, different completion dates; the loser was created later
	DuplicatesEqualDate  []Duplicate // same e-mail, year and completion date; the winner has the larger id
	DuplicateAnswers     []Duplicate // the object_29 records of those students, same winners
	ReUploads            []Link      // From: last year's object_10; To: this year's record, new id, same e-mail
	KeepAndRefresh       []Ref       // same object_10 id moved into this year: field_146 1, stale cycle 2/3 scores (and its object_29, stale cycle 2/3 answers)
	UnknownEstablishment []Ref       // object_10 whose field_133 names no object_2 record

	// object_2 establishments.
	SchoolCancelled      []Ref // field_2209 "Cancelled" (still has students)
	SchoolResourcePortal []Ref // field_63 "RESOURCE PORTAL"
	SchoolEmptyPortal    []Ref // field_63 ""
	SchoolLowerPortal    []Ref // field_63 "coaching portal"
	SchoolNameEmpty      []Ref // field_44 "EMPTY"; Want is field_11
	AusStandardYearEmpty []Ref // is_australian true, use_standard_year "" (UK rule)
	AusStandardYearFalse []Ref // is_australian true, use_standard_year false (calendar year)
	AusStandardYearTrue  []Ref // is_australian true, use_standard_year true (UK rule)

	// Staff and super users.
	StaffNoEstablishment []Ref  // object_5 with field_110 empty, or absent altogether
	SuperUserAlsoStaff   []Link // From: object_21; To: the object_5 record with the same e-mail

	// object_112 academic profiles and object_3 accounts.
	AttendancePercent     []Ref // "93%" (Want 0.93)
	AttendanceFraction    []Ref // "0.93"
	AttendanceEmpty       []Ref // ""
	PriorAttainmentEmpty  []Ref // field_3272 ""
	SubjectInvalidJSON    []Ref // a subject field that is not JSON
	SubjectNoSubject      []Ref // a subject JSON without the "subject" key
	ProfileMissingAccount []Ref // field_3064 names no object_3 record
	ProfileAccountText    []Ref // field_3064 is the object_3 id as plain text, not a connection
	AccountAnchorOnly     []Ref // object_3 field_70 only as the mailto anchor, no field_70_raw

	// Text that Postgres rejects or a page must escape. The JSON is valid
	// UTF-8 (Knack sends nothing else); the hostile text is in escapes.
	TextNUL         []Ref // a \u0000 escape in a name
	TextInvalidUTF8 []Ref // unpaired surrogate escapes in a comment: \udcff\udcfe (low halves alone), \ud800 (a high half alone)
	TextHTML        []Ref // <script>alert(1)</script> in a name
}

// Case is one named list of the manifest.
type Case struct {
	Name  string
	Count int
	// Records are the ids the case names (both ends of pairs and links).
	Records []string
}

// Cases lists every case of the manifest by its field name, in declaration
// order, so that a test can check that none is empty.
func (d *Dirty) Cases() []Case {
	v := reflect.ValueOf(d).Elem()
	t := v.Type()
	out := make([]Case, 0, t.NumField())
	for i := range t.NumField() {
		c := Case{Name: t.Field(i).Name}
		switch list := v.Field(i).Interface().(type) {
		case []Ref:
			c.Count = len(list)
			for _, r := range list {
				c.Records = append(c.Records, r.ID)
			}
		case []Duplicate:
			c.Count = len(list)
			for _, p := range list {
				c.Records = append(c.Records, p.Winner, p.Loser)
			}
		case []Link:
			c.Count = len(list)
			for _, l := range list {
				c.Records = append(c.Records, l.From.ID, l.To.ID)
			}
		}
		out = append(out, c)
	}
	return out
}
