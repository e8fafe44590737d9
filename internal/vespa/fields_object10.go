package vespa

// ResultFields is object_10, VESPA results: one record per student
// enrolment and the source of student identity.
type ResultFields struct {
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

// Results is the live app's object_10.
var Results = ResultFields{
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
