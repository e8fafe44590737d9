package syncer

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"knacksync/internal/knack"
	"knacksync/internal/store"
)

// step is one transaction of a run: apply changes the tables and says what
// it did, which is recorded against the run in the same transaction (page
// carries the request counts and the checkpoint; the record counts come
// from apply). then, when set, does more in that transaction.
type step struct {
	runID int64
	o     object
	page  store.PageDone
	apply func(ctx context.Context, tx pgx.Tx) (Applied, error)
	then  func(ctx context.Context, tx pgx.Tx) error
}

// run commits the step, retried as retryTx retries.
func (st step) run(ctx context.Context, s *Syncer) (Applied, error) {
	var a Applied
	err := s.retryTx(ctx, func(tx pgx.Tx) error {
		var err error
		if a, err = st.apply(ctx, tx); err != nil {
			return err
		}
		p := st.page
		p.RunID, p.Object, p.Now = st.runID, st.o.Key, s.now()
		p.Seen, p.Changed, p.Deleted, p.Result = a.Seen, a.Changed, a.Deleted, a.Result
		if err := s.store.RecordPage(ctx, tx, p); err != nil {
			return err
		}
		if st.then != nil {
			return st.then(ctx, tx)
		}
		return nil
	})
	return a, err
}

// fetchedStep applies records and confirmed deletions fetched from Knack at
// fetched (the mirror → projection → merge pipeline).
func (s *Syncer) fetchedStep(runID int64, o object, recs []knack.Record, deleted []string, fetched time.Time, page store.PageDone) step {
	return step{runID: runID, o: o, page: page, apply: func(ctx context.Context, tx pgx.Tx) (Applied, error) {
		return s.applyFetched(ctx, tx, runID, o, recs, deleted, fetched)
	}}
}
