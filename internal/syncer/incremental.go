package syncer

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"knacksync/internal/knack"
	"knacksync/internal/store"
)

// HintBatch is the most hints one pass takes.
const HintBatch = 1000

// HintsResult is what one pass over an object's hints did.
type HintsResult struct {
	Hints   int  // hints taken
	Fetches int  // records fetched one by one
	Swept   bool // the object was swept instead
	Applied Applied
	RunID   int64
}

// ProcessHints takes the pending hints of one object and brings those
// records up to date: each is fetched from Knack (the hint is only a hint),
// a record that is gone (not found) is deleted (rule 11), and the rest go
// through the same mirror → projection → merge path as a sweep. When the
// hints would cost more requests than listing the object, the object is
// swept instead. Hints that arrive meanwhile stay for the next pass.
func (s *Syncer) ProcessHints(ctx context.Context, objectKey string) (HintsResult, error) {
	var res HintsResult
	o, err := lookupObject(objectKey)
	if err != nil {
		return res, err
	}
	pending, err := s.store.PendingHints(ctx, o.Key, HintBatch)
	if err != nil || len(pending) == 0 {
		return res, err
	}
	res.Hints = len(pending)

	// A delete hint for a record the mirror does not hold (never seen, or
	// already deleted) has nothing to delete: settled without a request.
	pending, err = s.settleUnknownDeletes(ctx, o.Key, pending)
	if err != nil || len(pending) == 0 {
		return res, err
	}

	live, err := s.store.LiveCount(ctx, o.Key)
	if err != nil {
		return res, err
	}
	if pages := (live + knack.MaxRowsPerPage - 1) / knack.MaxRowsPerPage; len(pending) > max(pages, 1) {
		return res, s.listHinted(ctx, o, pending, &res)
	}

	fetched := s.now()
	recs, gone, err := s.fetchAll(ctx, o.Key, pending)
	res.Fetches = len(pending)
	if err != nil {
		return res, err
	}
	runID, err := s.store.StartRun(ctx, store.KindIncremental, []string{o.Key}, false, s.now())
	if err != nil {
		return res, err
	}
	res.RunID = runID
	start := s.now()
	st := s.fetchedStep(runID, o, recs, gone, fetched, store.PageDone{Requests: len(pending)})
	st.then = func(ctx context.Context, tx pgx.Tx) error { return s.store.HintsDone(ctx, tx, o.Key, pending) }
	res.Applied, err = st.run(ctx, s)
	if err == nil {
		err = s.reprojectAll(ctx, runID)
	}
	return res, s.finishRun(ctx, runID, o.Key, start, err)
}

// fetchAll gets the hinted records, a few at a time under the client's
// rate limit. Not found means deleted; any other error stops the pass.
func (s *Syncer) fetchAll(ctx context.Context, object string, hints []store.PendingHint) ([]knack.Record, []string, error) {
	var mu sync.Mutex
	var recs []knack.Record
	var gone []string
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for _, h := range hints {
		g.Go(func() error {
			rec, err := s.knack.Get(gctx, object, h.RecordID)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, knack.ErrNotFound):
				gone = append(gone, h.RecordID)
			case err != nil:
				return fmt.Errorf("fetch %s/%s: %w", object, h.RecordID, err)
			default:
				recs = append(recs, rec)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return recs, gone, nil
}

// reprojectAll projects the records that changes asked to project again (a
// new winner, linked answers), now rather than at the next sweep.
func (s *Syncer) reprojectAll(ctx context.Context, runID int64) error {
	for _, key := range Objects() {
		if _, err := s.Reproject(ctx, runID, key, false); err != nil {
			return err
		}
	}
	return nil
}

// listHinted settles hints by listing the object, when that costs fewer
// requests than fetching each hinted record. It takes no sweep lock (a
// sweep's pages and these are ordered by request time in the mirror), so
// other objects' hints never wait for it. Every hint is settled: a listed
// record is up to date; one the listing did not return is gone from Knack
// or never was there. A listing alone cannot prove a delete (offset paging
// can skip a record when another is deleted meanwhile), so a mirrored
// record it missed is confirmed with a GET, as a sweep does.
func (s *Syncer) listHinted(ctx context.Context, o object, pending []store.PendingHint, res *HintsResult) error {
	runID, err := s.store.StartRun(ctx, store.KindIncremental, []string{o.Key}, false, s.now())
	if err != nil {
		return err
	}
	res.Swept, res.RunID = true, runID
	start := s.now()
	err = s.listPages(ctx, runID, o, 1, nil)
	if err == nil {
		ids := make([]string, len(pending))
		for i, h := range pending {
			ids[i] = h.RecordID
		}
		var missed []string
		if missed, err = s.store.StillMissing(ctx, o.Key, ids, start); err == nil && len(missed) > 0 {
			var a Applied
			a, err = s.deleteConfirmed(ctx, runID, o, missed)
			res.Fetches, res.Applied = len(missed), a
		}
	}
	if err == nil {
		err = s.store.InTx(ctx, func(tx pgx.Tx) error { return s.store.HintsDone(ctx, tx, o.Key, pending) })
	}
	if err == nil {
		err = s.reprojectAll(ctx, runID)
	}
	return s.finishRun(ctx, runID, o.Key, start, err)
}

// settleUnknownDeletes marks done the delete hints of records the mirror
// does not hold live, and returns the other hints.
func (s *Syncer) settleUnknownDeletes(ctx context.Context, object string, pending []store.PendingHint) ([]store.PendingHint, error) {
	var deletes []string
	for _, h := range pending {
		if h.Event == "delete" {
			deletes = append(deletes, h.RecordID)
		}
	}
	if len(deletes) == 0 {
		return pending, nil
	}
	liveIDs, err := s.store.LiveAmong(ctx, object, deletes)
	if err != nil {
		return nil, err
	}
	live := make(map[string]bool, len(liveIDs))
	for _, id := range liveIDs {
		live[id] = true
	}
	var keep, settled []store.PendingHint
	for _, h := range pending {
		if h.Event == "delete" && !live[h.RecordID] {
			settled = append(settled, h)
		} else {
			keep = append(keep, h)
		}
	}
	if len(settled) == 0 {
		return pending, nil
	}
	err = s.store.InTx(ctx, func(tx pgx.Tx) error { return s.store.HintsDone(ctx, tx, object, settled) })
	return keep, err
}
