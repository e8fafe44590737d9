package vespagen

import (
	"encoding/json"
	"errors"
	"math"
	"time"

	"knacksync/internal/knack"
	"knacksync/internal/vespa"
)

// student is one enrolment: an object_10 record and, usually, its object_29
// questionnaire.
type student struct {
	id10, id29           string
	created10, created29 time.Time

	first, last string
	email       string // field_197 as stored (dirty cases change it)
	clean       string // the normalised address
	email29     string // field_2732

	school     int    // index into gen.schools; -1: unknownEst
	unknownEst string // an object_2 id that does not exist

	year   int       // start year of the enrolment's academic year
	cycle  int       // field_146
	date   time.Time // field_855 (latest completion); zero: none
	at29   time.Time // field_856, date and time; zero: none
	scores [3][6]int8
	// answers[c*nq+q] is question q in cycle c+1; -1 is empty.
	answers  []int8
	answered int // cycles that carry answers in object_29

	rrc, goal                                 [3]string
	group, yearGroup, course, faculty, gender string

	has29, link792 bool
	taken          bool // claimed by a dirty case
	ov10, ov29     []override
}

func (g *gen) nq() int { return len(vespa.Object29.Questions) }

func (g *gen) makeStudents() {
	for i := range g.p.students {
		sc := i
		if i >= len(g.schools) {
			sc = g.randomSchool() // every school has at least one student
		}
		g.students = append(g.students, g.newStudent(sc, g.randomYear()))
	}
}

// randomYear: most records are this year's; older ones are students who
// left, or who were re-uploaded instead of refreshed.
func (g *gen) randomYear() int {
	switch x := g.rng.IntN(100); {
	case x < 60:
		return g.cur
	case x < 88:
		return g.cur - 1
	default:
		return g.cur - 2
	}
}

func (g *gen) newStudent(sc, year int) *student {
	s := &student{school: sc, year: year, answers: make([]int8, 3*g.nq())}
	s.first, s.last = g.pick(firstNames), g.pick(lastNames)
	s.clean = g.email(s.first, s.last, g.schools[sc].domain)
	s.email, s.email29 = s.clean, s.clean
	s.course = g.pick(courses)
	if s.course == "GCSE" {
		s.yearGroup = g.pick([]string{"10", "11"})
	} else {
		s.yearGroup = g.pick([]string{"12", "13"})
	}
	s.group = s.yearGroup + g.pick(groups)
	s.faculty = g.pick(faculties)
	s.gender = g.pick(genders)
	g.fill(s, g.chooseCycle(year))
	s.has29 = g.rng.Float64() < g.p.answerShare
	s.link792 = g.rng.Float64() >= 0.22
	g.stamp(s)
	return s
}

// cycleWindow is when cycle c (1..3) of the academic year starting in
// August of year y is usually completed.
func cycleWindow(y, c int) (from, to time.Time) {
	switch c {
	case 1:
		return day(y, time.September, 15), day(y, time.November, 30)
	case 2:
		return day(y+1, time.January, 10), day(y+1, time.March, 20)
	default:
		return day(y+1, time.April, 20), day(y+1, time.July, 10)
	}
}

// maxCycle is the last cycle of year y that has started by today (0: none).
func (g *gen) maxCycle(y int) int {
	n := 0
	for c := 1; c <= 3; c++ {
		if from, _ := cycleWindow(y, c); !from.After(g.today) {
			n = c
		}
	}
	return n
}

func (g *gen) chooseCycle(y int) int {
	mc := g.maxCycle(y)
	if mc == 0 {
		return 1
	}
	w := [3]int{55, 30, 15}
	if y == g.cur {
		w = [3]int{40, 35, 25}
	}
	total := 0
	for _, x := range w[:mc] {
		total += x
	}
	x := g.rng.IntN(total)
	for c := range mc {
		if x < w[c] {
			return c + 1
		}
		x -= w[c]
	}
	return mc
}

// completion picks a completion date for cycle c of year y, never after
// today.
func (g *gen) completion(y, c int) time.Time {
	from, to := cycleWindow(y, c)
	if g.maxCycle(y) < c {
		// Early August: cycle 1 has not opened yet, a few students are early.
		from, to = day(y, time.August, 1), g.today
	}
	if to.After(g.today) {
		to = g.today
	}
	days := int(to.Sub(from) / (24 * time.Hour))
	if days < 0 {
		days = 0
	}
	return from.AddDate(0, 0, g.rng.IntN(days+1))
}

// timeOfDay adds a school-hours time to a date, never after now.
func (g *gen) timeOfDay(d time.Time) time.Time {
	if d.IsZero() {
		return d
	}
	t := d.Add(8*time.Hour + time.Duration(g.rng.IntN(9*60))*time.Minute)
	return g.notAfterNow(t).Truncate(time.Minute)
}

// fill sets the current cycle, the latest completion date, the scores,
// answers and comments of cycles 1..cycle, and clears the others.
func (g *gen) fill(s *student, cycle int) {
	s.cycle = cycle
	s.date = g.completion(s.year, cycle)
	s.at29 = g.timeOfDay(s.date)
	s.answered = cycle
	for c := range 3 {
		if c < cycle {
			g.scoresFor(s, c)
			g.answersFor(s, c)
			s.rrc[c], s.goal[c] = g.comment(rrcPhrases), g.comment(goalPhrases)
		} else {
			s.scores[c] = [6]int8{-1, -1, -1, -1, -1, -1}
			for q := range g.nq() {
				s.answers[c*g.nq()+q] = -1
			}
			s.rrc[c], s.goal[c] = "", ""
		}
	}
}

func (g *gen) comment(list []string) string {
	if g.rng.IntN(100) < 40 {
		return g.pick(list)
	}
	return ""
}

func (g *gen) scoresFor(s *student, c int) {
	sum := 0
	for k := range 5 {
		v := int(math.Round(g.rng.NormFloat64()*1.8 + 5.6))
		v = max(1, min(10, v))
		s.scores[c][k] = int8(v)
		sum += v
	}
	s.scores[c][5] = int8((2*sum + 5) / 10) // the mean, rounded half up
}

var answerWeights = [5]int{8, 17, 30, 30, 15}

func (g *gen) answersFor(s *student, c int) {
	for q := range g.nq() {
		v := int8(-1)
		if g.rng.IntN(100) >= 3 { // a few questions skipped
			x := g.rng.IntN(100)
			for i, w := range answerWeights {
				if x < w {
					v = int8(i + 1)
					break
				}
				x -= w
			}
		}
		s.answers[c*g.nq()+q] = v
	}
}

// stamp gives the records creation times and ids: object_10 created at the
// start of its academic year, before its first completion; object_29 at
// the first questionnaire.
func (g *gen) stamp(s *student) {
	from := day(s.year, time.August, 1)
	to := from.AddDate(0, 0, 40)
	if !s.date.IsZero() && s.date.Before(to) {
		to = s.date
	}
	c10 := g.notAfterNow(g.between(from, to))
	c29 := c10
	if !s.at29.IsZero() && s.at29.After(c10) {
		c29 = g.between(c10, s.at29)
	}
	g.stampAt(s, c10, c29)
}

func (g *gen) stampAt(s *student, c10, c29 time.Time) {
	s.created10, s.created29 = c10, c29
	s.id10, s.id29 = g.newID(c10), g.newID(c29)
}

// clone copies a student for a second record of the same person (a
// duplicate or a re-upload); the caller sets its dates and stamps it.
func (g *gen) clone(s *student) *student {
	c := *s
	c.answers = append([]int8(nil), s.answers...)
	c.ov10, c.ov29 = nil, nil
	g.students = append(g.students, &c)
	return &c
}

func (g *gen) emitResult(s *student) knack.Record {
	res := vespa.Object10
	b := &g.b
	b.reset()
	b.email(g.keys.of(res.Email), s.email)
	b.name(g.keys.of(res.Name), s.first, s.last)
	if s.school >= 0 {
		sc := g.schools[s.school]
		b.conn(g.keys.of(res.Establishment), sc.id, sc.field44)
	} else {
		b.conn(g.keys.of(res.Establishment), s.unknownEst, "Old Grammar School")
	}
	b.date(g.keys.of(res.CompletionDate), s.date, false)
	b.num(g.keys.of(res.CurrentCycle), s.cycle)
	b.text(g.keys.of(res.Group), s.group)
	b.text(g.keys.of(res.YearGroup), s.yearGroup)
	b.text(g.keys.of(res.Course), s.course)
	b.text(g.keys.of(res.Faculty), s.faculty)
	b.choice(g.keys.of(res.Gender), s.gender)
	for c := range res.Scores {
		for k, f := range res.Scores[c] {
			if v := s.scores[c][k]; v >= 0 {
				b.num(g.keys.of(f), int(v))
			} else {
				b.both(g.keys.of(f), jsonEmpty)
			}
		}
		b.text(g.keys.of(res.RRC[c]), s.rrc[c])
		b.text(g.keys.of(res.Goal[c]), s.goal[c])
	}
	b.ov = append(b.ov, s.ov10...)
	return b.record(s.id10)
}

func (g *gen) emitQuestionnaire(s *student) knack.Record {
	qn := vespa.Object29
	b := &g.b
	b.reset()
	b.email(g.keys.of(qn.Email), s.email29)
	if s.link792 {
		b.conn(g.keys.of(qn.Result), s.id10, s.first+" "+s.last)
	} else {
		b.conn(g.keys.of(qn.Result), "", "")
	}
	b.date(g.keys.of(qn.CompletionDate), s.at29, true)
	if g.answerKeys == nil {
		for _, q := range qn.Questions {
			g.answerKeys = append(g.answerKeys, [3]keys{g.keys.of(q.Cycles[0]), g.keys.of(q.Cycles[1]), g.keys.of(q.Cycles[2])})
		}
	}
	nq := g.nq()
	for qi, ks := range g.answerKeys {
		for c, k := range ks {
			if v := s.answers[c*nq+qi]; v >= 0 {
				b.num(k, int(v))
			} else {
				b.both(k, jsonEmpty)
			}
		}
	}
	b.ov = append(b.ov, s.ov29...)
	return b.record(s.id29)
}

// take claims a student that no dirty case has claimed yet and that ok
// accepts: random probes first, then a scan, so that it is cheap at the
// vespa scale and still exhaustive at tiny.
func (g *gen) take(ok func(*student) bool) (*student, error) {
	n := len(g.students)
	for range 64 {
		if s := g.students[g.rng.IntN(n)]; !s.taken && ok(s) {
			s.taken = true
			return s, nil
		}
	}
	start := g.rng.IntN(n)
	for i := range n {
		if s := g.students[(start+i)%n]; !s.taken && ok(s) {
			s.taken = true
			return s, nil
		}
	}
	return nil, errors.New("not enough students for the dirty cases")
}

// set10 and set29 override a field of the student's records; nil removes
// a key.
func (s *student) set10(k keys, formatted, raw json.RawMessage) {
	s.ov10 = append(s.ov10, override{k.f, formatted}, override{k.raw, raw})
}

func (s *student) set29(k keys, formatted, raw json.RawMessage) {
	s.ov29 = append(s.ov29, override{k.f, formatted}, override{k.raw, raw})
}
