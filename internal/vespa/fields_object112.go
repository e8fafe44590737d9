package vespa

// ProfileFields is object_112, academic profiles.
type ProfileFields struct {
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

// Profiles is the live app's object_112.
var Profiles = ProfileFields{
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
