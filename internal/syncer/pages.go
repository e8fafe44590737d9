package syncer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/sync/errgroup"

	"knacksync/internal/dbmigrate"
	"knacksync/internal/knack"
	"knacksync/internal/store"
)

// listPages lists an object from page first and applies its pages with
// cfg.Workers transactions in parallel, while the client fetches the next
// pages: a sweep is bound by Knack's rate limit or by Postgres, whichever is
// slower, not by their sum. Batches that touch the same natural keys are
// serialised by the claims engine's key locks.
func (s *Syncer) listPages(ctx context.Context, runID int64, o object, first int, progress func(Progress)) error {
	type job struct {
		page     knack.Page
		requests int
	}
	jobs := make(chan job)
	g, gctx := errgroup.WithContext(ctx)
	wm := &watermark{next: first, done: map[int]bool{}}
	var mu sync.Mutex
	seen := 0
	for range s.cfg.Workers {
		g.Go(func() error {
			for j := range jobs {
				next := wm.ifDone(j.page.Number)
				page := store.PageDone{NextPage: next, Pages: 1, Requests: j.requests}
				if _, err := s.fetchedStep(runID, o, j.page.Records, nil, j.page.Requested, page).run(gctx, s); err != nil {
					return fmt.Errorf("page %d: %w", j.page.Number, err)
				}
				wm.commit(j.page.Number)
				// The tables this object fills grow faster than
				// autovacuum analyzes them.
				s.analyzeStale(gctx, dbmigrate.Grown)
				if !repairing(gctx) {
					// A full sweep ends with a full recompute instead.
					s.pageStats(gctx, runID)
				}
				if progress != nil {
					mu.Lock()
					seen += len(j.page.Records)
					progress(Progress{Object: o.Key, Page: j.page.Number, TotalPages: j.page.TotalPages, Records: seen})
					mu.Unlock()
				}
			}
			return nil
		})
	}
	// The listing's own requests, not the client's (other jobs share it).
	lctx, counter := knack.CountRequests(gctx)
	last := counter.Load()
	listErr := s.knack.List(lctx, o.Key, knack.ListOptions{StartPage: first}, func(page knack.Page) error {
		now := counter.Load()
		j := job{page: page, requests: int(now - last)}
		last = now
		select {
		case jobs <- j:
			return nil
		case <-gctx.Done():
			return gctx.Err()
		}
	})
	close(jobs)
	workErr := g.Wait()
	if workErr != nil {
		// A worker's error cancels the listing; report the cause.
		return workErr
	}
	return listErr
}

// watermark tracks which pages committed, to checkpoint "every page before
// N is done" while pages commit out of order.
type watermark struct {
	mu   sync.Mutex
	next int
	done map[int]bool
}

// ifDone is the checkpoint to record with page p: the first page not done
// once p commits (conservative: pages still in flight count as not done).
func (w *watermark) ifDone(p int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := w.next
	for n == p || w.done[n] {
		n++
	}
	return n
}

func (w *watermark) commit(p int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done[p] = true
	for w.done[w.next] {
		delete(w.done, w.next)
		w.next++
	}
}

// retryTx runs fn in a transaction, again when Postgres aborted it for a
// deadlock or a serialisation failure between parallel batches, or the
// connection was lost (a restarted database, a terminated backend): the
// transaction rolled back, so running it again is safe.
func (s *Syncer) retryTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	var err error
	for attempt := range 5 {
		if err = s.store.InTx(ctx, fn); !retryable(err) || ctx.Err() != nil {
			return err
		}
		s.logger.WarnContext(ctx, "transaction retried", slog.Int("attempt", attempt+1), slog.String("error", err.Error()))
		time.Sleep(time.Duration(attempt*attempt) * 100 * time.Millisecond)
	}
	return err
}

func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "40P01", pgErr.Code == "40001": // deadlock, serialisation
			return true
		case strings.HasPrefix(pgErr.Code, "57P"), strings.HasPrefix(pgErr.Code, "08"): // shutdown, connection
			return true
		}
		return false
	}
	var netErr net.Error
	return err != nil && (pgconn.SafeToRetry(err) || errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) ||
		strings.Contains(err.Error(), "conn closed"))
}

// repairKey marks a context whose listing re-projects unchanged records
// too (a full sweep, rule 16): their rows are merged again, and what that
// writes is drift another writer made, counted as repaired.
type repairKey struct{}

func withRepair(ctx context.Context) context.Context {
	return context.WithValue(ctx, repairKey{}, true)
}

func repairing(ctx context.Context) bool {
	v, _ := ctx.Value(repairKey{}).(bool)
	return v
}
