package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"knacksync/internal/knack"
	"knacksync/internal/vespa"
)

// client returns the session's Knack client, built on first use. It
// retries once at most: the doctor reports, it does not persevere.
func (s *session) client() *knack.Client {
	if s.knack == nil {
		s.knack = knack.New(knack.Config{
			BaseURL:    s.cfg.KnackAPIURL,
			AppID:      s.cfg.KnackAppID,
			APIKey:     s.cfg.KnackAPIKey,
			RateLimit:  s.cfg.KnackRateLimit,
			HTTPClient: s.opts.HTTPClient,
			Timeout:    s.opts.Timeout,
			MaxRetries: 1,
			Logger:     s.opts.Logger,
		})
	}
	return s.knack
}

// errEnough stops a listing after its first page.
var errEnough = errors.New("enough")

// countRecords reads one page of one record and returns the listing's
// total_records: one request.
func countRecords(ctx context.Context, c *knack.Client, object string) (int, error) {
	total := 0
	err := c.List(ctx, object, knack.ListOptions{RowsPerPage: 1, Format: knack.FormatRaw}, func(p knack.Page) error {
		total = p.TotalRecords
		return errEnough
	})
	if err != nil && !errors.Is(err, errEnough) {
		return 0, err
	}
	// An empty object has no page to hand over: total stays 0.
	return total, nil
}

// checkKnack reads one record page of object_2 with the configured key.
func checkKnack(ctx context.Context, s *session) []Result {
	if !s.cfg.KnackConfigured() {
		const unset = "KNACK_APP_ID and KNACK_API_KEY are not set"
		if s.cfg.Production() {
			return []Result{fail("%s: production needs them", unset)}
		}
		return []Result{warn("%s: nothing to sync (point them at a Knack app, or at `server sim`)", unset)}
	}
	object := vespa.Object2.Object
	start := time.Now()
	n, err := countRecords(ctx, s.client(), object)
	took := time.Since(start)
	if err != nil {
		var apiErr *knack.APIError
		if errors.Is(err, knack.ErrUnauthorized) && errors.As(err, &apiErr) {
			what := "KNACK_API_KEY"
			if strings.Contains(strings.ToLower(apiErr.Body), "application") {
				what = "KNACK_APP_ID"
			}
			return []Result{fail("%s rejected: %s", what, s.errText(apiErr))}
		}
		return []Result{fail("reading %s at %s: %s", object, s.cfg.KnackAPIURL, s.errText(err))}
	}
	s.knackOK = true
	s.counts[object] = n
	return []Result{ok("KNACK_API_KEY works: read a page of %s (%d records) from %s in %s", object, n, s.cfg.KnackAPIURL, round(took))}
}

// checkFields compares every field of the VESPA map with the app's schema:
// that it exists, has the type the map expects, and for a connection,
// points at the expected object.
func checkFields(ctx context.Context, s *session) []Result {
	app, err := s.client().Schema(ctx)
	if err != nil {
		return []Result{fail("%s", s.errText(err))}
	}
	var problems []Result
	checked, objects := 0, 0
	for _, mo := range vespa.Objects {
		objects++
		o, found := app.Object(mo.Key)
		if !found {
			problems = append(problems, fail("%s: not in the app's schema (%d mapped fields)", mo.Key, len(mo.Fields())))
			continue
		}
		for _, f := range mo.Fields() {
			if p := fieldProblem(o, f); p != "" {
				problems = append(problems, fail("%s.%s: %s", mo.Key, f.Key, p))
				continue
			}
			checked++
		}
	}
	if len(problems) > 0 {
		return problems
	}
	return []Result{ok("all %d mapped fields of %d objects exist in app %q with the expected types", checked, objects, app.Name)}
}

// fieldProblem says what is wrong with f in o, or "".
func fieldProblem(o knack.ObjectSchema, f vespa.Field) string {
	got, found := o.Field(f.Key)
	switch {
	case !found:
		return fmt.Sprintf("missing (expected %s)", f.Type)
	case got.Type != f.Type:
		return fmt.Sprintf("expected %s, found %s", f.Type, got.Type)
	case f.Type == vespa.TypeConnection && (got.Relationship == nil || got.Relationship.Object == ""):
		return fmt.Sprintf("expected a connection to %s, found one without a target object", f.Object)
	case f.Type == vespa.TypeConnection && got.Relationship.Object != f.Object:
		return fmt.Sprintf("expected a connection to %s, found one to %s", f.Object, got.Relationship.Object)
	}
	return ""
}

// quotaLowShare is the share of the daily quota below which the quota
// check warns.
const quotaLowShare = 0.10

// checkQuota estimates what a full sweep costs (one request per page of
// 1,000 records, per object; the counts cost one request per object) and
// compares it with the quota Knack says is left.
func checkQuota(ctx context.Context, s *session) []Result {
	c := s.client()
	var countErr error
	records, cost := 0, 0
	objects := vespa.Objects
	for _, mo := range objects {
		n, done := s.counts[mo.Key]
		if !done {
			var err error
			n, err = countRecords(ctx, c, mo.Key)
			if err != nil {
				countErr = err
				break
			}
			s.counts[mo.Key] = n
		}
		records += n
		cost += max(1, (n+knack.MaxRowsPerPage-1)/knack.MaxRowsPerPage)
	}
	st := c.Stats()
	left := fmt.Sprintf("%d of %d requests left today", st.PlanLimitRemaining, st.PlanLimitLimit)
	switch {
	case countErr != nil:
		if st.PlanLimitRemaining < 0 {
			return []Result{warn("sweep cost unknown: %s", s.errText(countErr))}
		}
		return []Result{warn("%s; sweep cost unknown: %s", left, s.errText(countErr))}
	case st.PlanLimitRemaining < 0:
		return []Result{warn("Knack sent no X-PlanLimit-Remaining header; a full sweep costs about %d requests", cost)}
	}
	sweep := fmt.Sprintf("a full sweep costs about %d requests (%d records in %d objects)", cost, records, len(objects))
	switch {
	case st.PlanLimitRemaining < int64(cost):
		return []Result{warn("%s: not enough for one full sweep, which costs about %d requests (%d records in %d objects)", left, cost, records, len(objects))}
	case st.PlanLimitLimit > 0 && float64(st.PlanLimitRemaining) < quotaLowShare*float64(st.PlanLimitLimit):
		return []Result{warn("%s, less than %.0f%%; %s", left, quotaLowShare*100, sweep)}
	}
	return []Result{ok("%s; %s", left, sweep)}
}
