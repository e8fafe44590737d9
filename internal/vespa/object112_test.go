package vespa

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"knacksync/internal/knack"
)

const (
	profileA = "66a000000000000000011201"
	accountA = "5c3000000000000000000001" // in testContext's Accounts
)

// profileRecord is a clean object_112 record with extra fields laid over it.
func profileRecord(t *testing.T, extra ...[]kv) knack.Record {
	t.Helper()
	f := Object112
	fields := []kv{
		raw(f.Account, connRaw(accountA)),
		raw(f.StudentName, "Pat Lee"),
		raw(f.Establishment, connRaw(estUK)),
		raw(f.TutorGroup, "12B"),
		raw(f.YearGroup, "12"),
		raw(f.Attendance, "93%"),
		raw(f.PriorAttainment, 6.4),
		raw(f.UPN, "A123456789012"),
		raw(f.UCI, "UCI-0001"),
		raw(f.CentreNumber, 12345),
		raw(f.Subjects[0], `{"subject":"Physics","examType":"A Level","examBoard":"AQA","currentGrade":"B","targetGrade":"A","minimumExpectedGrade":"B","subjectTargetGrade":"A","effortGrade":"2","behaviourGrade":"1","subjectAttendance":0.95,"originalRecordId":"66a0000000000000000000s1"}`),
	}
	for _, e := range extra {
		fields = append(fields, e...)
	}
	return record(t, profileA, fields...)
}

func TestProjectObject112(t *testing.T) {
	t.Parallel()
	rows, issues, ok := ProjectObject112(profileRecord(t), testContext())
	if !ok || len(issues) > 0 {
		t.Fatalf("ok %v, issues %v", ok, issueKeys(issues))
	}
	want := Object112Rows{
		Profile: ProfileRow{
			KnackID:              profileA,
			Email:                "pat.lee@northfield.example",
			AcademicYear:         "2024/2025", // first seen 10 March 2025
			StudentName:          "Pat Lee",
			YearGroup:            "12",
			TutorGroup:           "12B",
			Attendance:           ptr(0.93),
			PriorAttainment:      ptr(6.4),
			UPN:                  "A123456789012",
			UCI:                  "UCI-0001",
			CentreNumber:         "12345",
			EstablishmentKnackID: estUK,
			EstablishmentName:    "Northfield Academy",
		},
		Subjects: []SubjectRow{{
			Position: 1, SubjectName: "Physics", ExamType: "A Level", ExamBoard: "AQA",
			CurrentGrade: "B", TargetGrade: "A", MinimumExpectedGrade: "B", SubjectTargetGrade: "A",
			EffortGrade: "2", BehaviourGrade: "1", SubjectAttendance: ptr(0.95), OriginalRecordID: "66a0000000000000000000s1",
		}},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows mismatch (-want +got):\n%s", diff)
	}
}

func TestProjectObject112Account(t *testing.T) {
	t.Parallel()
	f := Object112
	tests := []struct {
		name       string
		fields     []kv
		wantEmail  string
		wantOK     bool
		wantIssues []string
	}{
		{"connection", nil, "pat.lee@northfield.example", true, nil},
		{"bare id", kvs(raw(f.Account, accountA)), "pat.lee@northfield.example", true, nil},
		{"formatted span", append(absent(f.Account), fmtd(f.Account, `<span class="`+accountA+`">pat.lee@northfield.example</span>`)), "pat.lee@northfield.example", true, nil},
		{"no account", append(absent(f.Account), raw(f.Account, []string{})), "", false, []string{"unknown_account field_3064 "}},
		{"account missing from object_3", kvs(raw(f.Account, connRaw("5c30000000000000000000ee"))), "", false, []string{"unknown_account field_3064 5c30000000000000000000ee"}},
		{"account without an email", kvs(raw(f.Account, connRaw("5c3000000000000000000002"))), "", false, []string{"unknown_account field_3064 5c3000000000000000000002"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, issues, ok := ProjectObject112(profileRecord(t, tt.fields), testContext())
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.wantEmail, rows.Profile.Email); diff != "" {
				t.Errorf("email mismatch (-want +got):\n%s", diff)
			}
			if !ok && len(rows.Subjects) > 0 {
				t.Errorf("subjects without a profile")
			}
			if diff := cmp.Diff(tt.wantIssues, issueKeys(issues)); diff != "" {
				t.Errorf("issues mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProjectObject112Attendance(t *testing.T) {
	t.Parallel()
	f := Object112
	tests := []struct {
		name       string
		value      any
		want       *float64
		wantIssues []string
	}{
		{"percent", "93%", ptr(0.93), nil},
		{"percent with space and decimals", " 93.5 % ", ptr(0.935), nil},
		{"share", "0.93", ptr(0.93), nil},
		{"share as a number", 0.93, ptr(0.93), nil},
		{"bare percentage", "93", ptr(0.93), nil},
		{"one is all", "1", ptr(1.0), nil},
		{"100%", "100%", ptr(1.0), nil},
		{"zero", "0%", ptr(0.0), nil},
		{"empty", "", nil, nil},
		{"above 100%", "150%", nil, []string{"bad_value field_3076 150%"}},
		{"negative", "-5%", nil, []string{"bad_value field_3076 -5%"}},
		{"text", "good", nil, []string{"bad_value field_3076 good"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, issues, ok := ProjectObject112(profileRecord(t, kvs(raw(f.Attendance, tt.value))), testContext())
			if !ok {
				t.Fatal("not ok")
			}
			if diff := cmp.Diff(tt.want, rows.Profile.Attendance); diff != "" {
				t.Errorf("attendance mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantIssues, issueKeys(issues)); diff != "" {
				t.Errorf("issues mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProjectObject112Subjects(t *testing.T) {
	t.Parallel()
	f := Object112
	subj := func(pos int, text string) []kv { return kvs(raw(f.Subjects[pos-1], text)) }
	tests := []struct {
		name          string
		fields        [][]kv
		wantPositions []int
		wantNames     []string
		wantIssues    []string
	}{
		{"one subject", nil, []int{1}, []string{"Physics"}, nil},
		{
			"gaps kept as positions",
			[][]kv{subj(3, `{"subject":"Chemistry"}`), subj(15, `{"subject":"Art","currentGrade":7}`)},
			[]int{1, 3, 15}, []string{"Physics", "Chemistry", "Art"}, nil,
		},
		{
			"invalid JSON skipped and reported",
			[][]kv{subj(2, `{"subject": "Maths"`)},
			[]int{1}, []string{"Physics"}, []string{`bad_subject field_3081 {"subject": "Maths"`},
		},
		{
			"no subject key skipped and reported",
			[][]kv{subj(2, `{"examType":"GCSE"}`), subj(3, `{"subject":"  "}`)},
			[]int{1}, []string{"Physics"},
			[]string{`bad_subject field_3081 {"examType":"GCSE"}`, `bad_subject field_3082 {"subject":"  "}`},
		},
		{
			"JSON that is not an object",
			[][]kv{subj(2, `"Maths"`)},
			[]int{1}, []string{"Physics"}, []string{`bad_subject field_3081 "Maths"`},
		},
		{
			"empty position: no row, no issue",
			[][]kv{subj(1, ""), subj(2, " ")},
			nil, nil, nil,
		},
		{
			"HTML-escaped formatted JSON",
			[][]kv{absent(f.Subjects[0]), kvs(fmtd(f.Subjects[0], `{&quot;subject&quot;:&quot;Biology&quot;}`))},
			[]int{1}, []string{"Biology"}, nil,
		},
		{
			"bad subject attendance: NULL, reported, subject kept",
			[][]kv{subj(2, `{"subject":"History","subjectAttendance":"most days"}`)},
			[]int{1, 2}, []string{"Physics", "History"}, []string{"bad_value field_3081 most days"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, issues, ok := ProjectObject112(profileRecord(t, tt.fields...), testContext())
			if !ok {
				t.Fatal("not ok")
			}
			var pos []int
			var names []string
			for _, s := range rows.Subjects {
				pos = append(pos, s.Position)
				names = append(names, s.SubjectName)
			}
			if diff := cmp.Diff(tt.wantPositions, pos); diff != "" {
				t.Errorf("positions mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNames, names); diff != "" {
				t.Errorf("names mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantIssues, issueKeys(issues)); diff != "" {
				t.Errorf("issues mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProjectObject112YearAndEstablishment(t *testing.T) {
	t.Parallel()
	f := Object112
	tests := []struct {
		name       string
		est        []kv
		firstSeen  time.Time
		wantYear   string
		wantEst    string
		wantName   string
		wantIssues []string
	}{
		{"UK, first seen 31 July", kvs(raw(f.Establishment, connRaw(estUK))), time.Date(2025, 7, 31, 22, 0, 0, 0, time.UTC), "2024/2025", estUK, "Northfield Academy", nil},
		{"UK, first seen 1 August", kvs(raw(f.Establishment, connRaw(estUK))), time.Date(2025, 8, 1, 0, 1, 0, 0, time.UTC), "2025/2026", estUK, "Northfield Academy", nil},
		{"AU calendar", kvs(raw(f.Establishment, connRaw(estAUCal))), time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC), "2025/2025", estAUCal, "Coastal College", nil},
		{"AU standard year empty: UK", kvs(raw(f.Establishment, connRaw(estAUNull))), time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC), "2025/2026", estAUNull, "Ridge School", nil},
		{
			"unknown establishment", kvs(raw(f.Establishment, connRaw(estGone))), time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC),
			"2025/2026", "", "", []string{"unknown_establishment field_3069 " + estGone},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext()
			ctx.FirstSeen = tt.firstSeen
			rows, issues, ok := ProjectObject112(profileRecord(t, tt.est), ctx)
			if !ok {
				t.Fatal("not ok")
			}
			got := []string{rows.Profile.AcademicYear, rows.Profile.EstablishmentKnackID, rows.Profile.EstablishmentName}
			if diff := cmp.Diff([]string{tt.wantYear, tt.wantEst, tt.wantName}, got); diff != "" {
				t.Errorf("year, establishment, name mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantIssues, issueKeys(issues)); diff != "" {
				t.Errorf("issues mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("no FirstSeen: not stored", func(t *testing.T) {
		t.Parallel()
		ctx := testContext()
		ctx.FirstSeen = time.Time{}
		_, issues, ok := ProjectObject112(profileRecord(t), ctx)
		if ok {
			t.Error("ok without FirstSeen")
		}
		if diff := cmp.Diff([]string{"bad_date  "}, issueKeys(issues)); diff != "" {
			t.Errorf("issues mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestProjectObject112PriorAttainment(t *testing.T) {
	t.Parallel()
	f := Object112
	for _, tt := range []struct {
		name       string
		value      any
		want       *float64
		wantIssues []string
	}{
		{"number", 6.4, ptr(6.4), nil},
		{"string", "5.25", ptr(5.25), nil},
		{"empty", "", nil, nil},
		{"text", "n/a", nil, []string{"bad_value field_3272 n/a"}},
	} {
		rows, issues, _ := ProjectObject112(profileRecord(t, kvs(raw(f.PriorAttainment, tt.value))), testContext())
		if diff := cmp.Diff(tt.want, rows.Profile.PriorAttainment); diff != "" {
			t.Errorf("%s: prior attainment mismatch (-want +got):\n%s", tt.name, diff)
		}
		if diff := cmp.Diff(tt.wantIssues, issueKeys(issues)); diff != "" {
			t.Errorf("%s: issues mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}
