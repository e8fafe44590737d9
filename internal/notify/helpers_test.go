package notify

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// anyEmail finds an e-mail address in any form a leak would take.
var anyEmail = regexp.MustCompile(`(?i)[a-z0-9._%+\-']+(@|%40)[a-z0-9\-]+(\.[a-z0-9\-]+)*\.[a-z]{2,}`)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// sentryServer stands in for Sentry: it takes envelopes on
// /api/1/envelope/ and keeps them raw and parsed.
type sentryServer struct {
	srv   *httptest.Server
	mu    sync.Mutex
	raw   [][]byte
	items []envelopeItem
}

type envelopeItem struct {
	Type    string
	Header  map[string]any
	Payload []byte
}

func (it envelopeItem) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(it.Payload, &m); err != nil {
		t.Fatalf("%s item payload: %v\n%s", it.Type, err, it.Payload)
	}
	return m
}

func newSentryServer(t *testing.T) (*sentryServer, string) {
	t.Helper()
	s := &sentryServer{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/1/envelope/" {
			t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
			http.NotFound(w, r)
			return
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				t.Errorf("gzip: %v", err)
				return
			}
			body = zr
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Errorf("read envelope: %v", err)
			return
		}
		items, err := parseEnvelope(b)
		if err != nil {
			t.Errorf("parse envelope: %v\n%s", err, b)
		}
		s.mu.Lock()
		s.raw = append(s.raw, b)
		s.items = append(s.items, items...)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(s.srv.Close)
	u := strings.TrimPrefix(s.srv.URL, "http://")
	return s, "http://public@" + u + "/1"
}

// Items returns the items of type typ received so far.
func (s *sentryServer) Items(typ string) []envelopeItem {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []envelopeItem
	for _, it := range s.items {
		if it.Type == typ {
			out = append(out, it)
		}
	}
	return out
}

// Raw is everything received, concatenated.
func (s *sentryServer) Raw() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Join(s.raw, []byte("\n"))
}

// waitItems flushes sn and waits until n items of typ arrived.
func (s *sentryServer) waitItems(t *testing.T, sn *Sentry, typ string, n int) []envelopeItem {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		sn.Flush(2 * time.Second)
		items := s.Items(typ)
		if len(items) >= n {
			return items
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d %s items, want %d", len(items), typ, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// parseEnvelope splits a Sentry envelope: a header line, then items made of
// a header line and a payload (of the header's length, or up to the next
// newline).
func parseEnvelope(b []byte) ([]envelopeItem, error) {
	r := bufio.NewReader(bytes.NewReader(b))
	if _, err := r.ReadBytes('\n'); err != nil {
		return nil, errors.New("no envelope header")
	}
	var items []envelopeItem
	for {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) == 0 && err != nil {
			return items, nil
		}
		var h map[string]any
		if err := json.Unmarshal(line, &h); err != nil {
			return items, err
		}
		it := envelopeItem{Header: h}
		it.Type, _ = h["type"].(string)
		if l, ok := h["length"].(float64); ok {
			it.Payload = make([]byte, int(l))
			if _, err := io.ReadFull(r, it.Payload); err != nil {
				return items, err
			}
			_, _ = r.ReadByte() // the newline after a payload, if any
		} else {
			p, _ := r.ReadBytes('\n')
			it.Payload = bytes.TrimRight(p, "\n")
		}
		items = append(items, it)
	}
}

// selfSigned returns a TLS certificate for host and a pool trusting it.
func selfSigned(t *testing.T, host string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: host},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
		IPAddresses:           []net.IP{net.ParseIP(host)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// smtpSink is an SMTP server on loopback that keeps what it receives.
type smtpSink struct {
	addr string
	mu   sync.Mutex
	msgs []received
}

type received struct {
	From   string
	To     []string
	Data   []byte
	TLS    bool
	Authed string // the user that authenticated
}

type smtpSinkOptions struct {
	host           string // default 127.0.0.1
	user           string // non-empty: AUTH required
	pass           string
	mechs          []string // default PLAIN
	tls            *tls.Config
	implicit       bool // TLS from the start (smtps)
	noInsecureAuth bool
}

func newSMTPSink(t *testing.T, o smtpSinkOptions) *smtpSink {
	t.Helper()
	if o.host == "" {
		o.host = "127.0.0.1"
	}
	if len(o.mechs) == 0 {
		o.mechs = []string{sasl.Plain}
	}
	sink := &smtpSink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &sinkSession{sink: sink, conn: c, o: o}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.AllowInsecureAuth = o.tls == nil && !o.noInsecureAuth
	if !o.implicit {
		srv.TLSConfig = o.tls
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(o.host, "0"))
	if err != nil {
		t.Skipf("listen on %s: %v", o.host, err)
	}
	if o.implicit {
		ln = tls.NewListener(ln, o.tls)
	}
	sink.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return sink
}

func (s *smtpSink) Messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

func (s *smtpSink) Port() int {
	_, p, _ := net.SplitHostPort(s.addr)
	n, _ := strconv.Atoi(p)
	return n
}

type sinkSession struct {
	sink   *smtpSink
	conn   *smtp.Conn
	o      smtpSinkOptions
	authed string
	msg    received
}

func (s *sinkSession) AuthMechanisms() []string { return s.o.mechs }

func (s *sinkSession) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != s.o.user || pass != s.o.pass {
			return errors.New("invalid credentials")
		}
		s.authed = user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.o.user != "" && s.authed == "" {
		return smtp.ErrAuthRequired
	}
	s.msg = received{From: from}
	return nil
}

func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.Data = b
	_, s.msg.TLS = s.conn.TLSConnectionState()
	s.msg.Authed = s.authed
	s.sink.mu.Lock()
	s.sink.msgs = append(s.sink.msgs, s.msg)
	s.sink.mu.Unlock()
	return nil
}

func (s *sinkSession) Reset()        { s.msg = received{} }
func (s *sinkSession) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl lacks.
type loginServer struct {
	step  int
	user  string
	check func(user, pass string) error
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(response)
		return []byte("Password:"), false, nil
	}
	return nil, true, l.check(l.user, string(response))
}
