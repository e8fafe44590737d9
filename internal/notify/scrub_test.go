package notify

import (
	"strings"
	"testing"
)

func TestScrubber(t *testing.T) {
	t.Parallel()
	sc := newScrubber([]string{plantedKnackKey, "short", ""})
	cases := []struct{ in, want string }{
		// E-mail addresses in the forms Knack and URLs give them.
		{"student Jane.Doe@School.Example.ORG", "student [email]"},
		{`<a href="mailto:kid@school.example.org">kid@school.example.org</a>`, `<a href="mailto:[email]">[email]</a>`},
		{"q=kid%40school.example.org done", "q=[email] done"},
		{"kid&#64;school.example.org", "[email]"},
		{"o'brien+tag@mail.school.example.co.uk.", "[email]."},
		{"Key (email, academic_year)=(kid@school.example.org, 2025/26) already exists.", "Key (email, academic_year)=([email], 2025/26) already exists."},
		// Secrets.
		{`Get "https://api.knack.com/v1/objects/object_10/records?filters=abc&page=2": timeout`, `Get "https://api.knack.com/v1/objects/object_10/records?[query]": timeout`},
		{"dial postgres://app:pw@db.example.com:5432/x failed", "dial postgres://[redacted]@db.example.com:5432/x failed"},
		{"sentry https://0123abcd@o1.ingest.sentry.io/42", "sentry https://[redacted]@o1.ingest.sentry.io/42"},
		{"api_key=abc123 apikey: def KNACK_API_KEY=ghi", "api_key=[redacted] apikey: [redacted] KNACK_API_KEY=[redacted]"},
		{`{"password":"p4ss","token": "t0k"}`, `{"password":"[redacted]","token": "[redacted]"}`},
		{"X-Webhook-Secret: wh1 X-Webhook-Signature: t=1,v1=ff", "X-Webhook-Secret: [redacted] X-Webhook-Signature: [redacted]"},
		{"Authorization: Bearer abc.def-ghi", "Authorization: Bearer [redacted]"},
		{"password=abc, then more", "password=[redacted], then more"},
		{"header " + plantedKnackKey + " sent", "header [redacted] sent"},
		// Ordinary text stays readable.
		{"duplicate key value violates unique constraint \"students_pkey\"", "duplicate key value violates unique constraint \"students_pkey\""},
		{"fetch object_10/5f1a2b3c4d5e6f7a8b9c0d1e: knack: 503 (short)", "fetch object_10/5f1a2b3c4d5e6f7a8b9c0d1e: knack: 503 (short)"},
		{"", ""},
	}
	for _, tc := range cases {
		if got := sc.String(tc.in); got != tc.want {
			t.Errorf("scrub(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}

	v := sc.Value(map[string]any{"a": []any{"x@y.org", 1, map[string]string{"b": "token=zz"}}, "c": []string{"p@q.io"}})
	m := v.(map[string]any)
	if m["a"].([]any)[0] != EmailMask || m["a"].([]any)[2].(map[string]string)["b"] != "token=[redacted]" || m["c"].([]string)[0] != EmailMask {
		t.Errorf("Value = %v", v)
	}
}

func TestURLSecrets(t *testing.T) {
	t.Parallel()
	got := URLSecrets("postgres://app:pgpw@db/x", "smtp://u:smtppw@mail:587", "https://dsnkey@o1.ingest.sentry.io/1", "", "::bad", "postgres://db/x")
	want := []string{"pgpw", "smtppw", "dsnkey"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("URLSecrets = %v, want %v", got, want)
	}
}
