package syncer

import (
	"knacksync/internal/vespa"
)

// The builders turn one record's projection into staging rows. The columns
// match the "stage" sections of the store's SQL files.

var (
	establishmentCols = []string{"knack_id", "name", "status", "portal_type", "is_australian", "use_standard_year"}
	studentCols       = []string{"record_id", "email", "academic_year", "name", "establishment_knack_id", "year_group", "course", "faculty", "grp", "gender", "completion_date", "last_cycle"}
	scoreCols         = []string{"record_id", "cycle", "vision", "effort", "systems", "practice", "attitude", "overall", "completion_date"}
	commentCols       = []string{"record_id", "cycle", "comment_type", "comment_text", "knack_field_id"}
	questionnaireCols = []string{"record_id", "email", "result_knack_id", "year_uk", "year_au", "completion_date"}
	answerCols        = []string{"record_id", "cycle", "question_id", "value"}
	staffCols         = []string{"knack_id", "email", "name", "establishment_knack_id"}
	superUserCols     = []string{"knack_id", "email", "name"}
	accountCols       = []string{"record_id", "email"}
	profileCols       = []string{"record_id", "email", "academic_year", "student_name", "year_group", "tutor_group", "attendance", "prior_attainment", "upn", "uci", "centre_number", "establishment_knack_id", "establishment_name"}
	subjectCols       = []string{"record_id", "position", "subject_name", "exam_type", "exam_board", "current_grade", "target_grade", "minimum_expected_grade", "subject_target_grade", "effort_grade", "behaviour_grade", "subject_attendance", "original_record_id"}
)

func buildEstablishment(b *builder, in input, _ vespa.Context) {
	row, issues := vespa.ProjectEstablishment(in.rec)
	b.issues(issues)
	b.record(in.rec.ID, false, "")
	b.row("stg_establishments", establishmentCols, row.KnackID, row.Name, row.Status, row.PortalType, row.IsAustralian, row.UseStandardYear)
}

func buildResult(b *builder, in input, ctx vespa.Context) {
	rows, issues, ok := vespa.ProjectResult(in.rec, ctx)
	b.issues(issues)
	if !ok {
		b.record(in.rec.ID, false, "")
		return
	}
	st := rows.Student
	b.record(in.rec.ID, true, st.AcademicYear)
	b.row("stg_students", studentCols, st.KnackID, st.Email, st.AcademicYear, st.Name, st.EstablishmentKnackID,
		st.YearGroup, st.Course, st.Faculty, st.Group, st.Gender, date(st.CompletionDate), st.LastCycle)
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
		b.record(in.rec.ID, false, "")
		return
	}
	b.record(in.rec.ID, true, rows.YearUK)
	b.row("stg_questionnaires", questionnaireCols, in.rec.ID, rows.Email, rows.ResultKnackID, rows.YearUK, rows.YearAU, date(rows.CompletionDate))
	for _, a := range rows.Answers {
		b.row("stg_answers", answerCols, in.rec.ID, a.Cycle, a.QuestionID, a.Value)
	}
}

func buildStaff(b *builder, in input, ctx vespa.Context) {
	row, issues, ok := vespa.ProjectStaff(in.rec, ctx)
	b.issues(issues)
	b.record(in.rec.ID, false, "")
	if ok {
		b.row("stg_staff", staffCols, row.KnackID, row.Email, row.Name, row.EstablishmentKnackID)
	}
}

func buildSuperUser(b *builder, in input, _ vespa.Context) {
	row, issues, ok := vespa.ProjectSuperUser(in.rec)
	b.issues(issues)
	b.record(in.rec.ID, false, "")
	if ok {
		b.row("stg_super_users", superUserCols, row.KnackID, row.Email, row.Name)
	}
}

func buildAccount(b *builder, in input, _ vespa.Context) {
	id, email, issues := vespa.ProjectAccount(in.rec)
	b.issues(issues)
	b.record(in.rec.ID, false, "")
	if email != "" {
		b.row("stg_accounts", accountCols, id, email)
	}
}

func buildProfile(b *builder, in input, ctx vespa.Context) {
	rows, issues, ok := vespa.ProjectProfile(in.rec, ctx)
	b.issues(issues)
	if !ok {
		b.record(in.rec.ID, false, "")
		return
	}
	p := rows.Profile
	b.record(in.rec.ID, true, p.AcademicYear)
	b.row("stg_profiles", profileCols, in.rec.ID, p.Email, p.AcademicYear, p.StudentName, p.YearGroup, p.TutorGroup,
		p.Attendance, p.PriorAttainment, p.UPN, p.UCI, p.CentreNumber, p.EstablishmentKnackID, p.EstablishmentName)
	for _, s := range rows.Subjects {
		b.row("stg_subjects", subjectCols, in.rec.ID, s.Position, s.SubjectName, s.ExamType, s.ExamBoard, s.CurrentGrade,
			s.TargetGrade, s.MinimumExpectedGrade, s.SubjectTargetGrade, s.EffortGrade, s.BehaviourGrade,
			s.SubjectAttendance, s.OriginalRecordID)
	}
}
