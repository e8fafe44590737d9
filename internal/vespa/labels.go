package vespa

import "fmt"

// Names for people: the status page, its CSV and reports say "Results
// (object_10)" and "Email (field_197)" rather than bare Knack ids. The
// labels are attached here, to the map's own members, so that a field id
// changed in the map keeps its name.

// objectLabels names each object of the map.
var objectLabels = map[string]string{
	Results.Object:        "Results",
	Questionnaires.Object: "Questionnaires",
	Establishments.Object: "Establishments",
	Staff.Object:          "Staff admins",
	SuperUsers.Object:     "Super users",
	Accounts.Object:       "Accounts",
	Profiles.Object:       "Academic profiles",
}

// fieldLabels names each field of the map, by object and field key.
var fieldLabels = func() map[string]map[string]string {
	out := map[string]map[string]string{}
	add := func(object string, f Field, label string) {
		if out[object] == nil {
			out[object] = map[string]string{}
		}
		out[object][f.Key] = label
	}
	r := Results
	add(r.Object, r.Email, "Email")
	add(r.Object, r.Name, "Name")
	add(r.Object, r.Establishment, "Establishment")
	add(r.Object, r.CompletionDate, "Completion date")
	add(r.Object, r.CurrentCycle, "Current cycle")
	add(r.Object, r.Group, "Group")
	add(r.Object, r.YearGroup, "Year group")
	add(r.Object, r.Course, "Course")
	add(r.Object, r.Faculty, "Faculty")
	add(r.Object, r.Gender, "Gender")
	for c := range r.Scores {
		for k, f := range r.Scores[c] {
			add(r.Object, f, fmt.Sprintf("Cycle %d %s score", c+1, ScoreNames[k]))
		}
		add(r.Object, r.RRC[c], fmt.Sprintf("Cycle %d RRC comment", c+1))
		add(r.Object, r.Goal[c], fmt.Sprintf("Cycle %d goal", c+1))
	}

	q := Questionnaires
	add(q.Object, q.Email, "Email")
	add(q.Object, q.Result, "Result")
	add(q.Object, q.CompletionDate, "Completion date")
	for _, qu := range q.Questions {
		for c, f := range qu.Cycles {
			add(q.Object, f, fmt.Sprintf("Cycle %d answer %s", c+1, qu.ID))
		}
	}

	e := Establishments
	add(e.Object, e.Name, "Name")
	add(e.Object, e.NameFallback, "Name (fallback)")
	add(e.Object, e.Status, "Status")
	add(e.Object, e.PortalType, "Portal type")
	add(e.Object, e.IsAustralian, "Australian")
	add(e.Object, e.UseStandardYear, "Uses the standard year")

	add(Staff.Object, Staff.Email, "Email")
	add(Staff.Object, Staff.Name, "Name")
	add(Staff.Object, Staff.Establishment, "Establishment")
	add(SuperUsers.Object, SuperUsers.Email, "Email")
	add(SuperUsers.Object, SuperUsers.Name, "Name")
	add(Accounts.Object, Accounts.Email, "Email")

	p := Profiles
	add(p.Object, p.Account, "Account")
	add(p.Object, p.StudentName, "Student name")
	add(p.Object, p.Establishment, "Establishment")
	add(p.Object, p.TutorGroup, "Tutor group")
	add(p.Object, p.YearGroup, "Year group")
	add(p.Object, p.Attendance, "Attendance")
	add(p.Object, p.PriorAttainment, "Prior attainment")
	add(p.Object, p.UPN, "UPN")
	add(p.Object, p.UCI, "UCI")
	add(p.Object, p.CentreNumber, "Centre number")
	for i, f := range p.Subjects {
		add(p.Object, f, fmt.Sprintf("Subject %d", i+1))
	}
	return out
}()

// ObjectLabel is an object's name for a person ("Results"), or "" when the
// object is not in the map.
func ObjectLabel(object string) string { return objectLabels[object] }

// FieldLabel is a field's name for a person ("Email"), or "" when the
// field is not in the object's map.
func FieldLabel(object, field string) string { return fieldLabels[object][field] }
