package vespagen

import (
	"strconv"
	"strings"
	"time"

	"knacksync/internal/vespa"
)

// This file plants the dirty cases in the students, and records each in
// the manifest.

const isoDate = "2006-01-02"

func ref10(s *student, f vespa.Field, want string) Ref {
	return Ref{Object: vespa.Object10.Object, ID: s.id10, Field: f.Key, Want: want}
}

func ref29(s *student, f vespa.Field, want string) Ref {
	return Ref{Object: vespa.Object29.Object, ID: s.id29, Field: f.Key, Want: want}
}

// plain is a student fit to carry one dirty case: a known school, a
// completion date, and a questionnaire.
func (g *gen) plain(s *student) bool {
	return s.school >= 0 && !s.date.IsZero() && s.has29
}

// uk is a plain student of a school that follows the UK academic year.
func (g *gen) uk(s *student) bool {
	return g.plain(s) && !g.schools[s.school].au
}

func (g *gen) dirtyStudents() error {
	var err error
	take := func(ok func(*student) bool) *student {
		if err != nil {
			return nil
		}
		var s *student
		s, err = g.take(ok)
		if err != nil {
			return &student{answers: make([]int8, 3*g.nq())} // a throwaway, so that the callers need no checks
		}
		return s
	}
	res, qn, d := vespa.Object10, vespa.Object29, g.d
	dateKeys := g.keys.of(res.CompletionDate)

	for i := range g.p.k {
		// E-mail shapes. The questionnaire keeps the clean address and no
		// field_792, so that only a normalised match links it.
		s := take(g.plain)
		s.email, s.link792 = mixedCase(s.clean), false
		d.EmailMixedCase = append(d.EmailMixedCase, ref10(s, res.Email, s.clean))

		s = take(g.plain)
		s.email, s.link792 = "  "+s.clean+" ", false
		d.EmailSpaces = append(d.EmailSpaces, ref10(s, res.Email, s.clean))

		s = take(g.plain)
		s.link792 = false
		s.ov10 = append(s.ov10, override{key: g.keys.of(res.Email).raw})
		d.EmailAnchorOnly = append(d.EmailAnchorOnly, ref10(s, res.Email, s.clean))

		s = take(g.plain)
		s.link792 = false
		s.set10(g.keys.of(res.Email), jsonEmpty, jsonRaw(`{"email":{"address":`+string(jsonText(s.clean))+`}}`))
		d.EmailNested = append(d.EmailNested, ref10(s, res.Email, s.clean))

		s = take(g.plain)
		s.link792 = false
		s.set10(g.keys.of(res.Email), jsonEmpty, jsonRaw(`{"address":`+string(jsonText(s.clean))+`}`))
		d.EmailAddressKey = append(d.EmailAddressKey, ref10(s, res.Email, s.clean))

		// Completion dates.
		s = take(g.plain)
		at := s.date.Add(4*time.Hour + 50*time.Minute)
		if i > 0 {
			at = g.timeOfDay(s.date)
		}
		s.set10(dateKeys, jsonText(at.Format("02/01/2006 15:04")), nil)
		d.DateWithTimeNoRaw = append(d.DateWithTimeNoRaw, ref10(s, res.CompletionDate, s.date.Format(isoDate)))

		s = take(g.plain)
		s.date, s.at29 = time.Time{}, time.Time{}
		d.DateMissing = append(d.DateMissing, ref10(s, res.CompletionDate, ""))

		s = take(g.uk)
		g.redate(s, g.cur-1, day(g.cur, time.July, 31))
		d.DateJuly31 = append(d.DateJuly31, ref10(s, res.CompletionDate, s.date.Format(isoDate)))

		s = take(g.uk)
		s.year = g.cur
		g.fill(s, 1)
		g.redate(s, g.cur, day(g.cur, time.August, 1))
		d.DateAugust1 = append(d.DateAugust1, ref10(s, res.CompletionDate, s.date.Format(isoDate)))

		if au := g.schoolWith(func(sc *school) bool { return sc.au && sc.std != nil && !*sc.std }); au >= 0 {
			s = take(g.plain)
			s.school = au
			g.redate(s, g.cur-1, day(g.cur-1, time.December, 31))
			d.DateDecember31 = append(d.DateDecember31, ref10(s, res.CompletionDate, s.date.Format(isoDate)))

			s = take(g.plain)
			s.school = au
			g.redate(s, g.cur-1, day(g.cur, time.January, 1))
			d.DateJanuary1 = append(d.DateJanuary1, ref10(s, res.CompletionDate, s.date.Format(isoDate)))
		}

		s = take(g.plain)
		s.set10(dateKeys, jsonText(s.date.Add(10*time.Hour+30*time.Minute).Format("2006-01-02T15:04:05Z")), nil)
		d.DateISO = append(d.DateISO, ref10(s, res.CompletionDate, s.date.Format(isoDate)))

		for _, text := range []string{"31/02/" + strconv.Itoa(g.cur+1), "next week"} {
			s = take(g.plain)
			s.set10(dateKeys, jsonText(text), nil)
			s.at29 = time.Time{}
			d.DateUnparseable = append(d.DateUnparseable, ref10(s, res.CompletionDate, ""))
		}

		// Scores, all in cycle 1.
		sc := res.Scores[0]
		for _, c := range []struct {
			list *[]Ref
			k    int
			raw  string
			want string
		}{
			{&d.ScoreDecimalText, 0, `"7.0"`, "7"},
			{&d.ScorePadded, 1, `" 7 "`, "7"},
			{&d.ScoreFraction, 2, `"6.5"`, "7"},
			{&d.ScoreEleven, 3, `11`, ""},
			{&d.ScoreEmpty, 4, `""`, ""},
			{&d.ScoreHuge, 5, `20879`, ""},
		} {
			s = take(g.plain)
			s.set10(g.keys.of(sc[c.k]), jsonRaw(c.raw), jsonRaw(c.raw))
			*c.list = append(*c.list, ref10(s, sc[c.k], c.want))
		}
		s = take(g.plain)
		for k := range 5 {
			s.scores[0][k] = -1
		}
		d.CyclePartial = append(d.CyclePartial, ref10(s, sc[5], strconv.Itoa(int(s.scores[0][5]))))

		// Answers, all in cycle 1.
		for _, c := range []struct {
			list *[]Ref
			q    string
			raw  string
			want string
		}{
			{&d.AnswerZero, "q1", `0`, ""},
			{&d.AnswerSix, "q2", `6`, ""},
			{&d.AnswerFifty, "q29_vision_grades", `50`, ""},
			{&d.AnswerEmpty, "q3", `""`, ""},
			{&d.AnswerText3, "q4", `"3"`, "3"},
			{&d.AnswerFloat3, "q5", `3.0`, "3"},
		} {
			f := question(c.q).Cycles[0]
			s = take(g.plain)
			s.set29(g.keys.of(f), jsonRaw(c.raw), jsonRaw(c.raw))
			*c.list = append(*c.list, ref29(s, f, c.want))
		}

		// Questionnaires linkable only through field_792.
		for _, other := range []bool{false, true} {
			s = take(g.plain)
			s.link792 = true
			s.email29 = ""
			if other {
				s.email29 = g.email("guardian", s.last, "home-mail")
			}
			d.AnswerByLink = append(d.AnswerByLink, ref29(s, qn.Email, s.clean))
		}

		// A questionnaire that belongs to nobody.
		o := g.newStudent(g.randomSchool(), g.cur)
		o.email29 = g.email("former", "pupil", "closed-school")
		o.has29, o.link792 = true, false
		g.orphans = append(g.orphans, o)
		d.AnswerOrphan = append(d.AnswerOrphan, ref29(o, qn.Email, ""))

		// Duplicates for one e-mail and year. The first pair's winner has
		// the later completion date but the smaller id; in the second the
		// dates are equal and the larger id wins.
		a := take(func(s *student) bool {
			return g.plain(s) && s.date.Sub(day(s.year, time.August, 1)) >= 24*time.Hour
		})
		b := g.clone(a)
		span := int(a.date.Sub(day(a.year, time.August, 1)) / (24 * time.Hour))
		b.date = a.date.AddDate(0, 0, -1-g.rng.IntN(min(span, 10)))
		b.at29 = g.timeOfDay(b.date)
		g.stampAt(b, a.created10.Add(time.Hour), a.created29.Add(time.Hour))
		d.Duplicates = append(d.Duplicates, Duplicate{Object: res.Object, Winner: a.id10, Loser: b.id10})
		d.DuplicateAnswers = append(d.DuplicateAnswers, Duplicate{Object: qn.Object, Winner: a.id29, Loser: b.id29})

		a = take(g.plain)
		b = g.clone(a)
		g.stampAt(b, a.created10.Add(time.Hour), a.created29.Add(time.Hour))
		d.DuplicatesEqualDate = append(d.DuplicatesEqualDate, Duplicate{Object: res.Object, Winner: b.id10, Loser: a.id10})
		d.DuplicateAnswers = append(d.DuplicateAnswers, Duplicate{Object: qn.Object, Winner: b.id29, Loser: a.id29})

		// Re-upload: last year's record stays, this year's is a new record
		// for the same address.
		old := take(g.plain)
		old.year = g.cur - 1
		g.fill(old, g.chooseCycle(old.year))
		g.stamp(old)
		nw := g.clone(old)
		nw.year = g.cur
		g.fill(nw, g.chooseCycle(nw.year))
		g.stamp(nw)
		d.ReUploads = append(d.ReUploads, Link{From: ref10(old, res.Email, old.clean), To: ref10(nw, res.Email, nw.clean)})

		// Keep-and-refresh: last year's record (all three cycles) moved into
		// this year: field_146 back to 1, cycle 1 new, cycles 2 and 3 stale.
		s = take(g.plain)
		s.year = g.cur - 1
		g.fill(s, 3)
		s.year, s.cycle = g.cur, 1
		s.date = g.completion(g.cur, 1)
		s.at29 = g.timeOfDay(s.date)
		g.scoresFor(s, 0)
		g.answersFor(s, 0)
		s.rrc[0], s.goal[0] = g.pick(rrcPhrases), g.pick(goalPhrases)
		c10 := g.between(day(g.cur-1, time.August, 1), day(g.cur-1, time.September, 30))
		g.stampAt(s, c10, c10.Add(2*time.Hour))
		d.KeepAndRefresh = append(d.KeepAndRefresh, ref10(s, res.CurrentCycle, "1"), ref29(s, qn.CompletionDate, s.date.Format(isoDate)))

		s = take(g.plain)
		s.school, s.unknownEst = -1, g.newID(g.between(day(2018, time.January, 8), day(2018, time.December, 14)))
		d.UnknownEstablishment = append(d.UnknownEstablishment, ref10(s, res.Establishment, ""))

		// Text that Postgres rejects, and text a page must escape. Knack
		// answers valid UTF-8 JSON only, so hostile text arrives as escapes:
		// \u0000 (appendString escapes the NUL) and surrogate escapes
		// without their other half, which decode to no valid character.
		// Rule 14 (docs/mapping.md) drops both.
		s = take(g.plain)
		s.first = s.first[:2] + "\x00" + s.first[2:]
		d.TextNUL = append(d.TextNUL, ref10(s, res.Name, strings.ReplaceAll(s.first, "\x00", "")+" "+s.last))

		s = take(g.plain)
		lowFirst := jsonRaw(`"Revision is going \udcff\udcfewell."`) // two low halves, no high one
		s.set10(g.keys.of(res.RRC[0]), lowFirst, lowFirst)
		d.TextInvalidUTF8 = append(d.TextInvalidUTF8, ref10(s, res.RRC[0], "Revision is going well."))

		s = take(g.plain)
		surrogate := jsonRaw(`"Reach my \ud800target grade."`) // a high half alone
		s.set10(g.keys.of(res.Goal[0]), surrogate, surrogate)
		d.TextInvalidUTF8 = append(d.TextInvalidUTF8, ref10(s, res.Goal[0], "Reach my target grade."))

		s = take(g.plain)
		s.last = "<script>alert(1)</script>"
		d.TextHTML = append(d.TextHTML, ref10(s, res.Name, s.first+" "+s.last))
	}
	return err
}

// redate moves a student to a completion date in academic year y (its
// start year), with fresh creation times to match.
func (g *gen) redate(s *student, y int, date time.Time) {
	s.year, s.date = y, date
	s.at29 = g.timeOfDay(date)
	g.stamp(s)
}

// question returns the questionnaire item with that question id.
func question(id string) vespa.Question {
	for _, q := range vespa.Object29.Questions {
		if q.ID == id {
			return q
		}
	}
	panic("vespagen: no question " + id)
}

// mixedCase capitalises each part of an address: amelia.jones1@oak.example
// becomes Amelia.Jones1@Oak.Example.
func mixedCase(addr string) string {
	b := []byte(addr)
	up := true
	for i, c := range b {
		if up && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		up = c == '.' || c == '@' || c == '-'
	}
	return string(b)
}
