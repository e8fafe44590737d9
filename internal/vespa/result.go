package vespa

import (
	"errors"
	"fmt"
	"math"
	"strconv"
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
// per-cycle scores and comments (docs/mapping.md, rules 1–7, 10, 12, 14).
//
//   - Without a valid email the record gives no rows (ok=false) and one
//     RuleEmail issue: a student cannot exist without identity. The email
//     is kept as Knack gives it, trimmed (rule 1); identity compares it
//     case-insensitively (the store keys claims by its lower-cased form).
//   - The academic year comes from the completion date field_855 under the
//     rule of the student's establishment (rule 3). A record without a date
//     takes the year of ctx.FirstSeen (rule 4). An unparseable date is
//     reported (RuleDate) and then treated as no date, so that the student is
//     still stored; CompletionDate is then nil.
//   - An establishment that is empty or not in ctx.Establishments is
//     reported; the student is stored with EstablishmentKnackID "" and the UK
//     rule.
//   - CompletedAt ranks duplicates (rule 5): the completion date with the
//     time of day Knack gives with it; a date alone is 00:00.
//   - Cycles (rule 6): a cycle gives a ScoreRow when at least one of its six
//     scores is valid after rule 7 (a cycle whose every score is out of
//     range or not a number gives no row; its values are still reported).
//     When field_146 is 1..3, cycles above it are ignored for scores and
//     comments alike (answers too, in the store): they hold last year's
//     values. A field_146 that is not 1..3 is reported, and every cycle is
//     then taken.
//   - Scores (rule 7): integral values are taken; a non-integral value is
//     first rounded half up and reported, then range-checked: 10.4 → 10,
//     10.5 → 11 → NULL, -0.4 → 0. A value outside 0..10 becomes NULL and is
//     reported.
//   - Comments: one row per non-blank rrc/goal text, for cycles
//     1..field_146.
//
// Duplicates across records (rule 5) are settled by the store's claims
// engine (internal/store/sql/claims.sql), across batches and in the database.
func ProjectResult(rec knack.Record, ctx Context) (ResultRows, []Issue, bool) {
	f := Results
	is := newIssues(f.Object, rec)

	email, err := knack.DecodeEmailAsGiven(rec, f.Email.Key)
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
		CompletedAt:          completedAt(rec, f.CompletionDate, completed),
	}}

	last := lastCycle(rec, f.CurrentCycle, is)
	rows.Student.LastCycle = last
	for c := 1; c <= last; c++ {
		score := ScoreRow{Email: email, AcademicYear: year, Cycle: c, CompletionDate: cloneTime(completed)}
		filled := false
		for k, sf := range f.Scores[c-1] {
			v := readScore(rec, sf, is)
			filled = filled || v != nil
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

// readScore reads one score (rule 7): nil when the field is empty or the
// value is not valid. A non-integral value is rounded half up (and
// reported) before the range check, so 10.4 is 10 and 10.5 is 11, out of
// range.
func readScore(rec knack.Record, f Field, is *issueList) *int {
	v, err := knack.DecodeNumber(rec, f.Key)
	switch {
	case err != nil:
		is.addErr(RuleScore, f, err, "score is not a number; stored as NULL")
		return nil
	case v == nil:
		return nil
	}
	r := math.Floor(*v + 0.5) // half up; exact for integral values
	if r != *v {
		is.add(RuleScoreRounded, f, knack.DecodeText(rec, f.Key), fmt.Sprintf("score is not a whole number; rounded to %s", strconv.FormatFloat(r, 'f', -1, 64)))
	}
	if r < 0 || r > 10 {
		is.add(RuleScore, f, knack.DecodeText(rec, f.Key), "score outside 0..10; stored as NULL")
		return nil
	}
	n := int(r)
	return &n
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
