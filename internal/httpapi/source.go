package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// headerFlyClientIP is the client's address as Fly.io's proxy saw it. The
// proxy sets it on every request it forwards; anyone else can write it too,
// so it is believed only on connections from a trusted proxy.
const headerFlyClientIP = "Fly-Client-IP"

// sourceOf names the request's sender for the per-source limits (webhook
// rate, admin password back-off): the connection's IP address, or, when
// the connection comes from one of Deps.TrustedProxies, the Fly-Client-IP
// that proxy set. X-Forwarded-For, X-Real-IP and Forwarded are never read:
// a client writes them as it likes, and Fly's proxy appends to them
// rather than replacing them.
func (s *Server) sourceOf(req *http.Request) string {
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		host = req.RemoteAddr
	}
	if len(s.deps.TrustedProxies) == 0 {
		return host
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !s.trustedProxy(peer.Unmap()) {
		return host
	}
	// One value, an address: a proxy that appends rather than sets would
	// give two, and then none is trusted.
	vs := req.Header.Values(headerFlyClientIP)
	if len(vs) != 1 {
		return host
	}
	client, err := netip.ParseAddr(strings.TrimSpace(vs[0]))
	if err != nil {
		return host
	}
	return client.Unmap().String()
}

func (s *Server) trustedProxy(addr netip.Addr) bool {
	for _, p := range s.deps.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
