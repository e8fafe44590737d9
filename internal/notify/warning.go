package notify

import (
	"context"

	"github.com/getsentry/sentry-go"
)

// CaptureWarning sends msg to Sentry at warning level with tags, grouped by
// the message: something the operators should know of that is not an
// error (the day's Knack hint budget spent, say). msg must hold no
// personal data; it is scrubbed all the same.
func (s *Sentry) CaptureWarning(ctx context.Context, msg string, tags map[string]string) {
	if !s.Enabled() {
		return
	}
	hub := s.hub.Clone()
	hub.WithScope(func(scope *sentry.Scope) {
		scope.SetLevel(sentry.LevelWarning)
		scope.SetTags(tags)
		scope.SetFingerprint([]string{"warning", msg})
		hub.CaptureMessage(msg)
	})
}
