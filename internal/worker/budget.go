package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"knacksync/internal/knack"
	"knacksync/internal/metrics"
	"knacksync/internal/store"
)

// The Knack app's daily quota is shared with the live app, which spends
// several calls per questionnaire submission. The Budget keeps the
// service's share (docs/quota.md):
//
//   - reserve = ⌈limit × KNACK_QUOTA_RESERVE⌉ is never touched: no request
//     is sent while the day's remaining quota is at or below it;
//   - a sweep needs its pages (the mirror's live records, 1,000 a page, one
//     per empty object) and a tenth on top for retries, growth and delete
//     confirmations; a sweep does not start unless remaining − reserve
//     covers that;
//   - hints get the rest of the service's share: at most
//     limit − reserve − sweep need hint requests a day, and none while the
//     remaining quota would fall below reserve + sweep need (the live app
//     spends too). When that is spent, hints stay stored and wait for the
//     nightly sweep (or the next day's budget).
//
// Until Knack has reported a limit, nothing is refused.

// ErrHintBudgetSpent refuses a hint request: the day's hint budget is spent.
var ErrHintBudgetSpent = errors.New("the Knack hint budget for today is spent: hints wait for the nightly sweep")

// ErrQuotaReserve refuses any request that would dip into the reserve.
var ErrQuotaReserve = errors.New("the Knack quota left is down to the reserve kept for the live app")

// ErrSweepBudget refuses a sweep the remaining quota cannot finish.
var ErrSweepBudget = errors.New("not enough Knack quota left today to finish a sweep")

// Warner sends a warning to the operators (Sentry).
type Warner interface {
	CaptureWarning(ctx context.Context, msg string, tags map[string]string)
}

// BudgetOptions configure a Budget.
type BudgetOptions struct {
	// Reserve is the share of the daily limit never touched
	// (KNACK_QUOTA_RESERVE, 0.5 by default; 0 reserves nothing).
	Reserve float64
	// Objects are the objects a full sweep lists (syncer.Objects()).
	Objects []string
	// Warner hears once a day that hints stopped; optional.
	Warner Warner
	Logger *slog.Logger
	Now    func() time.Time
}

// DefaultQuotaReserve is KNACK_QUOTA_RESERVE's default.
const DefaultQuotaReserve = 0.5

// Budget meters every Knack request (it is the client's knack.Meter): it
// counts each in the store's ledger, where it is made, and refuses what
// the day's budget does not allow.
type Budget struct {
	store *store.Store
	opts  BudgetOptions

	mu       sync.Mutex
	day      store.QuotaDay
	loadedAt time.Time
	need     int64 // the sweep's estimated requests; -1 before the first estimate
	needAt   time.Time
	inflight int64 // hint attempts allowed and not yet counted
	unsaved  map[spendKey]int64
}

type spendKey struct {
	day             time.Time
	object, purpose string
}

const (
	// reloadEvery bounds how stale another instance's spending may be;
	// each request of this one reloads the day anyway.
	reloadEvery = 30 * time.Second
	// estimateEvery is how often the sweep's size is estimated again.
	estimateEvery = 5 * time.Minute
	// writeTimeout bounds a ledger write (the request was made already).
	writeTimeout = 5 * time.Second
)

// NewBudget returns a Budget over st.
func NewBudget(st *store.Store, opts BudgetOptions) *Budget {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Budget{store: st, opts: opts, need: -1, unsaved: map[spendKey]int64{}, day: store.QuotaDay{PlanLimit: -1, Remaining: -1}}
}

// Figures is the day's budget as the Budget sees it. Unknown figures are -1.
type Figures struct {
	Day          time.Time
	Limit        int64
	Remaining    int64
	Reserve      int64
	SweepNeed    int64
	HintBudget   int64
	HintRequests int64
	Requests     int64
	// HintsAllowed is false when hints wait for the nightly sweep.
	HintsAllowed bool
}

// figures computes the budget from the day's ledger and quota.
func figures(q store.QuotaDay, share float64, need int64, inflight int64) Figures {
	f := Figures{Day: q.Day, Limit: q.PlanLimit, Remaining: q.Remaining, Reserve: -1, SweepNeed: need, HintBudget: -1,
		HintRequests: q.HintRequests, Requests: q.Requests, HintsAllowed: true}
	if f.Limit < 0 {
		return f
	}
	if f.Remaining < 0 {
		// A new day before its first response: Knack reset the quota at
		// midnight, and this is what the service spent since.
		f.Remaining = max(0, f.Limit-f.Requests)
	}
	f.Reserve = int64(math.Ceil(float64(f.Limit) * share))
	f.HintBudget = max(0, f.Limit-f.Reserve-max(need, 0))
	f.HintsAllowed = f.HintRequests+inflight < f.HintBudget && f.Remaining-inflight > f.Reserve+max(need, 0)
	return f
}

// sweepNeed is the requests a sweep of pages is budgeted: a tenth on top.
func sweepNeed(pages int64) int64 { return pages + (pages+9)/10 }

// Allow implements knack.Meter: hint requests within the hint budget, any
// request above the reserve.
func (b *Budget) Allow(ctx context.Context, a knack.Attempt) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refreshLocked(ctx, false)
	f := figures(b.day, b.opts.Reserve, b.need, b.inflight)
	if f.Limit < 0 {
		return nil
	}
	if a.Purpose == knack.PurposeHints {
		if !f.HintsAllowed {
			return fmt.Errorf("%w (%d of %d hint requests made; %d of %d left, %d reserved, %d kept for a sweep)",
				ErrHintBudgetSpent, f.HintRequests, f.HintBudget, f.Remaining, f.Limit, f.Reserve, f.SweepNeed)
		}
		b.inflight++
		return nil
	}
	if f.Remaining <= f.Reserve {
		return fmt.Errorf("%w (%d of %d left, %d reserved)", ErrQuotaReserve, f.Remaining, f.Limit, f.Reserve)
	}
	return nil
}

// Sent implements knack.Meter: the attempt is counted in the ledger with
// the quota its response reported. A failed write is kept and added to
// the next one.
func (b *Budget) Sent(ctx context.Context, a knack.Attempt) {
	now := b.opts.Now()
	limit, remaining, _ := a.PlanLimits()
	key := spendKey{day: now.UTC().Truncate(24 * time.Hour), object: a.Object, purpose: a.Purpose}
	b.mu.Lock()
	n := 1 + b.unsaved[key]
	delete(b.unsaved, key)
	q := b.day
	if limit >= 0 {
		q.PlanLimit = limit
	}
	f := figures(q, b.opts.Reserve, b.need, 0)
	b.mu.Unlock()

	sp := store.Spend{Day: now, Object: a.Object, Purpose: a.Purpose, Requests: n, PlanLimit: limit, Remaining: remaining,
		SeenAt: now, Reserve: f.Reserve, SweepNeed: f.SweepNeed, HintBudget: f.HintBudget}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	day, err := b.store.RecordSpend(wctx, sp)
	cancel()

	b.mu.Lock()
	defer b.mu.Unlock()
	if a.Purpose == knack.PurposeHints && b.inflight > 0 {
		b.inflight--
	}
	if err != nil {
		b.unsaved[key] += n
		// Count it here meanwhile, so that the budget holds.
		b.day.Requests += n
		if a.Purpose == knack.PurposeHints {
			b.day.HintRequests += n
		}
		b.opts.Logger.WarnContext(ctx, "knack request not counted yet", slog.String("error", err.Error()))
		return
	}
	b.merge(day)
}

// merge takes a newer reading of the day; readings that return out of
// order never make the counts go back.
func (b *Budget) merge(q store.QuotaDay) {
	switch {
	case q.Day.Before(b.day.Day):
		return
	case q.Day.After(b.day.Day):
		b.day, b.loadedAt = q, b.opts.Now()
		return
	}
	q.Requests = max(q.Requests, b.day.Requests)
	q.HintRequests = max(q.HintRequests, b.day.HintRequests)
	if b.day.Remaining >= 0 && (q.Remaining < 0 || b.day.Remaining < q.Remaining) {
		q.Remaining = b.day.Remaining
	}
	b.day = q
	b.loadedAt = b.opts.Now()
}

// refreshLocked reloads the day from the store when it is stale (or
// always, with force), and the sweep's estimate every few minutes. Errors
// keep the last figures.
func (b *Budget) refreshLocked(ctx context.Context, force bool) {
	now := b.opts.Now()
	today := now.UTC().Truncate(24 * time.Hour)
	if force || b.need < 0 || now.Sub(b.needAt) >= estimateEvery || now.Before(b.needAt) {
		pages, err := b.store.SweepPages(ctx, b.opts.Objects)
		if err != nil {
			b.warn(ctx, "sweep estimate", err)
		} else {
			b.need, b.needAt = sweepNeed(pages), now
		}
	}
	if !force && b.day.Day.Equal(today) && now.Sub(b.loadedAt) < reloadEvery && !now.Before(b.loadedAt) {
		return
	}
	q, err := b.store.QuotaDay(ctx, now)
	if err != nil {
		b.warn(ctx, "knack quota", err)
		return
	}
	b.merge(q)
	b.loadedAt = now
}

// warn logs a failed read; the last figures stand. A cancelled caller is
// no failure.
func (b *Budget) warn(ctx context.Context, what string, err error) {
	if ctx.Err() == nil {
		b.opts.Logger.WarnContext(ctx, what, slog.String("error", err.Error()))
	}
}

// Figures returns the budget as last known, without reading the store
// (metrics).
func (b *Budget) Figures() Figures {
	b.mu.Lock()
	defer b.mu.Unlock()
	return figures(b.day, b.opts.Reserve, b.need, b.inflight)
}

// Check returns the budget as it stands now.
func (b *Budget) Check(ctx context.Context) Figures {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refreshLocked(ctx, false)
	return figures(b.day, b.opts.Reserve, b.need, b.inflight)
}

// SweepAllowed returns nil when the remaining quota above the reserve
// covers a full sweep, else an ErrSweepBudget that says by how much not.
func (b *Budget) SweepAllowed(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refreshLocked(ctx, true)
	f := figures(b.day, b.opts.Reserve, b.need, b.inflight)
	if f.Limit < 0 || f.Remaining-f.Reserve >= f.SweepNeed {
		return nil
	}
	return fmt.Errorf("%w: it needs about %d requests and %d are left above the reserve (%d of the daily %d left, %d reserved for the live app); it starts again once Knack's quota resets at 00:00 UTC",
		ErrSweepBudget, f.SweepNeed, max(0, f.Remaining-f.Reserve), f.Remaining, f.Limit, f.Reserve)
}

// HintsStopped records that hints stopped for want of budget, and warns
// the operators once a day (across instances).
func (b *Budget) HintsStopped(ctx context.Context, object string, cause error) {
	first, err := b.store.HintsStopped(ctx, b.opts.Now())
	if err != nil {
		b.opts.Logger.WarnContext(ctx, "hints stopped", slog.String("error", err.Error()))
		return
	}
	if !first {
		return
	}
	b.opts.Logger.WarnContext(ctx, "Knack hint budget spent: hints wait for the nightly sweep",
		slog.String("object", object), slog.String("detail", cause.Error()))
	if b.opts.Warner != nil {
		b.opts.Warner.CaptureWarning(ctx, "Knack hint budget spent for today: hints wait for the nightly sweep", map[string]string{"object": object})
	}
}

// Metrics is the budget for the Prometheus collector.
func (b *Budget) Metrics() metrics.Budget {
	f := b.Figures()
	return metrics.Budget{Known: f.Limit >= 0, HintBudget: f.HintBudget, HintRequests: f.HintRequests, Reserve: f.Reserve, HintsWaiting: !f.HintsAllowed}
}
