package notify

import (
	"regexp"
	"slices"
	"strings"
)

// EmailMask replaces every e-mail address that leaves the service in an
// error report or a mail body.
const EmailMask = "[email]"

// secretMask replaces a secret value.
const secretMask = "[redacted]"

var (
	// URL credentials: postgres://user:pass@host, https://key@o1.ingest.sentry.io
	// (a Sentry DSN), smtp://user:pass@host.
	userinfoRE = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/?#@"'<>]+@`)
	// A URL's query string: Knack filters can hold a student's e-mail, and
	// Go's *url.Error quotes the whole URL.
	queryRE = regexp.MustCompile(`(?i)\b(https?://[^\s?#"'<>]+)\?[^\s"'<>]*`)
	// key=value and "key": "value" pairs whose key names a secret:
	// api_key=, KNACK_API_KEY=, X-Knack-REST-API-Key:, password=,
	// X-Webhook-Secret:, X-Webhook-Signature:, sentry_key=, token=, dsn=.
	// A value runs to a space, quote, & or ;, and over commas inside it
	// (a signature "t=1,v1=hex").
	keyValueRE = regexp.MustCompile(`(?i)\b([\w\-]*(?:key|secret|passwd|password|pwd|token|signature|dsn|credentials?)["']?\s*[:=]\s*["']?)([^\s"'&,;<>]+(?:,[^\s"'&,;<>]+)*)`)
	// Authorization header values.
	bearerRE = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[a-z0-9._~+/\-]+=*`)
	// E-mail addresses, also URL-encoded (%40) and as HTML entities, in any
	// case (Knack's email fields arrive as HTML and in mixed case).
	emailRE = regexp.MustCompile(`(?i)[a-z0-9._%+\-']+(?:@|%40|&#0*64;|&#x0*40;)[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}`)
)

// scrubber removes personal data and secrets from text bound for Sentry or
// a mail. Besides the patterns above it replaces the literal values of the
// service's own secrets, wherever they appear.
type scrubber struct {
	secrets []string
}

func newScrubber(secrets []string) scrubber {
	var s scrubber
	for _, v := range secrets {
		// A very short value would mask ordinary words; such a secret is
		// rejected by config in production anyway.
		if len(strings.TrimSpace(v)) >= 6 {
			s.secrets = append(s.secrets, v)
		}
	}
	// Longest first, so that a secret containing another is masked whole.
	slices.SortFunc(s.secrets, func(a, b string) int { return len(b) - len(a) })
	return s
}

// String scrubs one string.
func (s scrubber) String(text string) string {
	if text == "" {
		return text
	}
	for _, v := range s.secrets {
		text = strings.ReplaceAll(text, v, secretMask)
	}
	text = userinfoRE.ReplaceAllString(text, "${1}"+secretMask+"@")
	text = queryRE.ReplaceAllString(text, "${1}?[query]")
	text = keyValueRE.ReplaceAllString(text, "${1}"+secretMask)
	text = bearerRE.ReplaceAllString(text, "${1} "+secretMask)
	return emailRE.ReplaceAllString(text, EmailMask)
}

// Value returns a copy of v with the strings inside it scrubbed (maps,
// slices and strings, as found in Sentry contexts and breadcrumb data). It
// copies rather than edits: the SDK shares those maps with scopes that other
// goroutines read. Values of other types are returned as they are: the
// service puts none there that could hold personal data.
func (s scrubber) Value(v any) any {
	switch x := v.(type) {
	case string:
		return s.String(x)
	case error:
		return s.String(x.Error())
	case []string:
		out := make([]string, len(x))
		for i := range x {
			out[i] = s.String(x[i])
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = s.Value(x[i])
		}
		return out
	case map[string]any:
		return s.Map(x)
	case map[string]string:
		out := make(map[string]string, len(x))
		for k, e := range x {
			out[k] = s.String(e)
		}
		return out
	}
	return v
}

// Map is Value for a map[string]any.
func (s scrubber) Map(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		out[k] = s.Value(e)
	}
	return out
}
