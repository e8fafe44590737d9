package notify

import (
	"context"
	"testing"
)

// A warning reaches Sentry at warning level with its tags, scrubbed.
func TestSentryCaptureWarning(t *testing.T) {
	t.Parallel()
	s, srv := newTestSentry(t)
	s.CaptureWarning(context.Background(), "Knack hint budget spent for today (ops@example.org)", map[string]string{"object": "object_10"})

	events := srv.waitItems(t, s, "event", 1)
	assertClean(t, srv.Raw())
	ev := events[0].JSON(t)
	tags, _ := ev["tags"].(map[string]any)
	if ev["level"] != "warning" || tags["object"] != "object_10" {
		t.Errorf("event level %v, tags %v; want warning with object_10", ev["level"], tags)
	}
	if ev["message"] != "Knack hint budget spent for today ("+EmailMask+")" {
		t.Errorf("message %v, want it with the e-mail masked", ev["message"])
	}
}
