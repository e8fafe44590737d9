package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// MirrorRecord is a record as fetched, in canonical JSON, with its hash.
type MirrorRecord struct {
	ID   string
	Data []byte
	Hash []byte
}

// Fresh is a record that needs projecting, and when it was first seen.
// Repair: it is unchanged and already projected, and is projected again
// only to repair drift (rule 16).
type Fresh struct {
	ID        string
	FirstSeen time.Time
	Repair    bool
}

// UpsertMirror writes records fetched at fetched (when the request was
// made) to the raw mirror, and returns those whose current data has not
// been projected yet; with repair, also the unchanged ones already
// projected (marked Repair), which this transaction then holds locked.
// Unchanged records only get last_seen: their data is not sent again. A
// record that a later-made fetch already brought is left alone: an older
// answer never overwrites a newer.
func (s *Store) UpsertMirror(ctx context.Context, tx pgx.Tx, object string, recs []MirrorRecord, now, fetched time.Time, repair bool) ([]Fresh, error) {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	type known struct {
		hash        []byte
		projected   bool
		firstSeen   time.Time
		lastFetched time.Time
	}
	have := make(map[string]known, len(recs))
	rows, err := tx.Query(ctx, s.stmt("mirror", "known"), pgx.NamedArgs{"object": object, "ids": ids})
	if err != nil {
		return nil, fmt.Errorf("mirror %s: %w", object, err)
	}
	var id string
	var k known
	if _, err := pgx.ForEachRow(rows, []any{&id, &k.hash, &k.projected, &k.firstSeen, &k.lastFetched}, func() error {
		have[id] = known{hash: append([]byte(nil), k.hash...), projected: k.projected, firstSeen: k.firstSeen, lastFetched: k.lastFetched}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("mirror %s: %w", object, err)
	}

	var fresh []Fresh
	var same, projected []string
	var changed [][]any
	firstSeen := map[string]time.Time{}
	for _, r := range recs {
		k, ok := have[r.ID]
		switch {
		case !ok:
			changed = append(changed, []any{r.ID, string(r.Data), r.Hash})
			firstSeen[r.ID] = now
		case k.lastFetched.After(fetched):
			// A later fetch landed first: this answer is older news.
		case !bytes.Equal(k.hash, r.Hash):
			changed = append(changed, []any{r.ID, string(r.Data), r.Hash})
			firstSeen[r.ID] = k.firstSeen
		default:
			same = append(same, r.ID)
			if !k.projected {
				fresh = append(fresh, Fresh{ID: r.ID, FirstSeen: k.firstSeen})
			} else if repair {
				projected = append(projected, r.ID)
				firstSeen[r.ID] = k.firstSeen
			}
		}
	}
	args := pgx.NamedArgs{"object": object, "ids": same, "now": now, "fetched": fetched}
	if len(same) > 0 {
		rows, err := tx.Query(ctx, s.stmt("mirror", "touch"), args)
		if err != nil {
			return nil, fmt.Errorf("mirror %s: touch: %w", object, err)
		}
		touched, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("mirror %s: touch: %w", object, err)
		}
		if len(projected) > 0 {
			// Only the touched ones: one a later fetch brought meanwhile
			// is that fetch's to project.
			ok := make(map[string]bool, len(touched))
			for _, id := range touched {
				ok[id] = true
			}
			for _, id := range projected {
				if ok[id] {
					fresh = append(fresh, Fresh{ID: id, FirstSeen: firstSeen[id], Repair: true})
				}
			}
		}
	}
	if len(changed) == 0 {
		return fresh, nil
	}
	if _, err := tx.Exec(ctx, s.stmt("mirror", "stage")); err != nil {
		return nil, fmt.Errorf("mirror %s: stage: %w", object, err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"stg_records"}, []string{"record_id", "data", "hash"}, pgx.CopyFromRows(changed)); err != nil {
		return nil, fmt.Errorf("mirror %s: copy: %w", object, err)
	}
	written, err := tx.Query(ctx, s.stmt("mirror", "upsert"), args)
	if err != nil {
		return nil, fmt.Errorf("mirror %s: upsert: %w", object, err)
	}
	ids, err = pgx.CollectRows(written, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("mirror %s: upsert: %w", object, err)
	}
	// Only what was written is projected: a row a concurrent, later fetch
	// wrote first was skipped by the upsert.
	for _, id := range ids {
		fresh = append(fresh, Fresh{ID: id, FirstSeen: firstSeen[id]})
	}
	return fresh, nil
}

// Pending is a mirrored record read back for projection.
type Pending struct {
	ID        string
	Data      []byte
	FirstSeen time.Time
}

// Pending returns up to limit mirrored records of object after the id
// `after`, in id order, that wait for a projection (all live ones with force).
func (s *Store) Pending(ctx context.Context, object, after string, limit int, force bool) ([]Pending, error) {
	rows, err := s.pool.Query(ctx, s.stmt("mirror", "pending"),
		pgx.NamedArgs{"object": object, "after": after, "limit": limit, "force": force})
	if err != nil {
		return nil, fmt.Errorf("pending %s: %w", object, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Pending, error) {
		var p Pending
		err := r.Scan(&p.ID, &p.Data, &p.FirstSeen)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("pending %s: %w", object, err)
	}
	return out, nil
}

// MarkDeleted marks mirrored records confirmed gone by a fetch made at
// fetched, and returns those marked: a record a later fetch saw alive stays,
// and one the mirror never had has no rows to lose.
func (s *Store) MarkDeleted(ctx context.Context, tx pgx.Tx, object string, ids []string, now, fetched time.Time) ([]string, error) {
	rows, err := tx.Query(ctx, s.stmt("mirror", "mark_deleted"), pgx.NamedArgs{"object": object, "ids": ids, "now": now, "fetched": fetched})
	if err != nil {
		return nil, fmt.Errorf("mark deleted %s: %w", object, err)
	}
	marked, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("mark deleted %s: %w", object, err)
	}
	return marked, nil
}

// Missing returns the live mirrored records of object not seen since since.
func (s *Store) Missing(ctx context.Context, object string, since time.Time) ([]string, error) {
	rows, err := s.pool.Query(ctx, s.stmt("mirror", "missing"), pgx.NamedArgs{"object": object, "since": since})
	if err != nil {
		return nil, fmt.Errorf("missing %s: %w", object, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("missing %s: %w", object, err)
	}
	return ids, nil
}

// LiveCount is the number of mirrored records of object not deleted.
func (s *Store) LiveCount(ctx context.Context, object string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, s.stmt("mirror", "live_count"), pgx.NamedArgs{"object": object}).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", object, err)
	}
	return n, nil
}
