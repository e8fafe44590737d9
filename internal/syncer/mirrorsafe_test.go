package syncer

import "testing"

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
	}
	for _, tt := range tests {
		if got := string(mirrorSafe([]byte(tt.in))); got != tt.want {
			t.Errorf("mirrorSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
