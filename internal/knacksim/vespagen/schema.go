package vespagen

import (
	"strconv"

	"knacksync/internal/knacksim"
	"knacksync/internal/vespa"
)

// AppID is the application id of every generated dataset (and of a --data
// directory without a schema.json).
const AppID = "5f3c9e1ab2d4c6e8f0a1b2c3"

// Schema is the VESPA application's schema for the objects the service
// reads, built from the vespa field map: keys and types come from there,
// names are descriptive.
func Schema() knacksim.Schema {
	est := vespa.Object2
	res := vespa.Object10
	qn := vespa.Object29
	st := vespa.Object5
	su := vespa.Object21
	acc := vespa.Object3
	pr := vespa.Object112

	resFields := []knacksim.Field{
		field(res.Name, "Student Name"),
		field(res.Email, "Student Email"),
		field(res.Establishment, "VESPA Customer"),
		field(res.CompletionDate, "Completion Date"),
		field(res.CurrentCycle, "Current Cycle"),
		field(res.Group, "Group"),
		field(res.YearGroup, "Year Group"),
		field(res.Course, "Course"),
		field(res.Faculty, "Faculty"),
		choiceField(res.Gender, "Gender", "Female", "Male", "Non-binary", "Prefer not to say"),
	}
	for c := range res.Scores {
		for k, f := range res.Scores[c] {
			resFields = append(resFields, field(f, cycleName(vespa.ScoreNames[k], c)))
		}
	}
	for c := range res.RRC {
		resFields = append(resFields, field(res.RRC[c], cycleName("RRC", c)))
	}
	for c := range res.Goal {
		resFields = append(resFields, field(res.Goal[c], cycleName("Goal", c)))
	}

	qnFields := []knacksim.Field{
		field(qn.Email, "Student Email"),
		field(qn.Result, "VESPA Result"),
		field(qn.CompletionDate, "Completion Date"),
	}
	for _, q := range qn.Questions {
		for c, f := range q.Cycles {
			qnFields = append(qnFields, field(f, cycleName(q.ID, c)))
		}
	}

	prFields := []knacksim.Field{
		field(pr.StudentName, "Student Name"),
		field(pr.Account, "Account"),
		field(pr.Establishment, "Establishment"),
		field(pr.TutorGroup, "Tutor Group"),
		field(pr.YearGroup, "Year Group"),
		field(pr.Attendance, "Attendance"),
		field(pr.PriorAttainment, "Prior Attainment"),
		field(pr.UPN, "UPN"),
		field(pr.UCI, "UCI"),
		field(pr.CentreNumber, "Centre Number"),
	}
	for i, f := range pr.Subjects {
		prFields = append(prFields, field(f, "Subject "+strconv.Itoa(i+1)))
	}

	sch := knacksim.Schema{
		ID:       AppID,
		Name:     "VESPA Academy",
		Timezone: "London",
		Objects: []knacksim.Object{
			{
				Key: est.Object, Name: "VESPA Customers", Identifier: est.Name.Key, Type: "StandardObject",
				Fields: []knacksim.Field{
					field(est.Name, "Establishment Name"),
					field(est.NameFallback, "Customer Name"),
					choiceField(est.Status, "Account Status", "Active", "Cancelled", "Trial"),
					choiceField(est.PortalType, "Portal Type", "COACHING PORTAL", "RESOURCE PORTAL"),
					field(est.IsAustralian, "Australian School"),
					field(est.UseStandardYear, "Use Standard Year"),
				},
			},
			{Key: acc.Object, Name: "Accounts", Identifier: acc.Email.Key, Type: "UserObject",
				Fields: []knacksim.Field{field(acc.Email, "Email")}},
			{Key: st.Object, Name: "Staff Admin", Identifier: st.Name.Key, Type: "UserObject",
				Fields: []knacksim.Field{
					field(st.Name, "Name"),
					field(st.Email, "Email"),
					field(st.Establishment, "Establishment"),
				}},
			{Key: res.Object, Name: "VESPA Results", Identifier: res.Name.Key, Type: "StandardObject", Fields: resFields},
			{Key: su.Object, Name: "Super User", Identifier: su.Name.Key, Type: "UserObject",
				Fields: []knacksim.Field{field(su.Name, "Name"), field(su.Email, "Email")}},
			{Key: qn.Object, Name: "Psychometric Questionnaire", Identifier: qn.Email.Key, Type: "StandardObject", Fields: qnFields},
			{Key: pr.Object, Name: "Academic Profile", Identifier: pr.StudentName.Key, Type: "StandardObject", Fields: prFields},
		},
	}
	withMapFields(sch.Objects)
	return sch
}

// withMapFields adds to each object the fields of its vespa map that the
// lists above do not name, named by their labels: a field added to the
// map (internal/vespa/objectN.go) is in the simulated app at once.
func withMapFields(objects []knacksim.Object) {
	for i := range objects {
		o := &objects[i]
		have := map[string]bool{}
		for _, f := range o.Fields {
			have[f.Key] = true
		}
		for _, m := range vespa.Objects {
			if m.Key != o.Key {
				continue
			}
			for _, f := range m.Fields() {
				if !have[f.Key] {
					have[f.Key] = true
					o.Fields = append(o.Fields, field(f, vespa.FieldLabel(o.Key, f.Key)))
				}
			}
		}
	}
}

func cycleName(what string, c int) string {
	return what + " (Cycle " + strconv.Itoa(c+1) + ")"
}

func field(f vespa.Field, name string) knacksim.Field {
	out := knacksim.Field{Key: f.Key, Name: name, Type: f.Type}
	switch f.Type {
	case vespa.TypeDateTime:
		out.Format = map[string]any{"date_format": "dd/mm/yyyy", "time_format": "HH:MM am"}
	case vespa.TypeConnection:
		out.Relationship = &knacksim.Relationship{BelongsTo: "many", Has: "one", Object: f.Object}
	case vespa.TypeBoolean:
		out.Format = map[string]any{"format": "yes_no", "input": "checkbox"}
	case vespa.TypeName:
		out.Format = map[string]any{"format": "First Last"}
	}
	return out
}

func choiceField(f vespa.Field, name string, options ...string) knacksim.Field {
	out := field(f, name)
	out.Format = map[string]any{"type": "single", "options": options}
	return out
}
