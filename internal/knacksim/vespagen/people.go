package vespagen

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"knacksync/internal/knack"
	"knacksync/internal/vespa"
)

// person is a staff admin (object_5) or a super user (object_21).
type person struct {
	id          string
	first, last string
	email       string
	school      int  // -1: none
	omitSchool  bool // field_110 absent altogether
	taken       bool
}

// account is an object_3 user account.
type account struct {
	id         string
	email      string
	anchorOnly bool // field_70 only as the formatted anchor
	missing    bool // named by a profile, but not in object_3
}

// profile is an object_112 academic profile.
type profile struct {
	id          string
	s           *student
	acc         *account
	accountText bool // field_3064 as the plain id, not a connection
	attendance  string
	prior       float64
	hasPrior    bool
	upn, uci    string
	subjects    []string
	taken       bool
}

func (g *gen) newAccount(email string, created time.Time) *account {
	a := &account{id: g.newID(created), email: email}
	g.accounts = append(g.accounts, a)
	return a
}

func (g *gen) makeStaff() {
	for si, sc := range g.schools {
		for range g.p.staffPerSchool {
			first, last := g.pick(firstNames), g.pick(lastNames)
			created := g.notAfterNow(g.between(day(2020, time.January, 6), day(g.cur, time.September, 30)))
			p := &person{id: g.newID(created), first: first, last: last, school: si,
				email: g.email(first[:1], last, sc.domain)}
			g.staff = append(g.staff, p)
			g.newAccount(p.email, created)
		}
	}
	takeStaff := func() *person {
		for {
			if p := g.staff[g.rng.IntN(len(g.staff))]; !p.taken {
				p.taken = true
				return p
			}
		}
	}
	for range g.p.k {
		p := takeStaff()
		p.school = -1
		g.d.StaffNoEstablishment = append(g.d.StaffNoEstablishment, Ref{Object: vespa.Object5.Object, ID: p.id, Field: vespa.Object5.Establishment.Key})
		p = takeStaff()
		p.school, p.omitSchool = -1, true
		g.d.StaffNoEstablishment = append(g.d.StaffNoEstablishment, Ref{Object: vespa.Object5.Object, ID: p.id, Field: vespa.Object5.Establishment.Key})
	}

	both := max(1, min(g.p.k, g.p.superUsers/2))
	for i := range g.p.superUsers {
		created := g.notAfterNow(g.between(day(2019, time.March, 4), day(g.cur, time.June, 30)))
		p := &person{id: g.newID(created), school: -1}
		if i < both {
			st := takeStaff()
			p.first, p.last, p.email = st.first, st.last, st.email
			g.d.SuperUserAlsoStaff = append(g.d.SuperUserAlsoStaff, Link{
				From: Ref{Object: vespa.Object21.Object, ID: p.id, Field: vespa.Object21.Email.Key, Want: p.email},
				To:   Ref{Object: vespa.Object5.Object, ID: st.id, Field: vespa.Object5.Email.Key, Want: st.email},
			})
		} else {
			p.first, p.last = g.pick(firstNames), g.pick(lastNames)
			p.email = g.email(p.first, p.last, "vespa-academy")
			g.newAccount(p.email, created)
		}
		g.supers = append(g.supers, p)
	}
}

func (g *gen) makeProfiles() {
	seen := map[string]bool{}
	from := day(g.cur, time.September, 1)
	if from.After(g.now) {
		from = day(g.cur, time.August, 1)
	}
	to := g.notAfterNow(day(g.cur, time.October, 15))
	for _, s := range g.students {
		if s.year != g.cur || s.school < 0 || seen[s.clean] {
			continue
		}
		seen[s.clean] = true
		if g.rng.Float64() >= g.p.profileShare {
			continue
		}
		created := g.between(from, to)
		p := &profile{s: s, id: g.newID(created)}
		p.acc = g.newAccount(s.clean, s.created10)
		switch x := 80 + g.rng.IntN(20); {
		case g.rng.IntN(10) < 7:
			p.attendance = strconv.Itoa(x) + "%"
		case g.rng.IntN(3) < 2:
			p.attendance = "0." + strconv.Itoa(x)
		}
		if g.rng.IntN(10) < 9 {
			p.prior, p.hasPrior = float64(400+g.rng.IntN(450))/100, true
		}
		p.upn = "A" + digits(g, 12)
		p.uci = "UCI" + digits(g, 10)
		p.subjects = g.subjects(s, created)
		g.profiles = append(g.profiles, p)
	}
}

func digits(g *gen, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.rng.IntN(10))
	}
	return string(b)
}

func (g *gen) subjects(s *student, created time.Time) []string {
	n := 3 + g.rng.IntN(3)
	examType := s.course
	grades := aLevelGrades
	if s.course == "GCSE" {
		n = 8 + g.rng.IntN(3)
		grades = []string{"9", "8", "7", "6", "5", "4", "3", "2", "1"}
	}
	var out []string
	for _, i := range g.rng.Perm(len(subjectNames))[:n] {
		grade := func() string { return grades[g.rng.IntN(min(len(grades), 5))] }
		subj := vespa.SubjectJSON{
			Subject:              subjectNames[i],
			ExamType:             examType,
			ExamBoard:            g.pick(examBoards),
			CurrentGrade:         grade(),
			TargetGrade:          grade(),
			MinimumExpectedGrade: grade(),
			SubjectTargetGrade:   grade(),
			EffortGrade:          strconv.Itoa(1 + g.rng.IntN(4)),
			BehaviourGrade:       strconv.Itoa(1 + g.rng.IntN(4)),
			SubjectAttendance:    float64(80+g.rng.IntN(21)) / 100,
			OriginalRecordID:     g.newID(created),
		}
		b, err := json.Marshal(subj)
		if err != nil {
			panic(err) // a struct of strings and a number always marshals
		}
		out = append(out, string(b))
	}
	return out
}

func (g *gen) dirtyProfiles() error {
	pr, obj := vespa.Object112, vespa.Object112.Object
	n := len(g.profiles)
	if n == 0 {
		return errors.New("no academic profiles")
	}
	take := func(ok func(*profile) bool) (*profile, error) {
		start := g.rng.IntN(n)
		for i := range n {
			if p := g.profiles[(start+i)%n]; !p.taken && ok(p) {
				p.taken = true
				return p, nil
			}
		}
		return nil, errors.New("not enough academic profiles for the dirty cases")
	}
	anyProfile := func(*profile) bool { return true }
	twoSubjects := func(p *profile) bool { return len(p.subjects) >= 2 }
	d := g.d
	for range g.p.k {
		for _, c := range []struct {
			apply func(*profile)
			ok    func(*profile) bool
		}{
			{func(p *profile) {
				p.attendance = "93%"
				d.AttendancePercent = append(d.AttendancePercent, Ref{obj, p.id, pr.Attendance.Key, "0.93"})
			}, anyProfile},
			{func(p *profile) {
				p.attendance = "0.93"
				d.AttendanceFraction = append(d.AttendanceFraction, Ref{obj, p.id, pr.Attendance.Key, "0.93"})
			}, anyProfile},
			{func(p *profile) {
				p.attendance = ""
				d.AttendanceEmpty = append(d.AttendanceEmpty, Ref{obj, p.id, pr.Attendance.Key, ""})
			}, anyProfile},
			{func(p *profile) {
				p.hasPrior = false
				d.PriorAttainmentEmpty = append(d.PriorAttainmentEmpty, Ref{obj, p.id, pr.PriorAttainment.Key, ""})
			}, anyProfile},
			{func(p *profile) {
				p.subjects[0] = p.subjects[0][:len(p.subjects[0])/2]
				d.SubjectInvalidJSON = append(d.SubjectInvalidJSON, Ref{obj, p.id, pr.Subjects[0].Key, ""})
			}, twoSubjects},
			{func(p *profile) {
				p.subjects[1] = `{"examType":"A Level","examBoard":"AQA","currentGrade":"C","targetGrade":"B"}`
				d.SubjectNoSubject = append(d.SubjectNoSubject, Ref{obj, p.id, pr.Subjects[1].Key, ""})
			}, twoSubjects},
			{func(p *profile) {
				p.acc.missing = true
				d.ProfileMissingAccount = append(d.ProfileMissingAccount, Ref{obj, p.id, pr.Account.Key, ""})
			}, anyProfile},
			{func(p *profile) {
				p.accountText = true
				d.ProfileAccountText = append(d.ProfileAccountText, Ref{obj, p.id, pr.Account.Key, p.acc.email})
			}, anyProfile},
			{func(p *profile) {
				p.acc.anchorOnly = true
				d.AccountAnchorOnly = append(d.AccountAnchorOnly, Ref{vespa.Object3.Object, p.acc.id, vespa.Object3.Email.Key, p.acc.email})
			}, anyProfile},
		} {
			p, err := take(c.ok)
			if err != nil {
				return err
			}
			c.apply(p)
		}
	}
	return nil
}

func (g *gen) emitStaff(p *person) knack.Record {
	st := vespa.Object5
	b := &g.b
	b.reset()
	b.email(g.keys.of(st.Email), p.email)
	b.name(g.keys.of(st.Name), p.first, p.last)
	switch {
	case p.omitSchool:
	case p.school < 0:
		b.conn(g.keys.of(st.Establishment), "", "")
	default:
		sc := g.schools[p.school]
		b.conn(g.keys.of(st.Establishment), sc.id, sc.field44)
	}
	return b.record(p.id)
}

func (g *gen) emitSuperUser(p *person) knack.Record {
	su := vespa.Object21
	b := &g.b
	b.reset()
	b.email(g.keys.of(su.Email), p.email)
	b.name(g.keys.of(su.Name), p.first, p.last)
	return b.record(p.id)
}

func (g *gen) emitAccount(a *account) knack.Record {
	k := g.keys.of(vespa.Object3.Email)
	b := &g.b
	b.reset()
	b.email(k, a.email)
	if a.anchorOnly {
		b.ov = append(b.ov, override{key: k.raw})
	}
	return b.record(a.id)
}

func (g *gen) emitProfile(p *profile) knack.Record {
	pr := vespa.Object112
	b := &g.b
	b.reset()
	if p.accountText {
		b.text(g.keys.of(pr.Account), p.acc.id)
	} else {
		b.conn(g.keys.of(pr.Account), p.acc.id, p.acc.email)
	}
	s := p.s
	b.text(g.keys.of(pr.StudentName), s.first+" "+s.last)
	sc := g.schools[s.school]
	b.conn(g.keys.of(pr.Establishment), sc.id, sc.field44)
	b.text(g.keys.of(pr.TutorGroup), s.group)
	b.text(g.keys.of(pr.YearGroup), s.yearGroup)
	b.text(g.keys.of(pr.Attendance), p.attendance)
	if p.hasPrior {
		b.float(g.keys.of(pr.PriorAttainment), p.prior)
	} else {
		b.both(g.keys.of(pr.PriorAttainment), jsonEmpty)
	}
	b.text(g.keys.of(pr.UPN), p.upn)
	b.text(g.keys.of(pr.UCI), p.uci)
	b.text(g.keys.of(pr.CentreNumber), sc.centre)
	for i, f := range pr.Subjects {
		if i < len(p.subjects) {
			b.text(g.keys.of(f), p.subjects[i])
		} else {
			b.both(g.keys.of(f), jsonEmpty)
		}
	}
	return b.record(p.id)
}
