package syncer

import (
	"encoding/json"
	"testing"

	"knacksync/internal/dbtest"
	"knacksync/internal/knack"
)

// TestMirrorSafe checks what mirrorSafe drops, that Postgres jsonb takes
// every result, and that the text jsonb gives back is the text the decoder
// reads from the record as received: re-projecting the mirror gives the
// rows the live record gave.
func TestMirrorSafe(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`{"a":"plain"}`, `{"a":"plain"}`},
		{`{"a":"x\u0000y"}`, `{"a":"xy"}`},
		{`{"a":"\\u0000 is text"}`, `{"a":"\\u0000 is text"}`},
		{`{"a":"\\\u0000"}`, `{"a":"\\"}`},
		{"{\"a\":\"bad\xff\xfeutf8\"}", `{"a":"badutf8"}`},
		{`{"a":"\u00e9\"\u0000"}`, `{"a":"\u00e9\""}`},
		{`{"a":"Reach my \ud800target"}`, `{"a":"Reach my target"}`},
		{`{"a":"low \udc00 alone"}`, `{"a":"low  alone"}`},
		{`{"a":"pair \ud83d\ude00 kept"}`, `{"a":"pair \ud83d\ude00 kept"}`},
		{`{"a":"high at end \ud83d"}`, `{"a":"high at end "}`},
		// The simulator sends a byte that is not UTF-8 as \udcXX.
		{`{"a":"Revision is going \udcff\udcfewell."}`, `{"a":"Revision is going well."}`},
		{`{"a":"upper \uD800case"}`, `{"a":"upper case"}`},
		{`{"a":"reversed \udc00\ud800 pair"}`, `{"a":"reversed  pair"}`},
		{`{"a":"high, then a pair \ud800\ud83d\ude00"}`, `{"a":"high, then a pair \ud83d\ude00"}`},
		{`{"a":"escaped \\ud800 is text"}`, `{"a":"escaped \\ud800 is text"}`},
		{`{"a":"\ud800"}`, `{"a":""}`},
	}
	pool := dbtest.Connect(t, dbtest.EmptyURL(t))
	for _, tt := range tests {
		got := mirrorSafe([]byte(tt.in))
		if string(got) != tt.want {
			t.Errorf("mirrorSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
		var stored string
		if err := pool.QueryRow(t.Context(), `SELECT $1::text::jsonb ->> 'a'`, string(got)).Scan(&stored); err != nil {
			t.Errorf("jsonb rejects mirrorSafe(%q) = %q: %v", tt.in, got, err)
			continue
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal([]byte(tt.in), &fields); err != nil {
			t.Fatalf("test input %q: %v", tt.in, err)
		}
		live := knack.DecodeText(knack.Record{Fields: map[string]json.RawMessage{"a_raw": fields["a"]}}, "a")
		if stored != live {
			t.Errorf("%q: the mirror reads back %q, the decoder reads the record as received as %q", tt.in, stored, live)
		}
	}
}
