package worker

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"knacksync/internal/knack"
)

// outcome turns a sync error into River's outcome, the one place where
// Knack's error kinds meet the queue: rate limited → snooze; daily quota
// exhausted → snooze until it resets; other 4xx → cancel with the reason;
// 5xx, timeouts and database errors → an ordinary retry.
func outcome(err error, now time.Time) error {
	var quota *knack.QuotaError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &quota):
		wait := quota.Reset.Sub(now)
		if wait <= 0 {
			wait = time.Hour
		}
		return river.JobSnooze(wait + time.Minute)
	case errors.Is(err, knack.ErrQuotaExhausted):
		return river.JobSnooze(time.Hour)
	case errors.Is(err, ErrQuotaReserve):
		// The live app spent the quota down to the reserve: wait for
		// Knack's reset at 00:00 UTC.
		y, m, d := now.UTC().Date()
		return river.JobSnooze(time.Date(y, m, d+1, 0, 1, 0, 0, time.UTC).Sub(now))
	case errors.Is(err, knack.ErrRateLimited):
		return river.JobSnooze(5 * time.Second)
	case errors.Is(err, knack.ErrUnauthorized), errors.Is(err, knack.ErrBadRequest):
		return river.JobCancel(err)
	case errors.Is(err, context.Canceled):
		return err
	}
	return err
}
