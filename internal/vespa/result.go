package vespa

import (
	"errors"
	"fmt"
	"math"
	"time"

	"knacksync/internal/knack"
)

// Comment types (student_comments.comment_type).
const (
	CommentRRC  = "rrc"
	CommentGoal = "goal"
)

// Cycles is the number of VESPA cycles in a year.
const Cycles = 3

// ProjectResult maps an object_10 record (VESPA results) to a student, its
// per-cycle scores and comments (DOMAIN.md rules 1–7, 10, 12, 14).
//
//   - Without a valid email the record gives no rows (ok=false) and one
//     RuleEmail issue: a student cannot exist without identity.
//   - The academic year comes from the completion date field_855 under the
//     rule of the student's establishment (rule 3). A record without a date
//     takes the year of ctx.FirstSeen (rule 4). An unparseable date is
//     reported (RuleDate) and then treated as no date, so that the student is
//     still stored; CompletionDate is then nil.
//   - An establishment that is empty or not in ctx.Establishments is
//     reported; the student is stored with EstablishmentKnackID "" and the UK
//     rule.
//   - Cycles (rule 6): a cycle gives a ScoreRow when at least one of its six
//     score fields holds a value (an out-of-range or non-numeric value counts:
//     the cycle was filled in, rule 7 keeps the row with that score NULL).
//     When field_146 is 1..3, cycles above it are ignored: they hold last
//     year's values. A field_146 that is not 1..3 is reported, and every
//     cycle is then taken.
//   - Scores (rule 7): integral values are taken; non-integral ones are
//     rounded half up and reported; values outside 0..10 (checked before
//     rounding, so 10.4 is out of range) become NULL and are reported.
//   - Comments: one row per non-blank rrc/goal text, for the same cycles as
//     the scores. DOMAIN.md rule 6 speaks of scores only, but the comment
//     fields of a later cycle hold last year's text exactly as the score
//     fields do after a keep-and-refresh, so the same filter applies.
//
// Duplicates across records (rule 5) are settled by the store's claims
// engine (internal/store/sql/claims.sql), across batches and in the database.
func ProjectResult(rec knack.Record, ctx Context) (ResultRows, []Issue, bool) {
	f := Results
	is := newIssues(f.Object, rec)

	email, err := knack.DecodeEmail(rec, f.Email.Key)
	if err != nil {
		is.addErr(RuleEmail, f.Email, err, emailDetail(err, "student"))
		return ResultRows{}, is.list, false
	}

	estID, est, known, ids := establishmentOf(rec, f.Establishment, ctx)
	if !known {
		is.add(RuleEstablishment, f.Establishment, joinIDs(ids), establishmentDetail(ids, "student"))
	}

	completed, yearDate, ok := completionDate(rec, f.CompletionDate, ctx, is)
	if !ok {
		return ResultRows{}, is.list, false
	}
	year := AcademicYear(yearDate, est)

	rows := ResultRows{Student: StudentRow{
		KnackID:              knack.CleanText(rec.ID),
		Email:                email,
		AcademicYear:         year,
		Name:                 readText(rec, f.Name),
		EstablishmentKnackID: estID,
		YearGroup:            readText(rec, f.YearGroup),
		Course:               readText(rec, f.Course),
		Faculty:              readText(rec, f.Faculty),
		Group:                readText(rec, f.Group),
		Gender:               readText(rec, f.Gender),
		CompletionDate:       completed,
	}}

	last := lastCycle(rec, f.CurrentCycle, is)
	rows.Student.LastCycle = last
	for c := 1; c <= last; c++ {
		score := ScoreRow{Email: email, AcademicYear: year, Cycle: c, CompletionDate: cloneTime(completed)}
		filled := false
		for k, sf := range f.Scores[c-1] {
			v, present := readScore(rec, sf, is)
			filled = filled || present
			score.Scores[k] = v
		}
		if filled {
			rows.Scores = append(rows.Scores, score)
		}
		for _, cm := range []struct {
			kind  string
			field Field
		}{{CommentRRC, f.RRC[c-1]}, {CommentGoal, f.Goal[c-1]}} {
			text := readText(rec, cm.field)
			if blank(text) {
				continue
			}
			rows.Comments = append(rows.Comments, CommentRow{
				Email:        email,
				AcademicYear: year,
				Cycle:        c,
				Type:         cm.kind,
				Text:         text,
				FieldKey:     cm.field.Key,
			})
		}
	}
	return rows, is.list, true
}

// completionDate reads a completion date (rule 2) and returns it (nil when
// absent or unparseable) and the date whose academic year the record takes:
// the completion date, else the day the service first saw the record
// (rule 4). ok is false when neither exists: that is a caller's bug (the
// context must carry FirstSeen), reported as a date issue rather than
// guessed from the clock.
func completionDate(rec knack.Record, f Field, ctx Context, is *issueList) (completed *time.Time, yearDate time.Time, ok bool) {
	d, err := knack.DecodeDate(rec, f.Key)
	if err != nil {
		is.addErr(RuleDate, f, err, "completion date cannot be read; academic year taken from when the record was first seen")
	}
	if d != nil {
		return d, *d, true
	}
	first, ok := firstSeenDate(ctx)
	if !ok {
		is.add(RuleDate, f, "", "no completion date and no first-seen time; record skipped")
		return nil, time.Time{}, false
	}
	return nil, first, true
}

// lastCycle is the highest cycle to take: field_146 when it is 1..3, else all.
func lastCycle(rec knack.Record, f Field, is *issueList) int {
	v, err := knack.DecodeNumber(rec, f.Key)
	switch {
	case err != nil:
		is.addErr(RuleValue, f, err, "current cycle is not a number; all cycles taken")
	case v == nil:
	case *v == 1 || *v == 2 || *v == 3:
		return int(*v)
	default:
		is.add(RuleValue, f, knack.DecodeText(rec, f.Key), "current cycle is not 1, 2 or 3; all cycles taken")
	}
	return Cycles
}

// readScore reads one score (rule 7). present is true when the field holds
// anything at all, even a value that is then stored as NULL.
func readScore(rec knack.Record, f Field, is *issueList) (score *int, present bool) {
	v, err := knack.DecodeNumber(rec, f.Key)
	switch {
	case err != nil:
		is.addErr(RuleScore, f, err, "score is not a number; stored as NULL")
		return nil, true
	case v == nil:
		return nil, false
	case *v < 0 || *v > 10:
		is.add(RuleScore, f, knack.DecodeText(rec, f.Key), "score outside 0..10; stored as NULL")
		return nil, true
	}
	n := int(math.Floor(*v + 0.5)) // half up; exact for integral values
	if float64(n) != *v {
		is.add(RuleScoreRounded, f, knack.DecodeText(rec, f.Key), fmt.Sprintf("score is not a whole number; rounded to %d", n))
	}
	return &n, true
}

func emailDetail(err error, who string) string {
	if errors.Is(err, knack.ErrNoValue) {
		return "no " + who + " email; record skipped"
	}
	return "invalid " + who + " email; record skipped"
}

func establishmentDetail(ids []string, who string) string {
	if len(ids) == 0 {
		return "no establishment; " + who + " stored without one"
	}
	return "establishment not among the synced establishments; " + who + " stored without one"
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}
