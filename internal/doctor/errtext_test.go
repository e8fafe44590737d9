package doctor

import (
	"context"
	"net"
	"strings"
	"testing"

	"knacksync/internal/config"
)

// A refused connection is said once: pgx tries TLS and then plain text on
// the same address, and its error listed both identical attempts.
func TestDatabaseUnreachableSaidOnce(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	cfg := config.Config{DatabaseURL: "postgres://postgres@" + addr + "/x"}
	s := &session{cfg: cfg, opts: Options{Timeout: DefaultTimeout}, scrub: scrubber(cfg)}
	res := checkDatabase(context.Background(), s)
	if len(res) != 1 || res[0].Status != Fail {
		t.Fatalf("results %+v, want one FAIL", res)
	}
	if n := strings.Count(res[0].Detail, "connection refused"); n != 1 {
		t.Errorf("%q says %q %d times, want once", res[0].Detail, "connection refused", n)
	}
}

// A short development password is hidden where it stands alone, never
// inside words (it turned object_2 into oxxxxxject_2).
func TestScrubberShortSecret(t *testing.T) {
	t.Parallel()
	scrub := scrubber(config.Config{AdminPassword: "b"})
	if got, want := scrub("object_2 failed; password b; b"), "object_2 failed; password xxxxx; xxxxx"; got != want {
		t.Errorf("scrub = %q, want %q", got, want)
	}
}
