package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func mustPrefixes(t *testing.T, cidrs ...string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// Fly-Client-IP names the source only on a connection from a trusted
// proxy; other forwarding headers never do.
func TestSourceOf(t *testing.T) {
	t.Parallel()
	trusting := &Server{deps: Deps{TrustedProxies: mustPrefixes(t, "172.16.0.0/12", "fdaa::/16")}}
	plain := &Server{}
	for _, tt := range []struct {
		name    string
		s       *Server
		remote  string
		headers map[string][]string
		want    string
	}{
		{"no proxy configured", plain, "172.16.1.1:80", map[string][]string{"Fly-Client-IP": {"198.51.100.1"}}, "172.16.1.1"},
		{"from the proxy", trusting, "172.16.1.1:80", map[string][]string{"Fly-Client-IP": {"198.51.100.1"}}, "198.51.100.1"},
		{"from the proxy over IPv6", trusting, "[fdaa::3]:80", map[string][]string{"Fly-Client-IP": {"2001:db8::1"}}, "2001:db8::1"},
		{"IPv4-mapped proxy address", trusting, "[::ffff:172.16.1.1]:80", map[string][]string{"Fly-Client-IP": {"198.51.100.1"}}, "198.51.100.1"},
		{"not from the proxy", trusting, "198.51.100.7:80", map[string][]string{"Fly-Client-IP": {"10.0.0.1"}}, "198.51.100.7"},
		{"from the proxy, no header", trusting, "172.16.1.1:80", nil, "172.16.1.1"},
		{"from the proxy, two values", trusting, "172.16.1.1:80", map[string][]string{"Fly-Client-IP": {"198.51.100.1", "198.51.100.2"}}, "172.16.1.1"},
		{"from the proxy, not an address", trusting, "172.16.1.1:80", map[string][]string{"Fly-Client-IP": {"evil"}}, "172.16.1.1"},
		{"other headers ignored", trusting, "198.51.100.7:80", map[string][]string{
			"X-Forwarded-For": {"10.0.0.1"}, "X-Real-Ip": {"10.0.0.2"}, "Forwarded": {"for=10.0.0.3"}}, "198.51.100.7"},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tt.remote
		for k, vs := range tt.headers {
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
		if got := tt.s.sourceOf(req); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
