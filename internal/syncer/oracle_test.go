package syncer_test

// An independent reading of a generated dataset: what docs/mapping.md says the
// target tables must hold, computed from the records with this file's own
// small decoders (not the vespa package), so that a sweep's row counts are
// checked against something other than the code under test.

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"knacksync/internal/knack"
	"knacksync/internal/knacksim"
	"knacksync/internal/vespa"
)

// oracleCounts returns the expected row count of every target table after
// one sweep of ds into an empty database, records first seen at firstSeen.
func oracleCounts(ds *knacksim.Dataset, firstSeen time.Time) map[string]int {
	o := newOracle(ds, firstSeen)
	return map[string]int{
		"establishments":     len(ds.Records[vespa.Object2.Object]),
		"students":           len(o.students),
		"vespa_scores":       o.scores,
		"student_comments":   o.comments,
		"question_responses": o.answers,
		"staff_admins":       o.validEmails(vespa.Object5.Object, vespa.Object5.Email.Key),
		"super_users":        o.validEmails(vespa.Object21.Object, vespa.Object21.Email.Key),
		"academic_profiles":  o.profiles,
		"student_subjects":   o.subjects,
	}
}

type oSchool struct{ calendarYear bool }

type oStudent struct {
	id, email, year string
	school          string // "" when unknown
	date            *time.Time
	at              *time.Time // rule 5's completion timestamp
	last            int
	rec             knack.Record
}

type oracle struct {
	ds        *knacksim.Dataset
	firstSeen time.Time
	schools   map[string]oSchool
	students  map[string]oStudent // "email|year" → winner
	scores    int
	comments  int
	answers   int
	profiles  int
	subjects  int
	// rows are the expected rows of some tables, in the shape of
	// oracleQueries.
	rows map[string][]string
}

func newOracle(ds *knacksim.Dataset, firstSeen time.Time) *oracle {
	o := &oracle{ds: ds, firstSeen: firstSeen, schools: map[string]oSchool{}, students: map[string]oStudent{}, rows: map[string][]string{}}
	for _, r := range ds.Records[vespa.Object2.Object] {
		au, _ := oBool(r, vespa.Object2.IsAustralian.Key)
		std, set := oBool(r, vespa.Object2.UseStandardYear.Key)
		o.schools[r.ID] = oSchool{calendarYear: au && set && !std}
	}
	o.results()
	o.questionnaires()
	o.academicProfiles()
	for _, rows := range o.rows {
		slices.Sort(rows)
	}
	return o
}

// oracleRows returns the expected rows of students, vespa_scores and
// question_responses in the shape oracleQueries give.
func oracleRows(ds *knacksim.Dataset, firstSeen time.Time) map[string][]string {
	return newOracle(ds, firstSeen).rows
}

// oracleQueries read the tables oracleRows predicts.
var oracleQueries = map[string]string{
	"students": `SELECT s.email || '|' || s.academic_year || '|' || s.knack_id || '|' || coalesce(e.knack_id, '')
		FROM public.students s LEFT JOIN public.establishments e ON e.id = s.establishment_id ORDER BY 1`,
	"vespa_scores": `SELECT s.email || '|' || v.academic_year || '|' || v.cycle || '|' ||
		concat_ws(',', coalesce(v.vision::text, '-'), coalesce(v.effort::text, '-'), coalesce(v.systems::text, '-'),
			coalesce(v.practice::text, '-'), coalesce(v.attitude::text, '-'), coalesce(v.overall::text, '-')) || '|' ||
		coalesce(v.completion_date::text, '')
		FROM public.vespa_scores v JOIN public.students s ON s.id = v.student_id ORDER BY 1`,
	"question_responses": `SELECT s.email || '|' || q.academic_year || '|' || q.cycle || '|' || q.question_id || '|' || q.response_value
		FROM public.question_responses q JOIN public.students s ON s.id = q.student_id ORDER BY 1`,
}

// oScore is rule 7: fractions rounded half up first, then whole numbers
// 0..10 kept, anything else NULL ("-").
func oScore(r knack.Record, key string) string {
	v, ok := oNumber(r, key)
	if !ok {
		return "-"
	}
	n := math.Floor(v + 0.5)
	if n < 0 || n > 10 {
		return "-"
	}
	return strconv.Itoa(int(n))
}

// wins is rule 5: the later completion timestamp wins (a timestamp beats
// none), ties to the larger id.
func wins(dateA *time.Time, idA string, dateB *time.Time, idB string) bool {
	switch {
	case dateA != nil && dateB == nil:
		return true
	case dateA == nil && dateB != nil:
		return false
	case dateA != nil && !dateA.Equal(*dateB):
		return dateA.After(*dateB)
	}
	return idA > idB
}

func (o *oracle) year(d *time.Time, school string) string {
	t := o.firstSeen
	if d != nil {
		t = *d
	}
	y := t.Year()
	if o.schools[school].calendarYear {
		return strconv.Itoa(y) + "/" + strconv.Itoa(y)
	}
	if t.Month() >= time.August {
		return strconv.Itoa(y) + "/" + strconv.Itoa(y+1)
	}
	return strconv.Itoa(y-1) + "/" + strconv.Itoa(y)
}

func (o *oracle) results() {
	f := vespa.Object10
	for _, r := range o.ds.Records[f.Object] {
		email := oEmail(r, f.Email.Key)
		if email == "" {
			continue
		}
		school := ""
		if ids := oConn(r, f.Establishment.Key); len(ids) > 0 {
			if _, ok := o.schools[ids[0]]; ok {
				school = ids[0]
			}
		}
		d := oDate(r, f.CompletionDate.Key)
		s := oStudent{id: r.ID, email: email, year: o.year(d, school), school: school, date: d, at: oTimestamp(r, f.CompletionDate.Key), last: 3, rec: r}
		if n, ok := oNumber(r, f.CurrentCycle.Key); ok && (n == 1 || n == 2 || n == 3) {
			s.last = int(n)
		}
		// Rule 1: one identity whatever the casing; the winner's casing is
		// stored.
		k := strings.ToLower(s.email) + "|" + s.year
		if w, ok := o.students[k]; !ok || wins(s.at, s.id, w.at, w.id) {
			o.students[k] = s
		}
	}
	for _, s := range o.students {
		o.rows["students"] = append(o.rows["students"], s.email+"|"+s.year+"|"+s.id+"|"+s.school)
		date := ""
		if s.date != nil {
			date = s.date.Format(time.DateOnly)
		}
		for c := 1; c <= s.last; c++ {
			// Rule 6: a cycle row needs at least one valid score.
			var vals []string
			valid := false
			for _, sf := range f.Scores[c-1] {
				v := oScore(s.rec, sf.Key)
				valid = valid || v != "-"
				vals = append(vals, v)
			}
			if valid {
				o.scores++
				o.rows["vespa_scores"] = append(o.rows["vespa_scores"],
					s.email+"|"+s.year+"|"+strconv.Itoa(c)+"|"+strings.Join(vals, ",")+"|"+date)
			}
			for _, cf := range []vespa.Field{f.RRC[c-1], f.Goal[c-1]} {
				if strings.TrimSpace(oText(s.rec, cf.Key)) != "" {
					o.comments++
				}
			}
		}
	}
}

func (o *oracle) questionnaires() {
	f := vespa.Object29
	type claim struct {
		id   string
		at   *time.Time
		rows []string
	}
	claims := map[string]claim{} // "year|student|cycle"
	for _, r := range o.ds.Records[f.Object] {
		email := oEmail(r, f.Email.Key)
		link := ""
		if ids := oConn(r, f.Result.Key); len(ids) > 0 {
			link = ids[0]
		}
		if email == "" && link == "" {
			continue
		}
		d := oDate(r, f.CompletionDate.Key)
		at := oTimestamp(r, f.CompletionDate.Key)
		// The student whose establishment's rule gives the answers its year.
		var st *oStudent
		match := func(s oStudent) bool { return s.year == o.year(d, s.school) }
		if email != "" {
			for _, s := range o.students {
				if strings.EqualFold(s.email, email) && match(s) {
					st = &s
					break
				}
			}
		}
		if st == nil && link != "" {
			for _, s := range o.students {
				if s.id == link && match(s) {
					st = &s
					break
				}
			}
		}
		if st == nil {
			continue
		}
		for c := 1; c <= st.last; c++ {
			var rows []string
			for _, q := range f.Questions {
				if v, ok := oNumber(r, q.Cycles[c-1].Key); ok && v >= 1 && v <= 5 && v == float64(int(v)) {
					rows = append(rows, st.email+"|"+st.year+"|"+strconv.Itoa(c)+"|"+q.ID+"|"+strconv.Itoa(int(v)))
				}
			}
			if len(rows) == 0 {
				continue
			}
			k := st.year + "|" + strings.ToLower(st.email) + "|" + strconv.Itoa(c)
			if w, ok := claims[k]; !ok || wins(at, r.ID, w.at, w.id) {
				claims[k] = claim{r.ID, at, rows}
			}
		}
	}
	for _, c := range claims {
		o.answers += len(c.rows)
		o.rows["question_responses"] = append(o.rows["question_responses"], c.rows...)
	}
}

func (o *oracle) academicProfiles() {
	accounts := map[string]string{}
	for _, r := range o.ds.Records[vespa.Object3.Object] {
		if e := oEmail(r, vespa.Object3.Email.Key); e != "" {
			accounts[r.ID] = e
		}
	}
	f := vespa.Object112
	winners := map[string]knack.Record{}
	for _, r := range o.ds.Records[f.Object] {
		acc := ""
		if ids := oConn(r, f.Account.Key); len(ids) > 0 {
			acc = ids[0]
		}
		email := accounts[acc]
		if email == "" {
			continue
		}
		school := ""
		if ids := oConn(r, f.Establishment.Key); len(ids) > 0 {
			if _, ok := o.schools[ids[0]]; ok {
				school = ids[0]
			}
		}
		k := strings.ToLower(email) + "|" + o.year(nil, school)
		if w, ok := winners[k]; !ok || r.ID > w.ID {
			winners[k] = r
		}
	}
	o.profiles = len(winners)
	for _, r := range winners {
		for _, sf := range f.Subjects {
			text := oText(r, sf.Key)
			var m map[string]any
			if strings.TrimSpace(text) == "" || json.Unmarshal([]byte(text), &m) != nil {
				continue
			}
			if s, _ := m["subject"].(string); strings.TrimSpace(s) != "" {
				o.subjects++
			}
		}
	}
}

func (o *oracle) validEmails(object, key string) int {
	n := 0
	for _, r := range o.ds.Records[object] {
		if oEmail(r, key) != "" {
			n++
		}
	}
	return n
}

// The decoders: raw value first, then the formatted one (docs/knack-api.md §4).

func oDecode(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return nil
	}
	return v
}

func oValue(r knack.Record, key string) any {
	if v, ok := r.Fields[key+"_raw"]; ok {
		return oDecode(v)
	}
	return oDecode(r.Fields[key])
}

var mailto = regexp.MustCompile(`mailto:([^"'>]+)`)
var emailShape = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// oEmail is rule 1; "" when there is no valid address.
func oEmail(r knack.Record, key string) string {
	var s string
	switch v := oValue(r, key).(type) {
	case string:
		s = v
	case map[string]any:
		switch e := v["email"].(type) {
		case string:
			s = e
		case map[string]any:
			s, _ = e["address"].(string)
			if s == "" {
				s, _ = e["email"].(string)
			}
		default:
			s, _ = v["address"].(string)
		}
	}
	if m := mailto.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	s = strings.TrimSpace(s) // as given: rule 1 never lower-cases
	if !emailShape.MatchString(s) {
		return ""
	}
	return s
}

// oDate is rule 2: the raw object's iso_timestamp as a calendar date, else
// the formatted text day first; nil when absent or unreadable.
func oDate(r knack.Record, key string) *time.Time {
	var text string
	switch v := oValue(r, key).(type) {
	case map[string]any:
		text, _ = v["iso_timestamp"].(string)
		if len(text) >= 10 {
			text = text[:10]
		}
	case string:
		text = strings.TrimSpace(v)
	}
	for _, layout := range []string{"2006-01-02", "02/01/2006", "02/01/2006 15:04", "02/01/2006 15:04:05", time.RFC3339} {
		if t, err := time.Parse(layout, text); err == nil {
			d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
			return &d
		}
	}
	return nil
}

// oTimestamp is rule 5's completion timestamp: the raw iso_timestamp's
// wall clock, else the formatted text's date and time (a date alone at
// 00:00); nil when absent or unreadable.
func oTimestamp(r knack.Record, key string) *time.Time {
	var text string
	switch v := oValue(r, key).(type) {
	case map[string]any:
		text, _ = v["iso_timestamp"].(string)
	case string:
		text = strings.TrimSpace(v)
	}
	for _, layout := range []string{"2006-01-02T15:04:05.000Z", time.RFC3339, "2006-01-02", "02/01/2006 15:04:05",
		"02/01/2006 15:04", "02/01/2006 3:04pm", "02/01/2006 3:04 pm", "02/01/2006"} {
		if t, err := time.Parse(layout, text); err == nil {
			at := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
			return &at
		}
	}
	return nil
}

var objectID = regexp.MustCompile(`^[0-9a-f]{24}$`)

func oConn(r knack.Record, key string) []string {
	var ids []string
	switch v := oValue(r, key).(type) {
	case []any:
		for _, x := range v {
			if m, ok := x.(map[string]any); ok {
				if id, _ := m["id"].(string); id != "" {
					ids = append(ids, id)
				}
			}
		}
	case string:
		if s := strings.TrimSpace(v); objectID.MatchString(s) {
			ids = append(ids, s)
		}
	}
	return ids
}

func oBool(r knack.Record, key string) (v, set bool) {
	b, ok := oValue(r, key).(bool)
	return b, ok
}

// oNumber reads a number or numeric text; ok is false when blank or not a
// number.
func oNumber(r knack.Record, key string) (float64, bool) {
	switch v := oValue(r, key).(type) {
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return f, err == nil
	}
	return 0, false
}

// oPresent reports whether a field holds anything at all.
func oPresent(r knack.Record, key string) bool {
	switch v := oValue(r, key).(type) {
	case nil:
		return false
	case string:
		return strings.TrimSpace(v) != ""
	}
	return true
}

func oText(r knack.Record, key string) string {
	s, _ := oValue(r, key).(string)
	return s
}
