package knack

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// decRec builds a record from key/JSON-text pairs, e.g.
// decRec("field_1_raw", `{"email":"a@b.example"}`, "field_1", `"..."`).
func decRec(kv ...string) Record {
	r := Record{ID: "5f0000000000000000000001", Fields: map[string]json.RawMessage{}}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Fields[kv[i]] = json.RawMessage(kv[i+1])
	}
	return r
}

// errKind names the kind of a decoder error for table comparisons.
func errKind(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNoValue):
		return "empty"
	case errors.Is(err, ErrInvalidValue):
		return "invalid"
	}
	return "other: " + err.Error()
}

func TestDecodeEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		rec       Record
		want      string
		wantErr   string
		wantValue string // ValueError.Value
	}{
		{"raw object", decRec("f_raw", `{"email":"ada@school.example"}`), "ada@school.example", "", ""},
		{"raw object with label", decRec("f_raw", `{"email":"Ada@School.example","label":"Ada"}`), "ada@school.example", "", ""},
		{"mixed case and spaces", decRec("f_raw", `{"email":"  Foo@School.Example "}`), "foo@school.example", "", ""},
		{"nested address", decRec("f_raw", `{"email":{"address":"Bob@X.example"}}`), "bob@x.example", "", ""},
		{"nested email", decRec("f_raw", `{"email":{"email":"bob@x.example"}}`), "bob@x.example", "", ""},
		{"address object", decRec("f_raw", `{"address":"carol@x.example"}`), "carol@x.example", "", ""},
		{"plain raw string", decRec("f_raw", `"Dan@X.Example"`), "dan@x.example", "", ""},
		{"raw string with mailto", decRec("f_raw", `"mailto:dan@x.example"`), "dan@x.example", "", ""},
		{"raw list", decRec("f_raw", `[{"email":"eve@x.example"}]`), "eve@x.example", "", ""},
		{"raw anchor", decRec("f_raw", `"<a href=\"mailto:Fay@X.example\">Fay@X.example</a>"`), "fay@x.example", "", ""},
		{
			"formatted anchor when raw absent",
			decRec("f", `"<a href=\"mailto:Gus@School.Example\">Gus@School.Example</a>"`),
			"gus@school.example", "", "",
		},
		{
			"formatted anchor with label and entity",
			decRec("f", `"<a href=\"mailto:o&#39;neil@x.example\">Mr O'Neil</a>"`),
			"o'neil@x.example", "", "",
		},
		{
			"formatted anchor url-escaped",
			decRec("f", `"<a href=\"mailto:hal%40x.example\">Hal</a>"`),
			"hal@x.example", "", "",
		},
		{"formatted plain", decRec("f", `" Ian@X.example"`), "ian@x.example", "", ""},
		{"empty raw, formatted anchor", decRec("f_raw", `{"email":""}`, "f", `"<a href=\"mailto:jo@x.example\">jo@x.example</a>"`), "jo@x.example", "", ""},
		{"raw wins over formatted", decRec("f_raw", `{"email":"raw@x.example"}`, "f", `"formatted@x.example"`), "raw@x.example", "", ""},
		{"NUL removed", decRec("f_raw", `{"email":"kim\u0000@x.example"}`), "kim@x.example", "", ""},
		{"absent", decRec(), "", "empty", ""},
		{"empty string", decRec("f_raw", `""`, "f", `""`), "", "empty", ""},
		{"empty object", decRec("f_raw", `{"email":""}`, "f", `""`), "", "empty", ""},
		{"null", decRec("f_raw", `null`), "", "empty", ""},
		{"spaces only", decRec("f_raw", `"   "`), "", "empty", ""},
		{"no at", decRec("f_raw", `{"email":"not an email"}`), "", "invalid", "not an email"},
		{"two ats", decRec("f_raw", `{"email":"a@b@x.example"}`), "", "invalid", "a@b@x.example"},
		{"no dot in domain", decRec("f_raw", `{"email":"a@localhost"}`), "", "invalid", "a@localhost"},
		{"space inside", decRec("f_raw", `{"email":"a b@x.example"}`), "", "invalid", "a b@x.example"},
		{"domain ends with dot", decRec("f_raw", `{"email":"a@x.example."}`), "", "invalid", "a@x.example."},
		{"nothing before at", decRec("f_raw", `{"email":"@x.example"}`), "", "invalid", "@x.example"},
		{"zero width space", decRec("f_raw", `{"email":"a\u200b@x.example"}`), "", "invalid", "a\u200b@x.example"},
		{"raw number", decRec("f_raw", `42`, "f", `"42"`), "", "invalid", "42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeEmail(tt.rec, "f")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("email mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErr, errKind(err)); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			var ve *ValueError
			if errors.As(err, &ve) {
				if diff := cmp.Diff(tt.wantValue, ve.Value); diff != "" {
					t.Errorf("value mismatch (-want +got):\n%s", diff)
				}
				if ve.Field != "f" {
					t.Errorf("ValueError.Field = %q, want f", ve.Field)
				}
			}
		})
	}
}

func TestDecodeName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rec  Record
		want string
	}{
		{"full", decRec("f_raw", `{"first":"Ada","last":"Lovelace","full":"Ada King Lovelace"}`), "Ada King Lovelace"},
		{"first and last", decRec("f_raw", `{"title":"Ms","first":"Ada","middle":"K","last":"Lovelace"}`), "Ada Lovelace"},
		{"blank full", decRec("f_raw", `{"first":" Ada ","last":"","full":"  "}`), "Ada"},
		{"last only", decRec("f_raw", `{"last":"Lovelace"}`), "Lovelace"},
		{"raw string", decRec("f_raw", `"Ada Lovelace"`), "Ada Lovelace"},
		{"formatted HTML", decRec("f", `"<span>Ada &amp; Co</span>"`), "Ada & Co"},
		{"empty raw object, formatted text", decRec("f_raw", `{"first":"","last":""}`, "f", `"Lovelace, Ada"`), "Lovelace, Ada"},
		{"invalid UTF-8 dropped", decRec("f_raw", "{\"full\":\"Ad\xffa\"}"), "Ada"},
		{"absent", decRec(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, DecodeName(tt.rec, "f")); diff != "" {
				t.Errorf("name mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeConnectionIDs(t *testing.T) {
	t.Parallel()
	const a, b = "5f1a2b3c4d5e6f7a8b9c0d1e", "60aabbccddeeff0011223344"
	tests := []struct {
		name string
		rec  Record
		want []string
	}{
		{"id objects", decRec("f_raw", `[{"id":"`+a+`","identifier":"School A"},{"id":"`+b+`","identifier":"B"}]`), []string{a, b}},
		{"bare id", decRec("f_raw", `"`+a+`"`), []string{a}},
		{"id strings", decRec("f_raw", `["`+a+`","`+b+`","`+a+`"]`), []string{a, b}},
		{"id object", decRec("f_raw", `{"id":"`+a+`"}`), []string{a}},
		{"value object", decRec("f_raw", `{"value":"`+b+`"}`), []string{b}},
		{"empty list", decRec("f_raw", `[]`, "f", `""`), nil},
		{
			"formatted spans",
			decRec("f_raw", `[]`, "f", `"<span class=\"`+a+`\">School A</span><br /><span class=\"`+b+`\">B</span>"`),
			[]string{a, b},
		},
		{"formatted span only", decRec("f", `"<span class=\"`+b+`\">B</span>"`), []string{b}},
		{"formatted text is not an id", decRec("f", `"School A"`), nil},
		{"formatted bare id", decRec("f", `" `+a+` "`), []string{a}},
		{"raw display text is not an id", decRec("f_raw", `"School A"`), nil},
		{"absent", decRec(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, DecodeConnectionIDs(tt.rec, "f")); diff != "" {
				t.Errorf("ids mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if got := DecodeConnectionID(decRec("f_raw", `[{"id":"`+a+`"}]`), "f"); got != a {
		t.Errorf("DecodeConnectionID = %q, want %q", got, a)
	}
	if got := DecodeConnectionID(decRec(), "f"); got != "" {
		t.Errorf("DecodeConnectionID(empty) = %q, want empty", got)
	}
}

func decPtr[T any](v T) *T { return &v }

func TestDecodeNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		rec     Record
		want    *float64
		wantErr string
	}{
		{"integer", decRec("f_raw", `7`), decPtr(7.0), ""},
		{"float", decRec("f_raw", `7.0`), decPtr(7.0), ""},
		{"half", decRec("f_raw", `6.5`), decPtr(6.5), ""},
		{"string", decRec("f_raw", `"7"`), decPtr(7.0), ""},
		{"string with spaces", decRec("f_raw", `" 7 "`), decPtr(7.0), ""},
		{"string 7.0", decRec("f_raw", `"7.0"`), decPtr(7.0), ""},
		{"string 6.5", decRec("f_raw", `"6.5"`), decPtr(6.5), ""},
		{"big", decRec("f_raw", `20879`), decPtr(20879.0), ""},
		{"negative", decRec("f_raw", `"-3"`), decPtr(-3.0), ""},
		{"exponent", decRec("f_raw", `1e2`), decPtr(100.0), ""},
		{"zero", decRec("f_raw", `0`), decPtr(0.0), ""},
		{"formatted when raw absent", decRec("f", `"3.1400"`), decPtr(3.14), ""},
		{"formatted thousands", decRec("f", `"1,234.5"`), decPtr(1234.5), ""},
		{"empty string", decRec("f_raw", `""`, "f", `""`), nil, ""},
		{"null", decRec("f_raw", `null`), nil, ""},
		{"absent", decRec(), nil, ""},
		{"list of null", decRec("f_raw", `[null]`), nil, ""},
		{"text", decRec("f_raw", `"seven"`), nil, "invalid"},
		{"NaN", decRec("f_raw", `"NaN"`), nil, "invalid"},
		{"Inf", decRec("f_raw", `"Inf"`), nil, "invalid"},
		{"hex", decRec("f_raw", `"0x10"`), nil, "invalid"},
		{"underscore", decRec("f_raw", `"1_000"`), nil, "invalid"},
		{"overflow", decRec("f_raw", `1e400`), nil, "invalid"},
		{"boolean", decRec("f_raw", `true`), nil, "invalid"},
		{"object", decRec("f_raw", `{"a":1}`), nil, "invalid"},
		{"percent", decRec("f_raw", `"93%"`), nil, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeNumber(tt.rec, "f")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("number mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErr, errKind(err)); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeBool(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		rec     Record
		want    *bool
		wantErr string
	}{
		{"true", decRec("f_raw", `true`), decPtr(true), ""},
		{"false", decRec("f_raw", `false`), decPtr(false), ""},
		{"Yes", decRec("f_raw", `"Yes"`), decPtr(true), ""},
		{"No", decRec("f_raw", `"No"`), decPtr(false), ""},
		{"True", decRec("f_raw", `"True"`), decPtr(true), ""},
		{"true string", decRec("f_raw", `"true"`), decPtr(true), ""},
		{"on", decRec("f_raw", `"on"`), decPtr(true), ""},
		{"OFF", decRec("f_raw", `"OFF"`), decPtr(false), ""},
		{"formatted Yes", decRec("f", `"Yes"`), decPtr(true), ""},
		{"number 1", decRec("f_raw", `1`), decPtr(true), ""},
		{"empty", decRec("f_raw", `""`, "f", `""`), nil, ""},
		{"absent", decRec(), nil, ""},
		{"null", decRec("f_raw", `null`), nil, ""},
		{"maybe", decRec("f_raw", `"maybe"`), nil, "invalid"},
		{"object", decRec("f_raw", `{"v":true}`), nil, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeBool(tt.rec, "f")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("bool mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErr, errKind(err)); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func decDay(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return &t
}

func TestDecodeDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		rec       Record
		want      *time.Time
		wantErr   string
		wantValue string
	}{
		{
			"raw object iso",
			decRec("f_raw", `{"date":"09/29/2025","hours":"04","minutes":"50","am_pm":"AM","iso_timestamp":"2025-09-29T04:50:00.000Z","timestamp":"09/29/2025 04:50 am"}`),
			decDay(2025, 9, 29), "", "",
		},
		{
			// Wall time labelled Z: 23:30 stays on the 31st, never moved by a zone.
			"raw object iso late evening",
			decRec("f_raw", `{"date":"07/31/2025","iso_timestamp":"2025-07-31T23:30:00.000Z"}`),
			decDay(2025, 7, 31), "", "",
		},
		{"raw object date key is month first", decRec("f_raw", `{"date":"08/01/2025"}`), decDay(2025, 8, 1), "", ""},
		{"raw object bad iso, date key", decRec("f_raw", `{"date":"08/01/2025","iso_timestamp":"garbage"}`), decDay(2025, 8, 1), "", ""},
		{"raw object wins over formatted", decRec("f_raw", `{"iso_timestamp":"2025-09-29T00:00:00.000Z"}`, "f", `"01/01/2020"`), decDay(2025, 9, 29), "", ""},
		{"raw object unreadable, formatted", decRec("f_raw", `{"hours":"04"}`, "f", `"29/09/2025"`), decDay(2025, 9, 29), "", ""},
		{"raw object unreadable, no formatted", decRec("f_raw", `{"hours":"04"}`), nil, "invalid", `{"hours":"04"}`},
		{"raw object with empty date keys", decRec("f_raw", `{"date":"","iso_timestamp":"","hours":""}`, "f", `""`), nil, "", ""},
		{"raw object with a bad date key", decRec("f_raw", `{"date":"13/45/2025"}`, "f", `""`), nil, "invalid", `{"date":"13/45/2025"}`},
		{"formatted day first", decRec("f", `"29/09/2025"`), decDay(2025, 9, 29), "", ""},
		{"formatted with time", decRec("f", `"29/09/2025 04:50"`), decDay(2025, 9, 29), "", ""},
		{"formatted with seconds", decRec("f", `"29/09/2025 04:50:12"`), decDay(2025, 9, 29), "", ""},
		{"formatted am", decRec("f", `"29/09/2025 4:50am"`), decDay(2025, 9, 29), "", ""},
		{"formatted PM with space", decRec("f", `"29/09/2025 04:50 PM"`), decDay(2025, 9, 29), "", ""},
		{"formatted p.m.", decRec("f", `"29/09/2025 4:50 p.m."`), decDay(2025, 9, 29), "", ""},
		{"formatted 12 am", decRec("f", `"01/08/2025 12:00 AM"`), decDay(2025, 8, 1), "", ""},
		{"formatted single digits", decRec("f", `"1/8/2025"`), decDay(2025, 8, 1), "", ""},
		{"formatted dashes", decRec("f", `"31-07-2025"`), decDay(2025, 7, 31), "", ""},
		{"formatted range", decRec("f", `"29/09/2025 4:14pm to 5:14pm"`), decDay(2025, 9, 29), "", ""},
		{"formatted in HTML", decRec("f", `"<span>29/09/2025</span>"`), decDay(2025, 9, 29), "", ""},
		{"ISO date", decRec("f", `"2025-09-29"`), decDay(2025, 9, 29), "", ""},
		{"ISO Z", decRec("f", `"2025-09-29T04:50:00Z"`), decDay(2025, 9, 29), "", ""},
		{"ISO millis", decRec("f", `"2025-09-29T04:50:00.000Z"`), decDay(2025, 9, 29), "", ""},
		{"ISO offset is not converted", decRec("f", `"2025-07-31T23:30:00-05:00"`), decDay(2025, 7, 31), "", ""},
		{"raw string", decRec("f_raw", `"29/09/2025 04:50"`), decDay(2025, 9, 29), "", ""},
		{"empty", decRec("f_raw", `""`, "f", `""`), nil, "", ""},
		{"absent", decRec(), nil, "", ""},
		{"null", decRec("f_raw", `null`, "f", `""`), nil, "", ""},
		{"month 13", decRec("f", `"29/13/2025"`), nil, "invalid", "29/13/2025"},
		{"31 February", decRec("f", `"31/02/2025"`), nil, "invalid", "31/02/2025"},
		{"hour 25", decRec("f", `"29/09/2025 25:10"`), nil, "invalid", "29/09/2025 25:10"},
		{"13 pm", decRec("f", `"29/09/2025 13:10 pm"`), nil, "invalid", "29/09/2025 13:10 pm"},
		{"two-digit year", decRec("f", `"29/09/25"`), nil, "invalid", "29/09/25"},
		{"year 0205", decRec("f", `"29/09/0205"`), nil, "invalid", "29/09/0205"},
		{"mixed separators", decRec("f", `"29/09-2025"`), nil, "invalid", "29/09-2025"},
		{"text", decRec("f", `"next Tuesday"`), nil, "invalid", "next Tuesday"},
		{"time only", decRec("f", `"4:14pm"`), nil, "invalid", "4:14pm"},
		{"number", decRec("f_raw", `1568218440000`), nil, "invalid", "1568218440000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeDate(tt.rec, "f")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("date mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErr, errKind(err)); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			var ve *ValueError
			if errors.As(err, &ve) {
				if diff := cmp.Diff(tt.wantValue, ve.Value); diff != "" {
					t.Errorf("value mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestDecodeText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rec  Record
		want string
	}{
		{"raw", decRec("f_raw", `"12A"`, "f", `"ignored"`), "12A"},
		{"kept as given", decRec("f_raw", `"  Year 12 <b>A</b> "`), "  Year 12 <b>A</b> "},
		{"formatted when raw absent", decRec("f", `"Physics"`), "Physics"},
		{"NUL removed", decRec("f_raw", `"a\u0000b"`), "ab"},
		{"invalid UTF-8 removed", decRec("f_raw", "\"caf\xe9\""), "caf"},
		{"valid UTF-8 kept", decRec("f_raw", `"café ✓"`), "café ✓"},
		{"number as written", decRec("f_raw", `12345`), "12345"},
		{"float as written", decRec("f_raw", `7.0`), "7.0"},
		{"boolean", decRec("f_raw", `true`), "true"},
		{"empty", decRec("f_raw", `""`, "f", `""`), ""},
		{"absent", decRec(), ""},
		{"object has no text", decRec("f_raw", `{"a":"b"}`), ""},
		{"object raw, formatted text", decRec("f_raw", `{"a":"b"}`, "f", `"display"`), "display"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, DecodeText(tt.rec, "f")); diff != "" {
				t.Errorf("text mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeChoice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rec  Record
		want string
	}{
		{"single", decRec("f_raw", `"Female"`), "Female"},
		{"list", decRec("f_raw", `["A","B"]`), "A, B"},
		{"list of one", decRec("f_raw", `["Male"]`), "Male"},
		{"list of null", decRec("f_raw", `[null]`, "f", `""`), ""},
		{"null items skipped", decRec("f_raw", `["A",null,""]`), "A"},
		{"formatted", decRec("f", `"A, B"`), "A, B"},
		{"absent", decRec(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, DecodeChoice(tt.rec, "f")); diff != "" {
				t.Errorf("choice mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeCleanText(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a\x00b", "ab"},
		{"a\xffb", "ab"},
		{"\x00\xfe\xff", ""},
		{"naïve", "naïve"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, CleanText(tt.in)); diff != "" {
			t.Errorf("CleanText(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestDecodeValueErrorHidesValue(t *testing.T) {
	t.Parallel()
	_, err := DecodeEmail(decRec("f_raw", `{"email":"secret person@x.example"}`), "f")
	if err == nil {
		t.Fatal("want an error")
	}
	if got := err.Error(); got != "f: invalid email" {
		t.Errorf("Error() = %q: it must not carry the value", got)
	}
}
