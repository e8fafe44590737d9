package vespagen

import (
	"sort"
	"strconv"
	"strings"

	"knacksync/internal/knack"
	"knacksync/internal/vespa"
)

// school is one object_2 record.
type school struct {
	id      string
	name    string // the real name (field_11; field_44 unless EMPTY)
	field44 string // the identifier
	domain  string // e-mail domain, before ".example"
	status  string
	portal  string
	au      bool
	std     *bool // use_standard_year; nil is empty
	centre  string
	weight  float64
}

// School traits, combined per school.
const (
	trCancelled = 1 << iota
	trResource
	trEmptyPortal
	trLowerPortal
	trNameEmpty
	trAUEmpty
	trAUFalse
	trAUTrue
)

// schoolTraits lists the traits of the first schools; the rest are plain
// active UK coaching-portal schools. Tiny combines traits so that four
// schools carry them all.
func (g *gen) schoolTraits() []int {
	switch g.p.schools {
	case 4:
		return []int{0, trAUFalse | trLowerPortal, trAUTrue | trCancelled | trResource | trNameEmpty, trAUEmpty | trEmptyPortal}
	case 10:
		return []int{trCancelled | trResource, trNameEmpty | trLowerPortal, trAUFalse, trAUEmpty | trEmptyPortal, trAUTrue}
	}
	var out []int
	for _, tc := range []struct{ trait, n int }{
		{trCancelled, 10}, {trResource, 8}, {trEmptyPortal, 5}, {trLowerPortal, 2}, {trNameEmpty, 2},
		{trAUFalse, 2}, {trAUEmpty, 2}, {trAUTrue, 2},
	} {
		for range tc.n {
			out = append(out, tc.trait)
		}
	}
	return out
}

func (g *gen) makeSchools() {
	traits := g.schoolTraits()
	seen := map[string]bool{}
	for i := range g.p.schools {
		tr := 0
		if i < len(traits) {
			tr = traits[i]
		}
		au := tr&(trAUEmpty|trAUFalse|trAUTrue) != 0
		var name string
		for attempt := 0; ; attempt++ {
			if au {
				name = g.pick(auHeads) + " " + g.pick(placeHeads) + " " + g.pick(auKinds)
			} else {
				name = g.pick(placeHeads) + g.pick(placeTails) + " " + g.pick(schoolKinds)
			}
			if attempt > 20 {
				name += " " + strconv.Itoa(i+1)
			}
			if !seen[name] {
				break
			}
		}
		seen[name] = true
		s := &school{
			id:      g.newID(g.between(day(2019, 1, 7), day(2023, 6, 30))),
			name:    name,
			field44: name,
			domain:  strings.ReplaceAll(strings.ToLower(name), " ", "-"),
			status:  "Active",
			portal:  "COACHING PORTAL",
			au:      au,
			centre:  strconv.Itoa(10000 + g.rng.IntN(89999)),
			weight:  0.3 + 1.7*g.rng.Float64(),
		}
		if i == 0 && g.p.schools == 4 {
			s.weight = 3 // tiny: most students in the one plain UK school
		}
		ref := func(f vespa.Field, want string) Ref {
			return Ref{Object: vespa.Object2.Object, ID: s.id, Field: f.Key, Want: want}
		}
		est := vespa.Object2
		if tr&trCancelled != 0 {
			s.status = "Cancelled"
			g.d.SchoolCancelled = append(g.d.SchoolCancelled, ref(est.Status, s.status))
		}
		if tr&trResource != 0 {
			s.portal = "RESOURCE PORTAL"
			g.d.SchoolResourcePortal = append(g.d.SchoolResourcePortal, ref(est.PortalType, s.portal))
		}
		if tr&trEmptyPortal != 0 {
			s.portal = ""
			g.d.SchoolEmptyPortal = append(g.d.SchoolEmptyPortal, ref(est.PortalType, ""))
		}
		if tr&trLowerPortal != 0 {
			s.portal = "coaching portal"
			g.d.SchoolLowerPortal = append(g.d.SchoolLowerPortal, ref(est.PortalType, s.portal))
		}
		if tr&trNameEmpty != 0 {
			s.field44 = "EMPTY"
			g.d.SchoolNameEmpty = append(g.d.SchoolNameEmpty, ref(est.Name, s.name))
		}
		switch {
		case tr&trAUEmpty != 0:
			g.d.AusStandardYearEmpty = append(g.d.AusStandardYearEmpty, ref(est.UseStandardYear, ""))
		case tr&trAUFalse != 0:
			s.std = new(false)
			g.d.AusStandardYearFalse = append(g.d.AusStandardYearFalse, ref(est.UseStandardYear, "false"))
		case tr&trAUTrue != 0:
			s.std = new(true)
			g.d.AusStandardYearTrue = append(g.d.AusStandardYearTrue, ref(est.UseStandardYear, "true"))
		}
		g.schools = append(g.schools, s)
	}
	total := 0.0
	for _, s := range g.schools {
		total += s.weight
		g.cumW = append(g.cumW, total)
	}
}

// randomSchool picks a school index by weight.
func (g *gen) randomSchool() int {
	x := g.rng.Float64() * g.cumW[len(g.cumW)-1]
	i := sort.SearchFloat64s(g.cumW, x)
	return min(i, len(g.schools)-1)
}

// schoolWith returns the index of the first school that ok accepts.
func (g *gen) schoolWith(ok func(*school) bool) int {
	for i, s := range g.schools {
		if ok(s) {
			return i
		}
	}
	return -1
}

func (g *gen) emitSchool(s *school) knack.Record {
	est := vespa.Object2
	b := &g.b
	b.reset()
	b.text(g.keys.of(est.Name), s.field44)
	b.text(g.keys.of(est.NameFallback), s.name)
	b.choice(g.keys.of(est.Status), s.status)
	b.choice(g.keys.of(est.PortalType), s.portal)
	b.yesNo(g.keys.of(est.IsAustralian), s.au)
	if s.std == nil {
		b.both(g.keys.of(est.UseStandardYear), jsonEmpty)
	} else {
		b.yesNo(g.keys.of(est.UseStandardYear), *s.std)
	}
	return b.record(s.id)
}
