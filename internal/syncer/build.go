package syncer

import (
	"cmp"
	"slices"
	"strings"

	"knacksync/internal/vespa"
)

// The builders turn one record's projection into staging rows. The columns
// match the "stage" sections of the store's SQL files.

var (
	establishmentCols = []string{"knack_id", "name", "status", "portal_type", "is_australian", "use_standard_year"}
	studentCols       = []string{"record_id", "email", "academic_year", "name", "establishment_knack_id", "year_group", "course", "faculty", "grp", "gender", "completion_date", "completed_at", "last_cycle"}
	scoreCols         = []string{"record_id", "cycle", "vision", "effort", "systems", "practice", "attitude", "overall", "completion_date"}
	commentCols       = []string{"record_id", "cycle", "comment_type", "comment_text", "knack_field_id"}
	questionnaireCols = []string{"record_id", "email", "result_knack_id", "year_uk", "year_au", "completion_date", "completed_at"}
	answerSetCols     = []string{"record_id", "cycle", "question_ids", "vals"}
	staffCols         = []string{"knack_id", "email", "name", "establishment_knack_id"}
	superUserCols     = []string{"knack_id", "email", "name"}
	accountCols       = []string{"record_id", "email"}
	profileCols       = []string{"record_id", "email", "academic_year", "student_name", "year_group", "tutor_group", "attendance", "prior_attainment", "upn", "uci", "centre_number", "establishment_knack_id", "establishment_name"}
	subjectCols       = []string{"record_id", "position", "subject_name", "exam_type", "exam_board", "current_grade", "target_grade", "minimum_expected_grade", "subject_target_grade", "effort_grade", "behaviour_grade", "subject_attendance", "original_record_id"}
)

func buildEstablishment(b *builder, in input, _ vespa.Context) {
	row, issues := vespa.ProjectEstablishment(in.rec)
	b.issues(issues)
	b.record(in, false, "")
	id := in.rec.ID
	b.row("stg_establishments", establishmentCols, row.KnackID, b.fit(id, "establishments.name", row.Name, 255),
		b.fit(id, "establishments.status", row.Status, 50), b.fit(id, "establishments.portal_type", row.PortalType, 50),
		row.IsAustralian, row.UseStandardYear)
}

func buildResult(b *builder, in input, ctx vespa.Context) {
	rows, issues, ok := vespa.ProjectResult(in.rec, ctx)
	b.issues(issues)
	if !ok {
		b.record(in, false, "")
		return
	}
	st := rows.Student
	b.record(in, true, st.AcademicYear)
	id := in.rec.ID
	b.row("stg_students", studentCols, st.KnackID, st.Email, st.AcademicYear, b.fit(id, "students.name", st.Name, 255),
		st.EstablishmentKnackID, b.fit(id, "students.year_group", st.YearGroup, 50), b.fit(id, "students.course", st.Course, 100),
		b.fit(id, "students.faculty", st.Faculty, 100), b.fit(id, "students.group", st.Group, 100),
		b.fit(id, "students.gender", st.Gender, 50), date(st.CompletionDate), date(st.CompletedAt), st.LastCycle)
	for _, sc := range rows.Scores {
		s := sc.Scores
		b.row("stg_scores", scoreCols, in.rec.ID, sc.Cycle, s[0], s[1], s[2], s[3], s[4], s[5], date(sc.CompletionDate))
	}
	for _, c := range rows.Comments {
		b.row("stg_comments", commentCols, in.rec.ID, c.Cycle, c.Type, c.Text, c.FieldKey)
	}
}

func buildQuestionnaire(b *builder, in input, ctx vespa.Context) {
	rows, issues, ok := vespa.ProjectQuestionnaire(in.rec, ctx)
	b.issues(issues)
	if !ok {
		b.record(in, false, "")
		return
	}
	b.record(in, true, rows.YearUK)
	b.row("stg_questionnaires", questionnaireCols, in.rec.ID, rows.Email, rows.ResultKnackID, rows.YearUK, rows.YearAU,
		date(rows.CompletionDate), date(rows.CompletedAt))
	for _, set := range answerSets(rows.Answers) {
		b.row("stg_answer_sets", answerSetCols, in.rec.ID, set.cycle, set.ids, set.vals)
	}
}

// answerSet is one cycle's answers with question ids in byte order, the
// order the SQL compares them in (COLLATE "C").
type answerSet struct {
	cycle int
	ids   []string
	vals  []int32
}

func answerSets(answers []vespa.Answer) []answerSet {
	sorted := slices.Clone(answers)
	slices.SortStableFunc(sorted, func(a, b vespa.Answer) int {
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

func buildStaff(b *builder, in input, ctx vespa.Context) {
	row, issues, ok := vespa.ProjectStaff(in.rec, ctx)
	b.issues(issues)
	b.record(in, false, "")
	if ok {
		b.row("stg_staff", staffCols, row.KnackID, row.Email, b.fit(in.rec.ID, "staff_admins.name", row.Name, 255), row.EstablishmentKnackID)
	}
}

func buildSuperUser(b *builder, in input, _ vespa.Context) {
	row, issues, ok := vespa.ProjectSuperUser(in.rec)
	b.issues(issues)
	b.record(in, false, "")
	if ok {
		b.row("stg_super_users", superUserCols, row.KnackID, row.Email, b.fit(in.rec.ID, "super_users.name", row.Name, 255))
	}
}

func buildAccount(b *builder, in input, _ vespa.Context) {
	id, email, issues := vespa.ProjectAccount(in.rec)
	b.issues(issues)
	b.record(in, false, "")
	if email != "" {
		b.row("stg_accounts", accountCols, id, email)
	}
}

func buildProfile(b *builder, in input, ctx vespa.Context) {
	rows, issues, ok := vespa.ProjectProfile(in.rec, ctx)
	b.issues(issues)
	if !ok {
		b.record(in, false, "")
		return
	}
	p := rows.Profile
	b.record(in, true, p.AcademicYear)
	id := in.rec.ID
	b.row("stg_profiles", profileCols, id, p.Email, p.AcademicYear, b.fit(id, "academic_profiles.student_name", p.StudentName, 255),
		b.fit(id, "academic_profiles.year_group", p.YearGroup, 50), b.fit(id, "academic_profiles.tutor_group", p.TutorGroup, 50),
		p.Attendance, p.PriorAttainment, b.fit(id, "academic_profiles.upn", p.UPN, 50), b.fit(id, "academic_profiles.uci", p.UCI, 50),
		b.fit(id, "academic_profiles.centre_number", p.CentreNumber, 50), p.EstablishmentKnackID,
		b.fit(id, "academic_profiles.establishment_name", p.EstablishmentName, 255))
	for _, s := range rows.Subjects {
		grade := func(col, v string) string { return b.fit(id, "student_subjects."+col, v, 20) }
		b.row("stg_subjects", subjectCols, id, s.Position, b.fit(id, "student_subjects.subject_name", s.SubjectName, 255),
			b.fit(id, "student_subjects.exam_type", s.ExamType, 50), b.fit(id, "student_subjects.exam_board", s.ExamBoard, 50),
			grade("current_grade", s.CurrentGrade), grade("target_grade", s.TargetGrade),
			grade("minimum_expected_grade", s.MinimumExpectedGrade), grade("subject_target_grade", s.SubjectTargetGrade),
			grade("effort_grade", s.EffortGrade), grade("behaviour_grade", s.BehaviourGrade),
			s.SubjectAttendance, b.fit(id, "student_subjects.original_record_id", s.OriginalRecordID, 50))
	}
}
