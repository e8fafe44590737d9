// Package notify tells people what the service did and what went wrong:
// errors from handlers and jobs to Sentry, a Sentry cron monitor around
// every full sweep (so that a sweep that fails or never starts alerts), and
// an e-mail report after each sweep built from that run's own figures.
//
// Nothing leaves through here with a student's e-mail address or a secret
// in it: Sentry events pass a scrubber (BeforeSend), and the mail carries
// counts only.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/getsentry/sentry-go"
)

// Sentry reports errors and cron check-ins to Sentry. Its client and hub
// are its own (the SDK's global hub is never used), so that tests run in
// parallel and nothing else in the process reports by accident.
//
// A Sentry made without a DSN is disabled: every method does nothing. A nil
// *Sentry is disabled too.
type Sentry struct {
	hub     *sentry.Hub
	logger  *slog.Logger
	scrub   scrubber
	now     func() time.Time
	monitor monitor
}

// SentryOption tunes NewSentry.
type SentryOption func(*sentryOptions)

type sentryOptions struct {
	secrets []string
	cron    string
	now     func() time.Time
}

// WithSecrets adds literal secret values (the Knack API key, the webhook
// secret, the admin password, database and SMTP passwords) that are
// replaced wherever they appear in an event.
func WithSecrets(secrets ...string) SentryOption {
	return func(o *sentryOptions) { o.secrets = append(o.secrets, secrets...) }
}

// URLSecrets returns the secrets inside URLs (DATABASE_URL, SMTP_URL): the
// password, or the user when there is no password (a Sentry DSN's key), for
// WithSecrets. Unparseable or credential-free URLs give nothing.
func URLSecrets(urls ...string) []string {
	var out []string
	for _, s := range urls {
		u, err := url.Parse(s)
		if err != nil || u.User == nil {
			continue
		}
		if p, ok := u.User.Password(); ok {
			out = append(out, p)
		} else if name := u.User.Username(); name != "" {
			out = append(out, name)
		}
	}
	return out
}

// WithCron sets the nightly schedule (SYNC_CRON, UTC) the cron monitor is
// configured with. Without it, check-ins carry no monitor configuration and
// the monitor must be set up in Sentry by hand.
func WithCron(expr string) SentryOption {
	return func(o *sentryOptions) { o.cron = expr }
}

// WithClock sets the clock used for check-in durations.
func WithClock(now func() time.Time) SentryOption {
	return func(o *sentryOptions) { o.now = now }
}

// Monitor defaults. The sweep job's own timeout is three hours
// (worker.SweepTimeout); a runtime past it means the job was cut off.
const (
	DefaultMonitorSlug   = "knacksync-nightly-sweep"
	DefaultCheckInMargin = 30 * time.Minute
	DefaultMaxRuntime    = 200 * time.Minute
)

// NewSentry returns a Sentry reporting to dsn under environment env. An
// empty dsn gives a disabled Sentry and no error.
func NewSentry(dsn, env string, logger *slog.Logger, opts ...SentryOption) (*Sentry, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	o := sentryOptions{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Sentry{logger: logger, scrub: newScrubber(o.secrets), now: o.now}
	s.monitor = monitor{slug: DefaultMonitorSlug, config: monitorConfig(o.cron)}
	if dsn == "" {
		return s, nil
	}
	client, err := sentry.NewClient(sentry.ClientOptions{
		// Both set explicitly: the SDK would otherwise read SENTRY_DSN,
		// SENTRY_ENVIRONMENT and SENTRY_RELEASE from the environment, or
		// run git.
		Dsn:         dsn,
		Environment: env,
		Release:     defaultRelease(),
		// Collect nothing automatically: no user, cookies, bodies or query
		// strings, whatever integration might attach them later.
		DataCollection: &sentry.DataCollection{
			UserInfo:    sentry.Set(false),
			Cookies:     &sentry.KeyValueCollectionBehavior{Mode: sentry.CollectionOff},
			QueryParams: &sentry.KeyValueCollectionBehavior{Mode: sentry.CollectionOff},
			HTTPBodies:  []sentry.BodyType{},
			HTTPHeaders: &sentry.HeaderCollectionConfig{
				Request:  &sentry.KeyValueCollectionBehavior{Mode: sentry.CollectionAllowList, Terms: keptHeaders},
				Response: &sentry.KeyValueCollectionBehavior{Mode: sentry.CollectionAllowList, Terms: keptHeaders},
			},
		},
		BeforeSend:            s.beforeSend,
		BeforeSendTransaction: s.beforeSend,
		BeforeBreadcrumb: func(b *sentry.Breadcrumb, _ *sentry.BreadcrumbHint) *sentry.Breadcrumb {
			s.scrubBreadcrumb(b)
			return b
		},
	})
	if err != nil {
		// The DSN itself is a secret: say what is wrong, not what it is.
		return nil, errors.New("sentry: invalid SENTRY_DSN")
	}
	s.hub = sentry.NewHub(client, sentry.NewScope())
	return s, nil
}

// Enabled reports whether events are sent anywhere.
func (s *Sentry) Enabled() bool { return s != nil && s.hub != nil }

// Flush waits up to timeout for queued events to be sent. Call it on
// shutdown, after the HTTP server and River have stopped.
func (s *Sentry) Flush(timeout time.Duration) bool {
	if !s.Enabled() {
		return true
	}
	return s.hub.Flush(timeout)
}

// Close flushes (up to timeout) and releases the transport.
func (s *Sentry) Close(timeout time.Duration) {
	if !s.Enabled() {
		return
	}
	s.hub.Flush(timeout)
	s.hub.Client().Close()
}

// CaptureError reports err from an HTTP handler (or anything else that is
// not a River job), with tags such as the route and method. A nil error and
// a cancelled request are not reported.
func (s *Sentry) CaptureError(ctx context.Context, err error, tags map[string]string) {
	if !s.Enabled() || err == nil || errors.Is(err, context.Canceled) {
		return
	}
	hub := s.hub.Clone()
	hub.WithScope(func(scope *sentry.Scope) {
		scope.SetTags(tags)
		scope.SetFingerprint(s.fingerprint("error", err))
		hub.CaptureException(err)
	})
}

// beforeSend scrubs every event on its way out: requests lose bodies,
// cookies, query strings and all but harmless headers; every string that
// could carry a message loses e-mail addresses and secrets; the user is
// dropped. It runs in the SDK, after scopes were applied.
func (s *Sentry) beforeSend(event *sentry.Event, _ *sentry.EventHint) *sentry.Event {
	if event == nil {
		return nil
	}
	sc := s.scrub
	event.Message = sc.String(event.Message)
	event.Transaction = sc.String(event.Transaction)
	event.Logger = sc.String(event.Logger)
	event.User = sentry.User{}
	// Slices, maps and the request may be the scope's: write copies.
	fp := make([]string, len(event.Fingerprint))
	for i, f := range event.Fingerprint {
		fp[i] = sc.String(f)
	}
	event.Fingerprint = fp
	for k, v := range event.Tags {
		event.Tags[k] = sc.String(v)
	}
	for k, c := range event.Contexts {
		event.Contexts[k] = sc.Map(c)
	}
	crumbs := make([]*sentry.Breadcrumb, 0, len(event.Breadcrumbs))
	for _, b := range event.Breadcrumbs {
		if b != nil {
			c := *b
			s.scrubBreadcrumb(&c)
			crumbs = append(crumbs, &c)
		}
	}
	event.Breadcrumbs = crumbs
	for i := range event.Exception {
		e := &event.Exception[i]
		e.Value = sc.String(e.Value)
		e.Type = sc.String(e.Type)
		if e.Mechanism != nil && e.Mechanism.Data != nil {
			m := *e.Mechanism
			m.Data = sc.Map(m.Data)
			e.Mechanism = &m
		}
		scrubStack(e.Stacktrace)
	}
	for i := range event.Threads {
		scrubStack(event.Threads[i].Stacktrace)
	}
	if event.Request != nil {
		r := *event.Request
		event.Request = &r
		r.Data, r.Cookies, r.QueryString, r.Env = "", "", "", nil
		if u, _, found := strings.Cut(r.URL, "?"); found {
			r.URL = u
		}
		r.URL = sc.String(r.URL)
		headers := map[string]string{}
		for k, v := range r.Headers {
			if keepHeader(k) {
				headers[k] = sc.String(v)
			}
		}
		r.Headers = headers
	}
	return event
}

func (s *Sentry) scrubBreadcrumb(b *sentry.Breadcrumb) {
	if b == nil {
		return
	}
	b.Message = s.scrub.String(b.Message)
	b.Data = s.scrub.Map(b.Data)
}

// scrubStack drops local variables, should an integration ever add them.
func scrubStack(st *sentry.Stacktrace) {
	if st == nil {
		return
	}
	for i := range st.Frames {
		st.Frames[i].Vars = nil
	}
}

// keptHeaders are the request headers an event may keep. Everything else
// (Authorization, Cookie, X-Webhook-Secret, X-Webhook-Signature, client IPs)
// is dropped.
var keptHeaders = []string{"Content-Type", "Content-Length", "User-Agent", "Accept", "X-Request-Id", "Fly-Request-Id"}

func keepHeader(name string) bool {
	for _, h := range keptHeaders {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

var (
	digitsRE = regexp.MustCompile(`[0-9]+`)
	hexIDRE  = regexp.MustCompile(`(?i)\b[0-9a-f]{24}\b`)
)

// fingerprint groups events by the root cause's type and message with ids
// and numbers taken out. Sentry's default groups by stack trace, and every
// event here is captured from the same place (an error handler), which
// would put all errors in one issue.
func (s *Sentry) fingerprint(prefix string, err error, parts ...string) []string {
	root := err
	for {
		next := errors.Unwrap(root)
		if next == nil {
			break
		}
		root = next
	}
	// Scrubbed first: taking digits out would hide "%40" from the scrubber.
	msg := hexIDRE.ReplaceAllString(s.scrub.String(root.Error()), "<id>")
	msg = digitsRE.ReplaceAllString(msg, "<n>")
	msg = truncate(msg, 200)
	return append(append([]string{prefix}, parts...), fmt.Sprintf("%T", root), msg)
}

func defaultRelease() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "knacksync@devel"
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && s.Value != "" {
			return "knacksync@" + s.Value
		}
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return "knacksync@" + v
	}
	return "knacksync@devel"
}
