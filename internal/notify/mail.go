package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"knacksync/internal/store"
)

// Mailer sends the sweep report by SMTP (SMTP_URL, REPORT_FROM,
// REPORT_TO). A Mailer made without an SMTP URL is disabled, as is a nil
// *Mailer: Report does nothing.
type Mailer struct {
	addr        string // host:port
	host        string
	implicitTLS bool   // smtps://
	user, pass  string // empty user: no AUTH
	from        *mail.Address
	to          []*mail.Address
	logger      *slog.Logger
	scrub       scrubber
	now         func() time.Time
	timeout     time.Duration
	// rootCAs verifies the server's certificate; nil means the system's.
	rootCAs *x509.CertPool
}

// NewMailer parses smtpURL (smtp://user:pass@host:port with STARTTLS when
// the server offers it, port 587 by default; smtps://... with TLS from the
// start, port 465 by default), the From address and a comma-separated list
// of To addresses. An empty smtpURL gives a disabled Mailer and no error.
// Errors never quote the URL: it holds a password.
func NewMailer(smtpURL, from, to string, logger *slog.Logger) (*Mailer, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := &Mailer{logger: logger, now: time.Now, timeout: time.Minute}
	if smtpURL == "" {
		return m, nil
	}
	u, err := url.Parse(smtpURL)
	if err != nil {
		return nil, errors.New("SMTP_URL: not a URL like smtp://user:pass@host:port")
	}
	port := ""
	switch u.Scheme {
	case "smtp":
		port = "587"
	case "smtps":
		port, m.implicitTLS = "465", true
	default:
		return nil, fmt.Errorf("SMTP_URL: scheme %q is neither smtp nor smtps", u.Scheme)
	}
	m.host = u.Hostname()
	if m.host == "" {
		return nil, errors.New("SMTP_URL: no host")
	}
	if p := u.Port(); p != "" {
		port = p
	}
	m.addr = net.JoinHostPort(m.host, port)
	if u.User != nil {
		m.user = u.User.Username()
		m.pass, _ = u.User.Password()
	}
	if m.from, err = mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("REPORT_FROM: %w", err)
	}
	if m.to, err = mail.ParseAddressList(to); err != nil {
		return nil, fmt.Errorf("REPORT_TO: %w", err)
	}
	// Scrub the SMTP password too, should a server echo it in an error.
	m.scrub = newScrubber([]string{m.pass})
	return m, nil
}

// Enabled reports whether reports are sent.
func (m *Mailer) Enabled() bool { return m != nil && m.addr != "" }

// Report mails the report of one run: built from run's own figures, runErr
// and extra, never from an earlier report. run may be nil when the sweep
// failed before it recorded a run.
func (m *Mailer) Report(ctx context.Context, run *store.Run, runErr error, extra ReportExtra) error {
	if !m.Enabled() {
		return nil
	}
	subject, body := composeReport(ctx, run, runErr, extra, m.scrub)
	msg, err := m.message(subject, body, run)
	if err != nil {
		return err
	}
	if err := m.send(ctx, msg); err != nil {
		return fmt.Errorf("mail report to %s: %s", m.addr, m.scrub.String(err.Error()))
	}
	return nil
}

// message renders the RFC 5322 message: text/plain, quoted-printable.
func (m *Mailer) message(subject, body string, run *store.Run) ([]byte, error) {
	to := make([]string, len(m.to))
	for i, a := range m.to {
		to[i] = a.String()
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	domain := "knacksync"
	if _, d, ok := strings.Cut(m.from.Address, "@"); ok {
		domain = d
	}
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", m.from.String())
	header("To", strings.Join(to, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", oneLine(subject)))
	header("Date", m.now().Format(time.RFC1123Z))
	header("Message-ID", fmt.Sprintf("<knacksync.%s@%s>", hex.EncodeToString(id[:]), domain))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	// RFC 3834: no auto-replies (out of office) to a machine's report.
	header("Auto-Submitted", "auto-generated")
	if run != nil {
		header("X-Knacksync-Run", fmt.Sprint(run.ID))
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// send delivers msg in one SMTP session bounded by ctx and m.timeout.
func (m *Mailer) send(ctx context.Context, msg []byte) error {
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.addr)
	if err != nil {
		return err
	}
	// Closing the connection unblocks whatever the client waits for.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	tlsConfig := &tls.Config{ServerName: m.host, RootCAs: m.rootCAs, MinVersion: tls.VersionTLS12}
	if m.implicitTLS {
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return err
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if err := c.Hello(heloName()); err != nil {
		return err
	}
	if !m.implicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConfig); err != nil {
				return err
			}
		}
	}
	if m.user != "" {
		// Both refuse to send the password over a connection without TLS,
		// except to a server on this machine.
		var auth smtp.Auth = smtp.PlainAuth("", m.user, m.pass, m.host)
		if ok, mechs := c.Extension("AUTH"); ok && !slices.Contains(strings.Fields(strings.ToUpper(mechs)), "PLAIN") &&
			slices.Contains(strings.Fields(strings.ToUpper(mechs)), "LOGIN") {
			auth = &loginAuth{user: m.user, pass: m.pass, host: m.host}
		}
		if err := c.Auth(auth); err != nil {
			return err
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return err
	}
	for _, a := range m.to {
		if err := c.Rcpt(a.Address); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// loginAuth is the LOGIN mechanism, for servers that offer no PLAIN (some
// Microsoft 365 setups). Like smtp.PlainAuth it refuses to send the
// password in the clear to another machine.
type loginAuth struct{ user, pass, host string }

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !isLoopback(server.Name) {
		return "", nil, errors.New("unencrypted connection")
	}
	if server.Name != a.host {
		return "", nil, errors.New("wrong host name")
	}
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(string(fromServer))) {
	case "username:", "user name", "username":
		return []byte(a.user), nil
	case "password:", "password":
		return []byte(a.pass), nil
	}
	return nil, fmt.Errorf("unexpected LOGIN challenge %q", fromServer)
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// heloName is this machine's name for EHLO; some servers reject
// "localhost" from a remote client.
func heloName() string {
	if h, err := os.Hostname(); err == nil && h != "" && !strings.ContainsAny(h, " \r\n") {
		return h
	}
	return "localhost"
}

// oneLine flattens text for a header.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
