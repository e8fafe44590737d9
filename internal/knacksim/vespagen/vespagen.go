// Package vespagen generates VESPA-shaped Knack data for the simulator:
// establishments, VESPA results, questionnaires, staff, super users,
// accounts and academic profiles, in the API's output shape (field_N and
// field_N_raw), at any of three scales, deterministically from a seed, with
// every dirty case planted (the data problems the rules of docs/mapping.md
// exist for) and listed in a manifest (Dirty). LoadDir reads a dataset from
// JSON files instead.
//
// Field keys and types come from the vespa field map only.
package vespagen

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
	"knacksync/internal/vespa"
)

// Scale is a dataset size.
type Scale string

// Scales.
const (
	// Tiny is for unit tests: 4 schools and about 50 students, yet every
	// dirty case at least once.
	Tiny Scale = "tiny"
	// Small is about 10 schools and 2,000 students.
	Small Scale = "small"
	// Vespa is the live app's volume: about 130 schools, 36,500 VESPA
	// results and 36,000 questionnaires (some 1.3 million answers), 13,000
	// academic profiles, 520 staff.
	Vespa Scale = "vespa"
	// Vespa2x doubles the live app (260 schools, about 73,000 students), to
	// show how a sweep's cost grows with the records.
	Vespa2x Scale = "vespa2x"
)

// Scales lists the scales, smallest first.
var Scales = []Scale{Tiny, Small, Vespa, Vespa2x}

// ParseScale reads a scale name.
func ParseScale(s string) (Scale, error) {
	for _, sc := range Scales {
		if string(sc) == s {
			return sc, nil
		}
	}
	return "", fmt.Errorf("unknown scale %q (want tiny, small, vespa or vespa2x)", s)
}

type params struct {
	schools        int
	students       int // base students; dirty cases add about 3 per k
	staffPerSchool int
	superUsers     int
	k              int     // how many times each dirty case occurs
	answerShare    float64 // share of students with an object_29 record
	profileShare   float64 // share of this year's students with an object_112 profile
}

func paramsFor(s Scale) (params, error) {
	switch s {
	case Tiny:
		return params{schools: 4, students: 48, staffPerSchool: 2, superUsers: 3, k: 1, answerShare: 1, profileShare: 0.7}, nil
	case Small:
		return params{schools: 10, students: 2000, staffPerSchool: 4, superUsers: 5, k: 3, answerShare: 0.986, profileShare: 0.6}, nil
	case Vespa:
		return params{schools: 130, students: 36440, staffPerSchool: 4, superUsers: 10, k: 20, answerShare: 0.986, profileShare: 0.595}, nil
	case Vespa2x:
		return params{schools: 260, students: 72880, staffPerSchool: 4, superUsers: 20, k: 40, answerShare: 0.986, profileShare: 0.595}, nil
	}
	return params{}, fmt.Errorf("unknown scale %q", s)
}

// Generate builds the dataset for a scale. The same scale, seed and now
// give byte-identical records; now places the academic years (the current
// one and the two before it) and bounds every date.
func Generate(scale Scale, seed int64, now time.Time) (*knacksim.Dataset, error) {
	ds, _, err := GenerateWithManifest(scale, seed, now)
	return ds, err
}

// GenerateWithManifest is Generate, and the manifest of the dirty cases it
// planted.
func GenerateWithManifest(scale Scale, seed int64, now time.Time) (*knacksim.Dataset, *Dirty, error) {
	ds := &knacksim.Dataset{Schema: Schema(), Records: map[string][]knack.Record{}}
	d, err := GenerateEach(scale, seed, now, func(object string, r knack.Record) error {
		ds.Records[object] = append(ds.Records[object], r)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return ds, d, nil
}

// GenerateEach generates what Generate does (its schema is Schema()) but
// hands the records to yield one at a time instead of keeping them: object
// by object (object_2 first), each object's records in id order, which is
// creation order. The generator keeps no reference to a record it yielded,
// so a caller that stores records in another form (the simulator encodes
// them) never holds the whole dataset as maps, about 800 MB at the vespa
// scale. An error from yield stops the generation and is returned.
func GenerateEach(scale Scale, seed int64, now time.Time, yield func(object string, r knack.Record) error) (*Dirty, error) {
	p, err := paramsFor(scale)
	if err != nil {
		return nil, err
	}
	if now.IsZero() {
		return nil, errors.New("generate: now is zero")
	}
	g := newGen(p, seed, now)
	if err := g.run(yield); err != nil {
		return nil, fmt.Errorf("generate %s: %w", scale, err)
	}
	return g.d, nil
}

// gen is one generation run. Every random choice comes from rng, in a fixed
// order, so that a seed fixes the output.
type gen struct {
	p     params
	rng   *rand.Rand
	now   time.Time // the app's wall clock, as UTC
	today time.Time // now's date at 00:00
	cur   int       // start year of the current academic year (UK rule)

	b    builder
	keys keyCache
	// answerKeys[q] are question q's keys for cycles 1..3.
	answerKeys [][3]keys
	ids        map[string]struct{}
	seq        int // e-mail suffix
	recs       map[string][]knack.Record
	d          *Dirty

	schools  []*school
	cumW     []float64 // cumulative school weights
	students []*student
	orphans  []*student // object_29 records that belong to nobody
	staff    []*person
	supers   []*person
	profiles []*profile
	accounts []*account
}

func newGen(p params, seed int64, now time.Time) *gen {
	now = now.UTC().Truncate(time.Second)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	cur := now.Year()
	if now.Month() < time.August {
		cur--
	}
	return &gen{
		p:     p,
		rng:   rand.New(rand.NewPCG(uint64(seed), 0x76e5_9a00_5eed_cafe)),
		now:   now,
		today: today,
		cur:   cur,
		ids:   make(map[string]struct{}),
		keys:  make(keyCache),
		seq:   101,
		d:     &Dirty{},
	}
}

func (g *gen) run(yield func(string, knack.Record) error) error {
	g.makeSchools()
	g.makeStudents()
	if err := g.dirtyStudents(); err != nil {
		return err
	}
	g.makeStaff()
	g.makeProfiles()
	if err := g.dirtyProfiles(); err != nil {
		return err
	}
	return g.emit(yield)
}

// newID returns a fresh ObjectId: 4 bytes of creation time, 8 random.
func (g *gen) newID(created time.Time) string {
	for {
		var b [12]byte
		binary.BigEndian.PutUint32(b[:4], uint32(created.Unix()))
		binary.BigEndian.PutUint64(b[4:], g.rng.Uint64())
		id := hex.EncodeToString(b[:])
		if _, dup := g.ids[id]; !dup {
			g.ids[id] = struct{}{}
			return id
		}
	}
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// between returns a random time in [from, to], to the second.
func (g *gen) between(from, to time.Time) time.Time {
	if !to.After(from) {
		return from
	}
	return from.Add(time.Duration(g.rng.Int64N(int64(to.Sub(from)/time.Second)+1)) * time.Second)
}

// notAfterNow clamps t to now.
func (g *gen) notAfterNow(t time.Time) time.Time {
	if t.After(g.now) {
		return g.now
	}
	return t
}

func (g *gen) pick(list []string) string { return list[g.rng.IntN(len(list))] }

// email builds a synthetic address under a .example domain.
func (g *gen) email(first, last, domain string) string {
	g.seq++
	return strings.ToLower(first) + "." + strings.ToLower(last) + itoa(g.seq) + "@" + domain + ".example"
}

func itoa(n int) string { return strconv.Itoa(n) }

// emit builds and yields every record. It draws nothing from rng, so the
// order of emission cannot change the data.
func (g *gen) emit(yield func(string, knack.Record) error) error {
	var with29 []*student
	for _, s := range g.students {
		if s.has29 {
			with29 = append(with29, s)
		}
	}
	with29 = append(with29, g.orphans...)
	var accounts []*account
	for _, a := range g.accounts {
		if !a.missing {
			accounts = append(accounts, a)
		}
	}
	for _, step := range []func() error{
		func() error {
			return emitSorted(yield, vespa.Object2.Object, g.schools, func(s *school) string { return s.id }, g.emitSchool)
		},
		func() error {
			return emitSorted(yield, vespa.Object3.Object, accounts, func(a *account) string { return a.id }, g.emitAccount)
		},
		func() error {
			return emitSorted(yield, vespa.Object5.Object, g.staff, func(p *person) string { return p.id }, g.emitStaff)
		},
		func() error {
			return emitSorted(yield, vespa.Object21.Object, g.supers, func(p *person) string { return p.id }, g.emitSuperUser)
		},
		func() error {
			return emitSorted(yield, vespa.Object10.Object, g.students, func(s *student) string { return s.id10 }, g.emitResult)
		},
		func() error {
			return emitSorted(yield, vespa.Object29.Object, with29, func(s *student) string { return s.id29 }, g.emitQuestionnaire)
		},
		func() error {
			return emitSorted(yield, vespa.Object112.Object, g.profiles, func(p *profile) string { return p.id }, g.emitProfile)
		},
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// emitSorted yields one object's records in id order: ids start with their
// creation time, so this is creation order, as Knack lists records by
// default.
func emitSorted[T any](yield func(string, knack.Record) error, object string, items []T, id func(T) string, build func(T) knack.Record) error {
	items = slices.Clone(items)
	slices.SortFunc(items, func(a, b T) int { return strings.Compare(id(a), id(b)) })
	for _, it := range items {
		if err := yield(object, build(it)); err != nil {
			return err
		}
	}
	return nil
}
