package knack

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// Fuzz targets for the text-like decoders (name, text, choice, connection)
// and the yes/no decoder, in the style of decode_fuzz_test.go: the raw value
// as JSON text (which may be broken), the formatted value as a string. Seeds
// live in testdata/fuzz/<target>/.

// checkCleanText fails when s holds what CleanText removes.
func checkCleanText(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		t.Fatalf("%s %q holds invalid UTF-8 or NUL", what, s)
	}
}

// jsonText is s as a JSON string value.
func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func FuzzDecodeText(f *testing.F) {
	f.Add(`"Robert'); DROP TABLE students; --"`, "")
	f.Add(`"<script>alert(1)</script>"`, "")
	f.Add("", "Line one<br />line two")
	f.Add(`["A", null, "", "B"]`, "")
	f.Add(`{"x":1}`, "shown")
	f.Add(`7.50`, "")
	f.Add(`"a\u0000b\ud800c"`, "")
	f.Fuzz(func(t *testing.T, raw, formatted string) {
		r := fuzzRecord(raw, formatted)
		got := DecodeText(r, "f")
		checkCleanText(t, "text", got)
		if again := DecodeText(r, "f"); again != got {
			t.Fatalf("not deterministic: %q then %q", got, again)
		}
		if DecodeChoice(r, "f") != got {
			t.Fatalf("DecodeChoice %q differs from DecodeText %q", DecodeChoice(r, "f"), got)
		}
		// Text is kept verbatim (no trimming, no HTML processing) once
		// clean: a clean string stored raw reads back unchanged, and so does
		// one that only the formatted value holds.
		for _, s := range []string{CleanText(raw), CleanText(formatted), got} {
			if strings.TrimSpace(s) == "" {
				continue
			}
			if back := DecodeText(fuzzRecord(jsonText(s), formatted), "f"); back != s {
				t.Fatalf("raw %q read back as %q", s, back)
			}
			if back := DecodeText(fuzzRecord("", s), "f"); back != s {
				t.Fatalf("formatted %q read back as %q", s, back)
			}
		}
	})
}

func FuzzDecodeChoice(f *testing.F) {
	f.Add(`["Year 12","Year 13"]`, "", "Year 12", "Year 13")
	f.Add(`[null]`, "Year 12", "", "")
	f.Add(`"Male"`, "", " ", "x")
	f.Add(`[]`, "", "A, B", "")
	f.Fuzz(func(t *testing.T, raw, formatted, a, b string) {
		got := DecodeChoice(fuzzRecord(raw, formatted), "f")
		checkCleanText(t, "choice", got)
		// A list of options reads as the non-empty ones joined with ", ";
		// a list of blank options is no value (the formatted one is read).
		list, _ := json.Marshal([]string{a, b})
		got = DecodeChoice(fuzzRecord(string(list), formatted), "f")
		// json.Marshal coerces invalid UTF-8 to U+FFFD, which CleanText
		// would have dropped: compare with what the JSON carries.
		var items []string
		_ = json.Unmarshal(list, &items)
		ca, cb := CleanText(items[0]), CleanText(items[1])
		if strings.TrimSpace(ca) == "" && strings.TrimSpace(cb) == "" {
			if want := DecodeChoice(fuzzRecord("", formatted), "f"); got != want {
				t.Fatalf("blank options %s read %q, want the formatted %q", list, got, want)
			}
			return
		}
		var parts []string
		for _, p := range []string{ca, cb} {
			if p != "" {
				parts = append(parts, p)
			}
		}
		if want := strings.Join(parts, ", "); got != want {
			t.Fatalf("options %s read %q, want %q", list, got, want)
		}
	})
}

func FuzzDecodeName(f *testing.F) {
	f.Add(`{"first":"Ann","last":"Bell","full":"Ann Bell"}`, "Ann Bell")
	f.Add(`{"first":" Ann ","last":"","full":""}`, "")
	f.Add(`{"first":"<script>alert(1)</script>","last":"x","full":"<script>alert(1)</script> x"}`, "")
	f.Add("", "<strong>Ann</strong><br/>Bell &amp; Co")
	f.Add(`"  Ann Bell  "`, "")
	f.Add(`{"full":{"nested":true}}`, "Ann")
	f.Add("", "Ann &#0; Bell\u0000")
	f.Fuzz(func(t *testing.T, raw, formatted string) {
		r := fuzzRecord(raw, formatted)
		got := DecodeName(r, "f")
		checkCleanText(t, "name", got)
		if got != strings.TrimSpace(got) {
			t.Fatalf("name %q is not trimmed", got)
		}
		if got == "" {
			return
		}
		// A name read back from the raw object's full, or from a raw
		// string, is the same name: the decoder has a fixed point.
		full, _ := json.Marshal(map[string]string{"first": "x", "last": "y", "full": got})
		for _, raw2 := range []string{string(full), jsonText(got)} {
			if back := DecodeName(fuzzRecord(raw2, ""), "f"); back != got {
				t.Fatalf("name %q stored as %s read back as %q", got, raw2, back)
			}
		}
	})
}

func FuzzDecodeConnection(f *testing.F) {
	f.Add(`[{"id":"5f0000000000000000000001","identifier":"School"}]`, "")
	f.Add(`["5f0000000000000000000001","5f0000000000000000000001"]`, "")
	f.Add(`{"id":"5f0000000000000000000002"}`, "")
	f.Add("", `<span class="5f0000000000000000000003" data-kn="connection-value">School</span>`)
	f.Add(`"School, Other"`, "5f0000000000000000000004")
	f.Add(`[[[["5f0000000000000000000001"]]]]`, "")
	f.Fuzz(func(t *testing.T, raw, formatted string) {
		r := fuzzRecord(raw, formatted)
		ids := DecodeConnectionIDs(r, "f")
		seen := map[string]bool{}
		for _, id := range ids {
			checkCleanText(t, "id", id)
			if id == "" || id != strings.TrimSpace(id) || strings.ContainsAny(id, " \t\r\n,<") {
				t.Fatalf("id %q of %v is not an id", id, ids)
			}
			if seen[id] {
				t.Fatalf("id %q repeated in %v", id, ids)
			}
			seen[id] = true
		}
		// Only record ids are taken from formatted text.
		if len(connectionIDs(r.Raw("f"), 0)) == 0 {
			for _, id := range ids {
				if !objectID.MatchString(id) {
					t.Fatalf("id %q from formatted %q is not a record id", id, formatted)
				}
			}
		}
		first := ""
		if len(ids) > 0 {
			first = ids[0]
		}
		if DecodeConnectionID(r, "f") != first {
			t.Fatalf("DecodeConnectionID %q, want the first of %v", DecodeConnectionID(r, "f"), ids)
		}
		if len(ids) == 0 {
			return
		}
		// The ids written back in Knack's raw shape read back the same.
		type conn struct {
			ID         string `json:"id"`
			Identifier string `json:"identifier"`
		}
		var back []conn
		for _, id := range ids {
			back = append(back, conn{id, "x"})
		}
		b, _ := json.Marshal(back)
		again := DecodeConnectionIDs(fuzzRecord(string(b), ""), "f")
		if strings.Join(again, "|") != strings.Join(ids, "|") {
			t.Fatalf("ids %v written as %s read back as %v", ids, b, again)
		}
	})
}

func FuzzDecodeBool(f *testing.F) {
	f.Add(`true`, "")
	f.Add(`"Yes"`, "")
	f.Add(`" off "`, "")
	f.Add(`0`, "")
	f.Add("", "<span>No</span>")
	f.Add(`"maybe"`, "")
	f.Add(`{"a":1}`, "yes")
	f.Fuzz(func(t *testing.T, raw, formatted string) {
		v, err := DecodeBool(fuzzRecord(raw, formatted), "f")
		if err != nil {
			if v != nil {
				t.Fatalf("both a value %v and an error %v", *v, err)
			}
			checkValueError(t, err)
			return
		}
		if v == nil {
			return
		}
		// The value read back from every form Knack may send reads the same.
		for _, raw2 := range []string{strconv.FormatBool(*v), jsonText(strconv.FormatBool(*v)), jsonText(map[bool]string{true: " YES ", false: " No "}[*v])} {
			again, err := DecodeBool(fuzzRecord(raw2, ""), "f")
			if err != nil || again == nil || *again != *v {
				t.Fatalf("%v written as %s read back as %v, %v", *v, raw2, again, err)
			}
		}
	})
}
