package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"

	"knacksync/internal/store"
)

const (
	testFrom = "knacksync <sync@vespa.example>"
	testTo   = "ops@vespa.example, Lead <lead@vespa.example>"
)

// parsedMail is one received message, decoded.
type parsedMail struct {
	Header  mail.Header
	Subject string
	Body    string
	Raw     []byte
}

func parseMail(t *testing.T, raw []byte) parsedMail {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse message: %v\n%s", err, raw)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject: %v", err)
	}
	if m.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
		t.Fatalf("Content-Transfer-Encoding = %q", m.Header.Get("Content-Transfer-Encoding"))
	}
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	return parsedMail{Header: m.Header, Subject: subject, Body: strings.ReplaceAll(string(body), "\r\n", "\n"), Raw: raw}
}

// assertNoStrayEmail fails when the message holds an e-mail address
// anywhere but the From and To headers (and the Message-ID, which is not
// an address).
func assertNoStrayEmail(t *testing.T, m parsedMail) {
	t.Helper()
	var rest strings.Builder
	for k, vs := range m.Header {
		if k == "From" || k == "To" || k == "Message-Id" {
			continue
		}
		for _, v := range vs {
			fmt.Fprintf(&rest, "%s: %s\n", k, v)
		}
	}
	rest.WriteString(m.Subject + "\n" + m.Body)
	if found := anyEmail.FindAllString(rest.String(), -1); len(found) > 0 {
		t.Errorf("e-mail addresses in the message: %q", found)
	}
}

func newTestMailer(t *testing.T, smtpURL string) *Mailer {
	t.Helper()
	m, err := NewMailer(smtpURL, testFrom, testTo, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	m.now = func() time.Time { return time.Date(2026, 3, 1, 2, 3, 0, 0, time.UTC) }
	m.timeout = 10 * time.Second
	return m
}

// fakeRun builds a run whose every figure derives from n, so that two runs
// have different, recognisable numbers.
func fakeRun(id int64, n int, status, errText string) *store.Run {
	started := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	finished := started.Add(2*time.Minute + 10*time.Second)
	return &store.Run{
		ID: id, Kind: store.KindSweep, Objects: []string{"object_2", "object_10"}, FullSweep: true,
		Status: status, StartedAt: started, FinishedAt: &finished, Error: errText,
		Progress: []store.ObjectProgress{
			{Object: "object_2", Status: "complete", Pages: 1, KnackRequests: 1, RecordsSeen: 100 + n, RecordsChanged: n, DurationMS: 1500},
			{Object: "object_10", Status: map[bool]string{true: "failed", false: "complete"}[status == store.StatusFailed],
				Pages: 3, KnackRequests: 4, RecordsSeen: 2000 + n, RecordsChanged: 10 * n, RecordsDeleted: n, DeletionsHeld: 0,
				DataIssues: 7 * n, DurationMS: 120000, Error: errText},
		},
		Tables: map[string]store.Counts{
			"public.students":     {Inserted: int64(1000 + n), Updated: int64(2000 + n), Deleted: int64(n), Unchanged: int64(30000 + n)},
			"public.vespa_scores": {Inserted: int64(4000 + n), Updated: int64(5000 + n), Deleted: 0, Unchanged: int64(60000 + n)},
		},
	}
}

func TestMailerReportsEachRunsOwnFigures(t *testing.T) {
	t.Parallel()
	sink := newSMTPSink(t, smtpSinkOptions{user: "mailer", pass: plantedPassword})
	m := newTestMailer(t, fmt.Sprintf("smtp://mailer:%s@127.0.0.1:%d", plantedPassword, sink.Port()))
	ctx := context.Background()

	extra1 := ReportExtra{Reason: "nightly", IssuesByRule: map[string]int{"bad_email": 12, "bad_date": 3}, NewIssuesByRule: map[string]int{"bad_email": 2},
		Statistics: &RunStatistics{Recomputes: 3, Full: true, School: 120, National: 14, Question: 640, NationalQuestion: 96, Duration: 2 * time.Second}}
	if err := m.Report(ctx, fakeRun(41, 111, store.StatusSucceeded, ""), nil, extra1); err != nil {
		t.Fatal(err)
	}
	runErr := errors.New("sweep object_10: apply page 3: duplicate key (email)=(Kid.Student@School.example.org) api_key=" + plantedAPIKey)
	extra2 := ReportExtra{
		Reason:          "catch-up: missed the sweep due at 2026-03-01T02:00:00Z",
		IssuesByRule:    map[string]int{"bad_email": 14, "duplicate": 5},
		NewIssuesByRule: map[string]int{"duplicate": 5},
		Held: []store.HeldSummary{{ID: 3, RunID: 40, Object: "object_29", Records: 812, ObjectRecords: 9000,
			Reason: "812 of 9000 records (9.0%) are missing", CreatedAt: time.Date(2026, 2, 28, 2, 5, 0, 0, time.UTC)}},
	}
	if err := m.Report(ctx, fakeRun(42, 222, store.StatusFailed, runErr.Error()), runErr, extra2); err != nil {
		t.Fatal(err)
	}

	msgs := sink.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	for _, msg := range msgs {
		if msg.From != "sync@vespa.example" || strings.Join(msg.To, ",") != "ops@vespa.example,lead@vespa.example" {
			t.Errorf("envelope %s → %v", msg.From, msg.To)
		}
		if msg.Authed != "mailer" {
			t.Errorf("not authenticated (PLAIN)")
		}
	}

	t.Run("succeeded", func(t *testing.T) {
		t.Parallel()
		p := parseMail(t, msgs[0].Data)
		if want := "knacksync: sweep succeeded in 2m10s (run 41)"; p.Subject != want {
			t.Errorf("subject = %q, want %q", p.Subject, want)
		}
		if p.Header.Get("From") != `"knacksync" <sync@vespa.example>` || !strings.Contains(p.Header.Get("To"), "lead@vespa.example") {
			t.Errorf("From %q To %q", p.Header.Get("From"), p.Header.Get("To"))
		}
		for _, want := range []string{
			"Result:          succeeded", "Reason:          nightly", "Duration:        2m10s",
			"public.students      1111      2111     111      30111",
			"object_10  complete  3      4         2111  1110     111      0     777",
			"bad_email  12    2", "bad_date   3     0",
		} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("body lacks %q:\n%s", want, p.Body)
			}
		}
		// The statistics the run recomputed.
		if !regexp.MustCompile(`Dashboard statistics\n-+\n  recomputed in full in 2s \(3 recomputes\).*\n(.*\n)*  school_statistics +120\n  national_statistics +14\n  question_statistics +640\n  national_question_statistics +96\n`).MatchString(p.Body) {
			t.Errorf("body lacks the statistics figures:\n%s", p.Body)
		}
		if strings.Contains(p.Body, "FAILED") || strings.Contains(p.Body, "--confirm-deletes") {
			t.Errorf("a clean run's report mentions failure or held deletions:\n%s", p.Body)
		}
		assertNoStrayEmail(t, p)
	})

	t.Run("failed shows its own figures", func(t *testing.T) {
		t.Parallel()
		p := parseMail(t, msgs[1].Data)
		wantSubject := "knacksync: sweep FAILED (run 42): sweep object_10: apply page 3: duplicate key (email)=([email]) api_key=[redacted]; 1 held deletion to review"
		if p.Subject != wantSubject {
			t.Errorf("subject = %q\nwant        %q", p.Subject, wantSubject)
		}
		for _, want := range []string{
			"Result:          FAILED", "Reason:          catch-up: missed",
			"Error:\n  sweep object_10: apply page 3: duplicate key (email)=([email])",
			"public.students      1222      2222     222      30222",
			"public.vespa_scores  4222      5222     0        60222\n  total                5444      7444     222      90444\n",
			"object_10  failed    3      4         2222  2220     222      0     1554",
			"bad_email  14    0", "duplicate  5     5", "total      19    5",
			"object_29  812      9000  40           2026-02-28 02:05:00 UTC",
			"server sync --confirm-deletes",
		} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("body lacks %q:\n%s", want, p.Body)
			}
		}
		// Nothing of run 41 (or an earlier report) in run 42's mail.
		for _, stale := range []string{"1111", "2111", "30111", "run 41", "bad_date", "Dashboard statistics"} {
			if strings.Contains(p.Body, stale) || strings.Contains(p.Subject, stale) {
				t.Errorf("run 42's report holds %q from run 41:\n%s", stale, p.Body)
			}
		}
		if strings.Contains(string(p.Raw), plantedAPIKey) || strings.Contains(strings.ToLower(string(p.Raw)), "kid.student") {
			t.Errorf("secret or student address in the mail:\n%s", p.Raw)
		}
		assertNoStrayEmail(t, p)
	})
}

func TestMailerReportWithoutRun(t *testing.T) {
	t.Parallel()
	sink := newSMTPSink(t, smtpSinkOptions{})
	m := newTestMailer(t, fmt.Sprintf("smtp://127.0.0.1:%d", sink.Port()))
	if err := m.Report(context.Background(), nil, errors.New("sweep: lock: connection refused"), ReportExtra{LoadError: "database down"}); err != nil {
		t.Fatal(err)
	}
	msgs := sink.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	p := parseMail(t, msgs[0].Data)
	if want := "knacksync: sweep FAILED: sweep: lock: connection refused"; p.Subject != want {
		t.Errorf("subject = %q, want %q", p.Subject, want)
	}
	for _, want := range []string{"No run was recorded", "could not be read: database down"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("body lacks %q:\n%s", want, p.Body)
		}
	}
	if msgs[0].Authed != "" {
		t.Error("authenticated without credentials in the URL")
	}
}

func TestMailerTLS(t *testing.T) {
	t.Parallel()
	cert, pool := selfSigned(t, "127.0.0.1")
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}}

	t.Run("STARTTLS when offered, then PLAIN", func(t *testing.T) {
		t.Parallel()
		sink := newSMTPSink(t, smtpSinkOptions{user: "u", pass: plantedPassword, tls: serverTLS})
		m := newTestMailer(t, fmt.Sprintf("smtp://u:%s@127.0.0.1:%d", plantedPassword, sink.Port()))
		m.rootCAs = pool
		if err := m.Report(context.Background(), fakeRun(1, 1, store.StatusSucceeded, ""), nil, ReportExtra{}); err != nil {
			t.Fatal(err)
		}
		msgs := sink.Messages()
		if len(msgs) != 1 || !msgs[0].TLS || msgs[0].Authed != "u" {
			t.Fatalf("messages = %+v, want one over TLS, authenticated", msgs)
		}
	})

	t.Run("smtps", func(t *testing.T) {
		t.Parallel()
		sink := newSMTPSink(t, smtpSinkOptions{user: "u", pass: plantedPassword, tls: serverTLS, implicit: true})
		m := newTestMailer(t, fmt.Sprintf("smtps://u:%s@127.0.0.1:%d", plantedPassword, sink.Port()))
		m.rootCAs = pool
		if err := m.Report(context.Background(), fakeRun(1, 1, store.StatusSucceeded, ""), nil, ReportExtra{}); err != nil {
			t.Fatal(err)
		}
		if msgs := sink.Messages(); len(msgs) != 1 || !msgs[0].TLS {
			t.Fatalf("messages = %+v, want one over TLS", msgs)
		}
	})

	t.Run("untrusted certificate refused", func(t *testing.T) {
		t.Parallel()
		sink := newSMTPSink(t, smtpSinkOptions{tls: serverTLS})
		m := newTestMailer(t, fmt.Sprintf("smtp://127.0.0.1:%d", sink.Port()))
		err := m.Report(context.Background(), fakeRun(1, 1, store.StatusSucceeded, ""), nil, ReportExtra{})
		if err == nil || len(sink.Messages()) != 0 {
			t.Fatalf("sent over a TLS connection it could not verify (err %v)", err)
		}
	})

	t.Run("no password in the clear to another host", func(t *testing.T) {
		t.Parallel()
		// 127.0.0.2 is this machine too, but not a name net/smtp treats as
		// local: to the mailer it is a remote server without STARTTLS.
		sink := newSMTPSink(t, smtpSinkOptions{host: "127.0.0.2", user: "u", pass: plantedPassword})
		m := newTestMailer(t, fmt.Sprintf("smtp://u:%s@127.0.0.2:%d", plantedPassword, sink.Port()))
		err := m.Report(context.Background(), fakeRun(1, 1, store.StatusSucceeded, ""), nil, ReportExtra{})
		if err == nil || !strings.Contains(err.Error(), "unencrypted") {
			t.Fatalf("err = %v, want a refusal to authenticate without TLS", err)
		}
		if strings.Contains(err.Error(), plantedPassword) {
			t.Errorf("error quotes the password: %v", err)
		}
		if len(sink.Messages()) != 0 {
			t.Error("message sent")
		}
	})

	t.Run("LOGIN when PLAIN is not offered", func(t *testing.T) {
		t.Parallel()
		sink := newSMTPSink(t, smtpSinkOptions{user: "u", pass: plantedPassword, tls: serverTLS, mechs: []string{sasl.Login}})
		m := newTestMailer(t, fmt.Sprintf("smtp://u:%s@127.0.0.1:%d", plantedPassword, sink.Port()))
		m.rootCAs = pool
		if err := m.Report(context.Background(), fakeRun(1, 1, store.StatusSucceeded, ""), nil, ReportExtra{}); err != nil {
			t.Fatal(err)
		}
		if msgs := sink.Messages(); len(msgs) != 1 || msgs[0].Authed != "u" {
			t.Fatalf("messages = %+v, want one authenticated with LOGIN", msgs)
		}
	})
}

func TestNewMailer(t *testing.T) {
	t.Parallel()
	cases := []struct {
		url, from, to string
		wantAddr      string
		wantTLS       bool
		wantErr       string
	}{
		{url: "smtp://u:p@mail.example.com", from: "a@b.example", to: "c@d.example", wantAddr: "mail.example.com:587"},
		{url: "smtps://u:p@mail.example.com", from: "a@b.example", to: "c@d.example", wantAddr: "mail.example.com:465", wantTLS: true},
		{url: "smtp://mail.example.com:2525", from: "a@b.example", to: "c@d.example, e@f.example", wantAddr: "mail.example.com:2525"},
		{url: "http://u:" + plantedPassword + "@mail.example.com", from: "a@b.example", to: "c@d.example", wantErr: "scheme"},
		{url: "smtp://u:" + plantedPassword + "@", from: "a@b.example", to: "c@d.example", wantErr: "no host"},
		{url: "smtp://mail.example.com", from: "not an address", to: "c@d.example", wantErr: "REPORT_FROM"},
		{url: "smtp://mail.example.com", from: "a@b.example", to: "", wantErr: "REPORT_TO"},
	}
	for _, tc := range cases {
		m, err := NewMailer(tc.url, tc.from, tc.to, nil)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("NewMailer(%s): err = %v, want %q", config(tc.url), err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), plantedPassword) {
				t.Errorf("error quotes the password: %v", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("NewMailer(%s): %v", config(tc.url), err)
			continue
		}
		if m.addr != tc.wantAddr || m.implicitTLS != tc.wantTLS || !m.Enabled() {
			t.Errorf("NewMailer(%s) = addr %s tls %v", config(tc.url), m.addr, m.implicitTLS)
		}
	}

	m, err := NewMailer("", "", "", nil)
	if err != nil || m.Enabled() {
		t.Fatalf("NewMailer(\"\") = enabled %v, %v", m.Enabled(), err)
	}
	if err := m.Report(context.Background(), nil, errors.New("x"), ReportExtra{}); err != nil {
		t.Errorf("disabled mailer: %v", err)
	}
	var nilMailer *Mailer
	if err := nilMailer.Report(context.Background(), nil, nil, ReportExtra{}); err != nil {
		t.Errorf("nil mailer: %v", err)
	}
}

// config names a test case's URL without its password.
func config(u string) string { return strings.ReplaceAll(u, plantedPassword, "xxx") }
