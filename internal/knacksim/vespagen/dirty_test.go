package vespagen

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"knacksync/internal/knack"
	"knacksync/internal/vespa"
)

// TestDirtyCases checks every case of the manifest in tiny, both through
// the manifest and in the records' JSON.
func TestDirtyCases(t *testing.T) {
	t.Parallel()
	tb := setup(t, Tiny, 1, testNow)
	d := tb.dirty
	for _, c := range d.Cases() {
		if c.Count == 0 {
			t.Errorf("dirty case %s: none in tiny", c.Name)
		}
		for _, id := range c.Records {
			found := false
			for object := range tb.byID {
				_, ok := tb.byID[object][id]
				found = found || ok
			}
			if !found {
				t.Errorf("dirty case %s: record %s not in the dataset", c.Name, id)
			}
		}
	}

	raw := func(r Ref) string {
		t.Helper()
		v, ok := tb.record(t, r.Object, r.ID).Fields[r.Field+"_raw"]
		if !ok {
			return "<absent>"
		}
		return string(v)
	}
	formatted := func(r Ref) string {
		t.Helper()
		v, ok := tb.record(t, r.Object, r.ID).Fields[r.Field]
		if !ok {
			return "<absent>"
		}
		return string(v)
	}
	check := func(name string, refs []Ref, ok func(r Ref) bool) {
		t.Helper()
		for _, r := range refs {
			if !ok(r) {
				t.Errorf("%s: %s %s %s: formatted %s raw %s (want %q)", name, r.Object, r.ID, r.Field, formatted(r), raw(r), r.Want)
			}
		}
	}
	res := vespa.Object10

	check("EmailMixedCase", d.EmailMixedCase, func(r Ref) bool {
		var v struct{ Email string }
		return json.Unmarshal([]byte(raw(r)), &v) == nil && v.Email != r.Want && strings.ToLower(v.Email) == r.Want
	})
	check("EmailSpaces", d.EmailSpaces, func(r Ref) bool {
		var v struct{ Email string }
		return json.Unmarshal([]byte(raw(r)), &v) == nil && v.Email != r.Want && strings.TrimSpace(v.Email) == r.Want
	})
	check("EmailAnchorOnly", d.EmailAnchorOnly, func(r Ref) bool {
		return raw(r) == "<absent>" && strings.Contains(formatted(r), "mailto:"+r.Want)
	})
	check("EmailNested", d.EmailNested, func(r Ref) bool {
		return raw(r) == `{"email":{"address":"`+r.Want+`"}}` && formatted(r) == `""`
	})
	check("EmailAddressKey", d.EmailAddressKey, func(r Ref) bool {
		return raw(r) == `{"address":"`+r.Want+`"}` && formatted(r) == `""`
	})

	dateNoRaw := func(re string) func(Ref) bool {
		return func(r Ref) bool { return raw(r) == "<absent>" && regexp.MustCompile(re).MatchString(formatted(r)) }
	}
	check("DateWithTimeNoRaw", d.DateWithTimeNoRaw, dateNoRaw(`^"\d\d/\d\d/\d{4} \d\d:\d\d"$`))
	if got := formatted(d.DateWithTimeNoRaw[0]); !strings.HasSuffix(got, ` 04:50"`) {
		t.Errorf("DateWithTimeNoRaw: %s, want the 04:50 of the legacy report", got)
	}
	check("DateISO", d.DateISO, dateNoRaw(`^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"$`))
	check("DateUnparseable", d.DateUnparseable, func(r Ref) bool {
		var s string
		_ = json.Unmarshal([]byte(formatted(r)), &s)
		_, err := time.Parse("02/01/2006", s)
		return raw(r) == "<absent>" && s != "" && err != nil && r.Want == ""
	})
	check("DateMissing", d.DateMissing, func(r Ref) bool {
		rec := tb.record(t, r.Object, r.ID)
		return raw(r) == `""` && formatted(r) == `""` && string(rec.Raw(res.Scores[0][5].Key)) != `""`
	})
	rawDate := func(day, month string) func(Ref) bool {
		return func(r Ref) bool {
			var v struct{ Date string }
			return json.Unmarshal([]byte(raw(r)), &v) == nil && strings.HasPrefix(v.Date, month+"/"+day+"/") &&
				strings.HasPrefix(formatted(r), `"`+day+"/"+month+"/") && r.Want[5:] == month+"-"+day
		}
	}
	check("DateJuly31", d.DateJuly31, rawDate("31", "07"))
	check("DateAugust1", d.DateAugust1, rawDate("01", "08"))
	check("DateDecember31", d.DateDecember31, rawDate("31", "12"))
	check("DateJanuary1", d.DateJanuary1, rawDate("01", "01"))

	// The calendar-year cases sit at an Australian school with
	// use_standard_year false.
	auFalse := d.AusStandardYearFalse[0].ID
	for _, r := range append(append([]Ref{}, d.DateDecember31...), d.DateJanuary1...) {
		var conn []struct{ ID string }
		mustUnmarshal(t, tb.record(t, r.Object, r.ID).Raw(res.Establishment.Key), &conn)
		if len(conn) != 1 || conn[0].ID != auFalse {
			t.Errorf("%s: establishment %v, want the calendar-year school %s", r.ID, conn, auFalse)
		}
	}

	exact := func(want string) func(Ref) bool {
		return func(r Ref) bool { return raw(r) == want && formatted(r) == want }
	}
	check("ScoreDecimalText", d.ScoreDecimalText, exact(`"7.0"`))
	check("ScorePadded", d.ScorePadded, exact(`" 7 "`))
	check("ScoreFraction", d.ScoreFraction, exact(`"6.5"`))
	check("ScoreHuge", d.ScoreHuge, exact(`20879`))
	check("ScoreEleven", d.ScoreEleven, exact(`11`))
	check("ScoreEmpty", d.ScoreEmpty, exact(`""`))
	check("CyclePartial", d.CyclePartial, func(r Ref) bool {
		rec := tb.record(t, r.Object, r.ID)
		for _, f := range res.Scores[0][:5] {
			if string(rec.Raw(f.Key)) != `""` {
				return false
			}
		}
		return raw(r) == r.Want
	})
	check("AnswerZero", d.AnswerZero, exact(`0`))
	check("AnswerSix", d.AnswerSix, exact(`6`))
	check("AnswerFifty", d.AnswerFifty, exact(`50`))
	check("AnswerEmpty", d.AnswerEmpty, exact(`""`))
	check("AnswerText3", d.AnswerText3, exact(`"3"`))
	check("AnswerFloat3", d.AnswerFloat3, exact(`3.0`))
	if f := question("q29_vision_grades").Cycles[0].Key; d.AnswerFifty[0].Field != f {
		t.Errorf("AnswerFifty in %s, want q29_vision_grades %s", d.AnswerFifty[0].Field, f)
	}

	qn := vespa.Object29
	link := func(rec knack.Record) string {
		var conn []struct{ ID string }
		_ = json.Unmarshal(rec.Raw(qn.Result.Key), &conn)
		if len(conn) == 0 {
			return ""
		}
		return conn[0].ID
	}
	email10 := func(id string) string {
		return knackEmail(t, tb.record(t, res.Object, id), res.Email.Key)
	}
	check("AnswerByLink", d.AnswerByLink, func(r Ref) bool {
		rec := tb.record(t, r.Object, r.ID)
		l := link(rec)
		return l != "" && email10(l) == r.Want && knackEmail(t, rec, qn.Email.Key) != r.Want
	})
	students := map[string]bool{}
	for _, rec := range tb.ds.Records[res.Object] {
		students[knackEmail(t, rec, res.Email.Key)] = true
	}
	check("AnswerOrphan", d.AnswerOrphan, func(r Ref) bool {
		rec := tb.record(t, r.Object, r.ID)
		return link(rec) == "" && !students[knackEmail(t, rec, qn.Email.Key)]
	})
	// Dirty e-mails: the questionnaire carries the clean address and no
	// link.
	for _, list := range [][]Ref{d.EmailMixedCase, d.EmailSpaces, d.EmailAnchorOnly, d.EmailNested, d.EmailAddressKey} {
		for _, r := range list {
			n := 0
			for _, rec := range tb.ds.Records[qn.Object] {
				if knackEmail(t, rec, qn.Email.Key) == r.Want {
					n++
					if link(rec) != "" {
						t.Errorf("%s: questionnaire %s has field_792", r.ID, rec.ID)
					}
				}
			}
			if n != 1 {
				t.Errorf("%s: %d questionnaires with %s, want 1", r.ID, n, r.Want)
			}
		}
	}

	completion := func(object, id string, f vespa.Field) string {
		var v struct{ Date string }
		_ = json.Unmarshal(tb.record(t, object, id).Raw(f.Key), &v)
		return v.Date
	}
	for _, p := range d.Duplicates {
		w, l := tb.record(t, res.Object, p.Winner), tb.record(t, res.Object, p.Loser)
		wd, _ := time.Parse("01/02/2006", completion(res.Object, p.Winner, res.CompletionDate))
		ld, _ := time.Parse("01/02/2006", completion(res.Object, p.Loser, res.CompletionDate))
		if email10(w.ID) != email10(l.ID) || !wd.After(ld) || p.Winner > p.Loser || academicYear(wd) != academicYear(ld) {
			t.Errorf("Duplicates %+v: emails %s %s, dates %v %v", p, email10(w.ID), email10(l.ID), wd, ld)
		}
	}
	for _, p := range d.DuplicatesEqualDate {
		if email10(p.Winner) != email10(p.Loser) || p.Winner < p.Loser ||
			completion(res.Object, p.Winner, res.CompletionDate) != completion(res.Object, p.Loser, res.CompletionDate) {
			t.Errorf("DuplicatesEqualDate %+v", p)
		}
	}
	if len(d.DuplicateAnswers) != len(d.Duplicates)+len(d.DuplicatesEqualDate) {
		t.Errorf("DuplicateAnswers: %d pairs", len(d.DuplicateAnswers))
	}
	for _, p := range d.DuplicateAnswers {
		w, l := tb.record(t, qn.Object, p.Winner), tb.record(t, qn.Object, p.Loser)
		wd := completion(qn.Object, p.Winner, qn.CompletionDate)
		ld := completion(qn.Object, p.Loser, qn.CompletionDate)
		if knackEmail(t, w, qn.Email.Key) != knackEmail(t, l, qn.Email.Key) || (wd == ld) != (p.Winner > p.Loser) {
			t.Errorf("DuplicateAnswers %+v: dates %s %s", p, wd, ld)
		}
	}
	for _, l := range d.ReUploads {
		oldD, _ := time.Parse("01/02/2006", completion(res.Object, l.From.ID, res.CompletionDate))
		newD, _ := time.Parse("01/02/2006", completion(res.Object, l.To.ID, res.CompletionDate))
		if l.From.ID == l.To.ID || email10(l.From.ID) != email10(l.To.ID) || academicYear(newD) != academicYear(oldD)+1 || l.From.ID > l.To.ID {
			t.Errorf("ReUploads %+v: %v -> %v", l, oldD, newD)
		}
	}
	for _, r := range d.KeepAndRefresh {
		rec := tb.record(t, r.Object, r.ID)
		if r.Object == res.Object {
			d10, _ := time.Parse("01/02/2006", completion(res.Object, r.ID, res.CompletionDate))
			var created uint32
			fmt.Sscanf(r.ID[:8], "%x", &created)
			if string(rec.Raw(res.CurrentCycle.Key)) != "1" || string(rec.Raw(res.Scores[1][5].Key)) == `""` ||
				string(rec.Raw(res.Scores[2][5].Key)) == `""` || academicYear(d10) != 2025 ||
				academicYear(time.Unix(int64(created), 0)) != 2024 {
				t.Errorf("KeepAndRefresh %s: cycle %s, stale %s %s, date %v", r.ID, rec.Raw(res.CurrentCycle.Key),
					rec.Raw(res.Scores[1][5].Key), rec.Raw(res.Scores[2][5].Key), d10)
			}
		} else if string(rec.Raw(qn.Questions[0].Cycles[2].Key)) == `""` && string(rec.Raw(qn.Questions[1].Cycles[2].Key)) == `""` {
			t.Errorf("KeepAndRefresh %s: no stale cycle 3 answers", r.ID)
		}
	}
	check("UnknownEstablishment", d.UnknownEstablishment, func(r Ref) bool {
		var conn []struct{ ID string }
		_ = json.Unmarshal([]byte(raw(r)), &conn)
		_, known := tb.byID[vespa.Object2.Object][conn[0].ID]
		return len(conn) == 1 && !known
	})

	check("SchoolCancelled", d.SchoolCancelled, exact(`"Cancelled"`))
	check("SchoolResourcePortal", d.SchoolResourcePortal, exact(`"RESOURCE PORTAL"`))
	check("SchoolEmptyPortal", d.SchoolEmptyPortal, exact(`""`))
	check("SchoolLowerPortal", d.SchoolLowerPortal, exact(`"coaching portal"`))
	check("SchoolNameEmpty", d.SchoolNameEmpty, func(r Ref) bool {
		rec := tb.record(t, r.Object, r.ID)
		return raw(r) == `"EMPTY"` && string(rec.Raw(vespa.Object2.NameFallback.Key)) == `"`+r.Want+`"`
	})
	isAU := func(r Ref) bool {
		return string(tb.record(t, r.Object, r.ID).Raw(vespa.Object2.IsAustralian.Key)) == "true"
	}
	check("AusStandardYearEmpty", d.AusStandardYearEmpty, func(r Ref) bool { return isAU(r) && exact(`""`)(r) })
	check("AusStandardYearFalse", d.AusStandardYearFalse, func(r Ref) bool { return isAU(r) && raw(r) == "false" })
	check("AusStandardYearTrue", d.AusStandardYearTrue, func(r Ref) bool { return isAU(r) && raw(r) == "true" })
	// Every establishment case has students.
	perSchool := map[string]int{}
	for _, rec := range tb.ds.Records[res.Object] {
		var conn []struct{ ID string }
		_ = json.Unmarshal(rec.Raw(res.Establishment.Key), &conn)
		perSchool[conn[0].ID]++
	}
	for _, rec := range tb.ds.Records[vespa.Object2.Object] {
		if perSchool[rec.ID] == 0 {
			t.Errorf("establishment %s has no students", rec.ID)
		}
	}

	check("StaffNoEstablishment", d.StaffNoEstablishment, func(r Ref) bool {
		return raw(r) == "[]" && formatted(r) == `""` || raw(r) == "<absent>" && formatted(r) == "<absent>"
	})
	for _, l := range d.SuperUserAlsoStaff {
		su := knackEmail(t, tb.record(t, l.From.Object, l.From.ID), vespa.Object21.Email.Key)
		st := knackEmail(t, tb.record(t, l.To.Object, l.To.ID), vespa.Object5.Email.Key)
		if su != st || su == "" {
			t.Errorf("SuperUserAlsoStaff %+v: %s vs %s", l, su, st)
		}
	}

	check("AttendancePercent", d.AttendancePercent, exact(`"93%"`))
	check("AttendanceFraction", d.AttendanceFraction, exact(`"0.93"`))
	check("AttendanceEmpty", d.AttendanceEmpty, exact(`""`))
	check("PriorAttainmentEmpty", d.PriorAttainmentEmpty, exact(`""`))
	check("SubjectInvalidJSON", d.SubjectInvalidJSON, func(r Ref) bool {
		var s string
		return json.Unmarshal([]byte(raw(r)), &s) == nil && s != "" && !json.Valid([]byte(s))
	})
	check("SubjectNoSubject", d.SubjectNoSubject, func(r Ref) bool {
		var s string
		var m map[string]any
		if json.Unmarshal([]byte(raw(r)), &s) != nil || json.Unmarshal([]byte(s), &m) != nil {
			return false
		}
		_, has := m["subject"]
		return !has
	})
	accounts := tb.byID[vespa.Object3.Object]
	check("ProfileMissingAccount", d.ProfileMissingAccount, func(r Ref) bool {
		var conn []struct{ ID string }
		_ = json.Unmarshal([]byte(raw(r)), &conn)
		_, ok := accounts[conn[0].ID]
		return len(conn) == 1 && !ok
	})
	check("ProfileAccountText", d.ProfileAccountText, func(r Ref) bool {
		var id string
		if json.Unmarshal([]byte(raw(r)), &id) != nil || raw(r) != formatted(r) {
			return false
		}
		acc, ok := accounts[id]
		return ok && knackEmail(t, acc, vespa.Object3.Email.Key) == r.Want
	})
	check("AccountAnchorOnly", d.AccountAnchorOnly, func(r Ref) bool {
		return raw(r) == "<absent>" && strings.Contains(formatted(r), "mailto:"+r.Want)
	})
	// Every profile but the missing-account ones points at an account.
	for _, rec := range tb.ds.Records[vespa.Object112.Object] {
		if id := accountID(rec); accounts[id].ID == "" && !containsID(d.ProfileMissingAccount, rec.ID) {
			t.Errorf("profile %s: account %s missing", rec.ID, id)
		}
	}

	check("TextNUL", d.TextNUL, func(r Ref) bool {
		return strings.Contains(raw(r), `\u0000`) && knack.CleanText(decodeName(t, raw(r))) == r.Want
	})
	// Hostile text is in escapes; the JSON itself is valid UTF-8.
	check("TextInvalidUTF8", d.TextInvalidUTF8, func(r Ref) bool {
		s := raw(r)
		lone := strings.Contains(s, `\ud800`) || strings.Contains(s, `\udcff`)
		return lone && utf8.ValidString(s) && json.Valid([]byte(s)) &&
			knack.DecodeText(tb.record(t, r.Object, r.ID), r.Field) == r.Want
	})
	check("TextHTML", d.TextHTML, func(r Ref) bool {
		return strings.Contains(raw(r), "<script>alert(1)</script>") && decodeName(t, raw(r)) == r.Want
	})
}

func knackEmail(t *testing.T, r knack.Record, key string) string {
	t.Helper()
	var v struct{ Email string }
	if err := json.Unmarshal(r.Raw(key), &v); err != nil {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(v.Email))
}

func decodeName(t *testing.T, raw string) string {
	t.Helper()
	var v struct{ Full string }
	mustUnmarshal(t, []byte(raw), &v)
	return v.Full
}

func accountID(r knack.Record) string {
	var conn []struct{ ID string }
	if json.Unmarshal(r.Raw(vespa.Object112.Account.Key), &conn) == nil && len(conn) == 1 {
		return conn[0].ID
	}
	var id string
	_ = json.Unmarshal(r.Raw(vespa.Object112.Account.Key), &id)
	return id
}

func containsID(refs []Ref, id string) bool {
	for _, r := range refs {
		if r.ID == id {
			return true
		}
	}
	return false
}

// academicYear is the UK rule's start year.
func academicYear(d time.Time) int {
	if d.Month() < time.August {
		return d.Year() - 1
	}
	return d.Year()
}
