package metrics

import "slices"

// Reasons a webhook request is refused (HintRejected's argument).
const (
	RejectUnauthorized     = "unauthorized"      // 401
	RejectBadRequest       = "bad_request"       // 400
	RejectTooLarge         = "too_large"         // 413
	RejectUnsupportedMedia = "unsupported_media" // 415
)

// rejectReasons are the reasons counted under their own label.
func rejectReasons() []string {
	return []string{RejectUnauthorized, RejectBadRequest, RejectTooLarge, RejectUnsupportedMedia}
}

// HintAccepted records n webhook hints accepted for object.
func (m *Metrics) HintAccepted(object string, n int) {
	if m == nil || n <= 0 {
		return
	}
	// The webhook accepts allow-listed objects only; the check keeps the
	// label set closed should a caller pass anything else.
	if len(m.objects) > 0 && !m.objects[object] {
		object = "other"
	}
	m.hintsReceived.WithLabelValues(object).Add(float64(n))
}

// HintRejected records a refused webhook request; reason is one of the
// Reject constants, anything else counts as "other".
func (m *Metrics) HintRejected(reason string) {
	if m == nil {
		return
	}
	if !slices.Contains(rejectReasons(), reason) {
		reason = "other"
	}
	m.hintsRejected.WithLabelValues(reason).Inc()
}
