package syncer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"knacksync/internal/knack"
)

// confirmGone asks Knack for each id (rule 11: a record loses its rows only
// on a 404): those answered are alive, the others gone. fetched is when the
// requests started, the evidence's time in the mirror.
func (s *Syncer) confirmGone(ctx context.Context, o object, ids []string) (alive []knack.Record, gone []string, fetched time.Time, err error) {
	fetched = s.now()
	for _, id := range ids {
		rec, err := s.knack.Get(ctx, o.Key, id)
		switch {
		case errors.Is(err, knack.ErrNotFound):
			gone = append(gone, id)
		case err != nil:
			return nil, nil, fetched, fmt.Errorf("confirm delete %s/%s: %w", o.Key, id, err)
		default:
			alive = append(alive, rec)
		}
	}
	return alive, gone, fetched, nil
}
