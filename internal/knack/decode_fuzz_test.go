package knack

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The fuzz targets take the raw value as JSON text (which may be broken) and
// the formatted value as a string; seeds live in testdata/fuzz/<target>/ and
// run as ordinary tests. Run one for real with e.g.
//
//	go test -run '^$' -fuzz FuzzDecodeDate ./internal/knack/

func fuzzRecord(raw, formatted string) Record {
	r := Record{ID: "5f0000000000000000000001", Fields: map[string]json.RawMessage{}}
	if raw != "" {
		r.Fields["f_raw"] = json.RawMessage(raw)
	}
	f, _ := json.Marshal(formatted)
	r.Fields["f"] = f
	return r
}

func checkValueError(t *testing.T, err error) {
	t.Helper()
	var ve *ValueError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T) is not a *ValueError", err, err)
	}
	if !errors.Is(err, ErrNoValue) && !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("error %v is neither ErrNoValue nor ErrInvalidValue", err)
	}
	if ve.Value != CleanText(ve.Value) {
		t.Fatalf("ValueError.Value %q is not clean text", ve.Value)
	}
}

func FuzzDecodeDate(f *testing.F) {
	f.Add(`{"iso_timestamp":"2025-09-29T04:50:00.000Z","date":"09/29/2025"}`, "29/09/2025 04:50")
	f.Add("", "29/09/2025 04:50")
	f.Add("", "2025-09-29T04:50:00Z")
	f.Add(`""`, "")
	f.Fuzz(func(t *testing.T, raw, formatted string) {
		r := fuzzRecord(raw, formatted)
		d, err := DecodeDate(r, "f")
		if err != nil {
			if d != nil {
				t.Fatalf("both a date %v and an error %v", d, err)
			}
			checkValueError(t, err)
			return
		}
		if d == nil {
			return
		}
		if d.Location() != time.UTC || d.Hour() != 0 || d.Minute() != 0 || d.Second() != 0 || d.Nanosecond() != 0 {
			t.Fatalf("date %v is not midnight UTC", d)
		}
		if d.Year() < minYear || d.Year() > maxYear {
			t.Fatalf("year %d outside %d..%d", d.Year(), minYear, maxYear)
		}
		// The date written day first, and as ISO, reads back the same.
		for _, s := range []string{
			fmt.Sprintf("%02d/%02d/%04d", d.Day(), d.Month(), d.Year()),
			d.Format("2006-01-02"),
		} {
			again, err := DecodeDate(fuzzRecord("", s), "f")
			if err != nil || again == nil || !again.Equal(*d) {
				t.Fatalf("%q read back as %v, %v; want %v", s, again, err, d)
			}
		}
	})
}

func FuzzDecodeEmail(f *testing.F) {
	f.Add(`{"email":"Foo@School.example "}`, "")
	f.Add("", `<a href="mailto:Foo@School.example">Foo@School.example</a>`)
	f.Add(`{"email":{"address":"a@b.example"}}`, "")
	f.Add(`"not an email"`, "")
	f.Fuzz(func(t *testing.T, raw, formatted string) {
		e, err := DecodeEmail(fuzzRecord(raw, formatted), "f")
		if err != nil {
			if e != "" {
				t.Fatalf("both an email %q and an error %v", e, err)
			}
			checkValueError(t, err)
			return
		}
		if !ValidEmail(e) {
			t.Fatalf("returned invalid email %q", e)
		}
		if e != NormaliseEmail(e) || e != strings.TrimSpace(e) {
			t.Fatalf("email %q is not normalised", e)
		}
		// A normalised address is a fixed point: stored raw, it reads back
		// unchanged.
		raw2, _ := json.Marshal(map[string]string{"email": e})
		again, err := DecodeEmail(fuzzRecord(string(raw2), ""), "f")
		if err != nil || again != e {
			t.Fatalf("%q read back as %q, %v", e, again, err)
		}
	})
}

func FuzzDecodeNumber(f *testing.F) {
	f.Add(`"7.0"`, "")
	f.Add(`20879`, "")
	f.Add(`" 7 "`, "")
	f.Add("", "1,234.5")
	f.Add(`"seven"`, "")
	f.Fuzz(func(t *testing.T, raw, formatted string) {
		v, err := DecodeNumber(fuzzRecord(raw, formatted), "f")
		if err != nil {
			if v != nil {
				t.Fatalf("both a number %v and an error %v", *v, err)
			}
			checkValueError(t, err)
			return
		}
		if v == nil {
			return
		}
		if math.IsNaN(*v) || math.IsInf(*v, 0) {
			t.Fatalf("non-finite number %v", *v)
		}
		s := strconv.FormatFloat(*v, 'g', -1, 64)
		for _, raw2 := range []string{s, strconv.Quote(s)} {
			again, err := DecodeNumber(fuzzRecord(raw2, ""), "f")
			if err != nil || again == nil || *again != *v {
				t.Fatalf("%s read back as %v, %v; want %v", raw2, again, err, *v)
			}
		}
	})
}
