package notify

import (
	"context"
	"log/slog"
	"time"

	"knacksync/internal/store"
)

// ExtraLoader loads what the report shows besides the run (Loader).
type ExtraLoader interface {
	Load(ctx context.Context, run *store.Run) (ReportExtra, error)
}

// Observer is the worker.Observer the service runs sweeps with: a Sentry
// cron check-in around each sweep, and the e-mail report after it. Any of
// Sentry, Mailer and Loader may be nil (or disabled): that part is skipped.
type Observer struct {
	Sentry *Sentry
	Mailer *Mailer
	Loader ExtraLoader
	Logger *slog.Logger
	// MailTimeout bounds loading the extras and sending the mail
	// (default one minute).
	MailTimeout time.Duration
}

// NewObserver returns an Observer; pool-backed extras come from loader.
func NewObserver(s *Sentry, m *Mailer, loader ExtraLoader, logger *slog.Logger) *Observer {
	return &Observer{Sentry: s, Mailer: m, Loader: loader, Logger: logger}
}

// sweepToken is what SweepStarted hands the worker to pass back.
type sweepToken struct {
	reason  string
	checkIn any
}

// SweepStarted opens the cron check-in.
func (o *Observer) SweepStarted(ctx context.Context, reason string) any {
	if o.Logger != nil {
		o.Logger.InfoContext(ctx, "sweep started", slog.String("reason", reason))
	}
	return &sweepToken{reason: reason, checkIn: o.Sentry.SweepStarted(ctx, reason)}
}

// SweepFinished closes the check-in and mails the report of run. A sweep
// that was interrupted (the run resumes on the next start and reports then)
// or that did not start because another was running sends no mail. Errors
// are logged: the sweep's outcome does not depend on its report.
func (o *Observer) SweepFinished(ctx context.Context, token any, run *store.Run, err error) {
	tok, _ := token.(*sweepToken)
	if tok == nil {
		tok = &sweepToken{}
	}
	o.Sentry.SweepFinished(ctx, tok.checkIn, run, err)

	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	res := classify(ctx, run, err)
	if !o.Mailer.Enabled() || res == outcomeInterrupted || res == outcomeSkipped {
		return
	}
	// The report goes out even when the job's context is ending (a failed
	// sweep at shutdown), within its own time limit.
	timeout := o.MailTimeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	extra := ReportExtra{}
	if o.Loader != nil {
		var lerr error
		if extra, lerr = o.Loader.Load(mctx, run); lerr != nil {
			extra = ReportExtra{LoadError: lerr.Error()}
			logger.WarnContext(ctx, "report extras not loaded", slog.String("error", o.Mailer.scrub.String(lerr.Error())))
		}
	}
	extra.Reason = tok.reason
	if merr := o.Mailer.Report(mctx, run, err, extra); merr != nil {
		logger.ErrorContext(ctx, "sweep report not sent", slog.String("error", merr.Error()))
		return
	}
	attrs := []any{slog.Bool("failed", res == outcomeFailed)}
	if run != nil {
		attrs = append(attrs, slog.Int64("run", run.ID))
	}
	logger.InfoContext(ctx, "sweep report sent", attrs...)
}
