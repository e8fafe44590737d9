package syncer

import (
	"context"

	"time"

	"github.com/jackc/pgx/v5"

	"knacksync/internal/knack"
	"knacksync/internal/store"
)

// Poll fetches the records of an object whose modified-date field (stamped
// by the app's record rules on every change) is on or after the last poll
// minus margin, and applies them: it catches edits that fire no hint
// (imports, batch updates). Knack compares dates in the app's local time,
// so margin must exceed the app's offset from UTC. The first poll of an
// object only sets the cursor: the nightly sweep covers what came before.
func (s *Syncer) Poll(ctx context.Context, objectKey, field string, margin time.Duration) (Applied, error) {
	var total Applied
	o, err := lookupObject(objectKey)
	if err != nil {
		return total, err
	}
	start := s.now()
	cursor, err := s.store.PollCursor(ctx, o.Key)
	if err != nil {
		return total, err
	}
	if cursor.IsZero() {
		return total, s.store.InTx(ctx, func(tx pgx.Tx) error { return s.store.SetPollCursor(ctx, tx, o.Key, start) })
	}
	since := cursor.Add(-margin).UTC().Format("01/02/2006 15:04")
	// "On or after" is "is" or "is after" in Knack's filters (docs/knack-api.md §3.3).
	filter := knack.Or(
		knack.Rule{Field: field, Operator: knack.OpIs, Value: since},
		knack.Rule{Field: field, Operator: knack.OpIsAfter, Value: since},
	)
	runID, err := s.store.StartRun(ctx, store.KindIncremental, []string{o.Key}, false, start)
	if err != nil {
		return total, err
	}
	err = s.knack.List(ctx, o.Key, knack.ListOptions{Filters: filter}, func(page knack.Page) error {
		a, err := s.fetchedStep(runID, o, page.Records, nil, page.Requested, store.PageDone{Pages: 1, Requests: 1}).run(ctx, s)
		total.add(a)
		return err
	})
	if err == nil {
		err = s.store.InTx(ctx, func(tx pgx.Tx) error { return s.store.SetPollCursor(ctx, tx, o.Key, start) })
	}
	return total, s.finishRun(ctx, runID, o.Key, start, err)
}
