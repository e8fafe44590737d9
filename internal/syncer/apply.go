package syncer

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"knacksync/internal/knack"
	"knacksync/internal/store"
	"knacksync/internal/vespa"
)

// Applied is what one batch did.
type Applied struct {
	Seen    int // records fetched
	Changed int // records projected (new, changed or marked for projection)
	Deleted int // records confirmed deleted
	Result  store.Result
}

func (a *Applied) add(o Applied) {
	a.Seen += o.Seen
	a.Changed += o.Changed
	a.Deleted += o.Deleted
	a.Result.Merge(o.Result)
}

// applyFetched writes fetched records and confirmed deletions of one object
// through the whole pipeline (mirror → projection → merge) inside the
// caller's transaction, for records (and deletions) from requests made at
// fetched.
func (s *Syncer) applyFetched(ctx context.Context, tx pgx.Tx, runID int64, o object, recs []knack.Record, deleted []string, fetched time.Time) (Applied, error) {
	now := s.now()
	out := Applied{Seen: len(recs), Deleted: len(deleted)}
	if err := s.lockDeps(ctx, tx, o); err != nil {
		return out, err
	}
	var fresh []store.Fresh
	byID := make(map[string]knack.Record, len(recs))
	if len(recs) > 0 {
		mirror := make([]store.MirrorRecord, len(recs))
		for i, r := range recs {
			data := []byte(r.JSON)
			if data == nil {
				var err error
				if data, err = json.Marshal(r); err != nil {
					return out, fmt.Errorf("encode %s/%s: %w", o.Key, r.ID, err)
				}
			}
			if safe := mirrorSafe(data); len(safe) != len(data) {
				// Project what the mirror keeps, so that re-projecting
				// the mirror later gives the same rows.
				data = safe
				if err := json.Unmarshal(data, &r); err != nil {
					return out, fmt.Errorf("decode %s/%s: %w", o.Key, r.ID, err)
				}
			}
			byID[r.ID] = r
			sum := sha256.Sum256(data)
			mirror[i] = store.MirrorRecord{ID: r.ID, Data: data, Hash: sum[:]}
		}
		var err error
		if fresh, err = s.store.UpsertMirror(ctx, tx, o.Key, mirror, now, fetched, repairing(ctx)); err != nil {
			return out, err
		}
	}
	if len(deleted) > 0 {
		var err error
		if deleted, err = s.store.MarkDeleted(ctx, tx, o.Key, deleted, now, fetched); err != nil {
			return out, err
		}
		out.Deleted = len(deleted)
	}
	if len(fresh) == 0 && len(deleted) == 0 {
		return out, nil
	}
	inputs := make([]input, len(fresh))
	for i, f := range fresh {
		inputs[i] = input{rec: byID[f.ID], firstSeen: f.FirstSeen, repair: f.Repair}
	}
	res, err := s.project(ctx, tx, runID, o, inputs, deleted)
	out.Changed = changed(fresh)
	out.Result = res
	return out, err
}

// project builds one batch from records (and deletions) and merges it.
func (s *Syncer) project(ctx context.Context, tx pgx.Tx, runID int64, o object, inputs []input, deleted []string) (store.Result, error) {
	lk, err := s.lookups(ctx, tx, o, inputs)
	if err != nil {
		return store.Result{}, err
	}
	b := newBuilder(o, runID, s.now())
	for _, in := range inputs {
		b.stage(o, in, vespa.Context{Establishments: lk.establishments, Accounts: lk.accounts, FirstSeen: in.firstSeen})
	}
	for _, id := range deleted {
		b.deleted(id)
	}
	if err := s.setRefs(ctx, tx, o, inputs, deleted); err != nil {
		return store.Result{}, err
	}
	return s.store.ApplyBatch(ctx, tx, b.done())
}

func (s *Syncer) lookups(ctx context.Context, tx pgx.Tx, o object, inputs []input) (lookups, error) {
	var lk lookups
	ests, err := s.store.Establishments(ctx, tx)
	if err != nil {
		return lk, err
	}
	lk.establishments = make(map[string]vespa.EstablishmentInfo, len(ests))
	for _, e := range ests {
		lk.establishments[e.KnackID] = vespa.EstablishmentInfo{Name: e.Name, IsAustralian: e.IsAustralian, UseStandardYear: e.UseStandardYear}
	}
	if o.Accounts != nil {
		var ids []string
		for _, in := range inputs {
			ids = append(ids, o.Accounts(in.rec)...)
		}
		if lk.accounts, err = s.store.Accounts(ctx, tx, ids); err != nil {
			return lk, err
		}
	}
	return lk, nil
}

// Reproject projects an object's mirrored records again without calling
// Knack: those waiting for it (marked by a change elsewhere), or all of them
// with force, so that a fixed mapping bug never needs another crawl.
func (s *Syncer) Reproject(ctx context.Context, runID int64, objectKey string, force bool) (Applied, error) {
	o, err := lookupObject(objectKey)
	if err != nil {
		return Applied{}, err
	}
	var total Applied
	after := ""
	for {
		pending, err := s.store.Pending(ctx, o.Key, after, s.cfg.BatchSize, force)
		if err != nil || len(pending) == 0 {
			return total, err
		}
		after = pending[len(pending)-1].ID
		inputs := make([]input, len(pending))
		for i, p := range pending {
			if err := json.Unmarshal(p.Data, &inputs[i].rec); err != nil {
				return total, fmt.Errorf("decode mirrored %s/%s: %w", o.Key, p.ID, err)
			}
			inputs[i].firstSeen = p.FirstSeen
		}
		// Records marked by a change elsewhere count as changed; a forced
		// re-projection (`sync --reproject`) only saw them: Knack did not
		// change them, and the tables say what their rows did.
		a, err := step{runID: runID, o: o, apply: func(ctx context.Context, tx pgx.Tx) (Applied, error) {
			a := Applied{Seen: len(inputs)}
			if !force {
				a.Changed = len(inputs)
			}
			if err := s.lockDeps(ctx, tx, o); err != nil {
				return a, err
			}
			var err error
			a.Result, err = s.project(ctx, tx, runID, o, inputs, nil)
			return a, err
		}}.run(ctx, s)
		if err != nil {
			return total, err
		}
		total.add(a)
	}
}

// since is a helper for durations measured on the injected clock.
func (s *Syncer) since(t time.Time) time.Duration { return s.now().Sub(t) }

// ReprojectAll re-projects every mirrored record of objects (all when empty)
// in dependency order, as one run.
func (s *Syncer) ReprojectAll(ctx context.Context, objs []string) (*store.Run, error) {
	if len(objs) == 0 {
		objs = Objects()
	}
	for _, key := range objs {
		if _, err := lookupObject(key); err != nil {
			return nil, err
		}
	}
	runID, err := s.store.StartRun(ctx, store.KindReproject, objs, false, s.now())
	if err != nil {
		return nil, err
	}
	var runErr error
	for _, key := range Objects() {
		if !slices.Contains(objs, key) {
			continue
		}
		start := s.now()
		_, err := s.Reproject(ctx, runID, key, true)
		status, errText := "complete", ""
		if err != nil {
			status, errText, runErr = "failed", err.Error(), err
		}
		if err := s.store.ObjectDone(ctx, runID, key, status, errText, s.since(start), 0, nil); err != nil {
			return nil, err
		}
		if runErr != nil {
			break
		}
	}
	if runErr == nil {
		runErr = s.recomputeStats(ctx, runID, false)
	}
	status, errText := store.StatusSucceeded, ""
	if runErr != nil {
		status, errText = store.StatusFailed, runErr.Error()
	}
	run, err := s.closeRun(ctx, runID, status, errText)
	if err != nil {
		return nil, err
	}
	return run, runErr
}
