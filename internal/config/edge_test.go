package config

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTrustedProxies(t *testing.T) {
	t.Parallel()
	c, err := Load(getenv(nil))
	if err != nil || len(c.TrustedProxies) != 0 {
		t.Fatalf("default: %v %v, want none trusted", c.TrustedProxies, err)
	}
	c, err = Load(getenv(map[string]string{"TRUSTED_PROXIES": " 172.16.0.0/12, fdaa::/16,10.1.2.3 ,"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("fdaa::/16"), netip.MustParsePrefix("10.1.2.3/32")}
	if diff := cmp.Diff(want, c.TrustedProxies, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("TRUSTED_PROXIES mismatch (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"fly", "172.16.0.0/33", "300.1.1.1"} {
		if _, err := Load(getenv(map[string]string{"TRUSTED_PROXIES": bad})); err == nil {
			t.Errorf("TRUSTED_PROXIES=%q accepted", bad)
		}
	}
}

func TestDatabaseTimeouts(t *testing.T) {
	t.Parallel()
	c, err := Load(getenv(nil))
	if err != nil {
		t.Fatal(err)
	}
	got := []time.Duration{c.RequestStatementTimeout, c.RequestLockTimeout, c.SyncStatementTimeout, c.SyncLockTimeout}
	if diff := cmp.Diff([]time.Duration{30 * time.Second, 10 * time.Second, 30 * time.Minute, 10 * time.Minute}, got); diff != "" {
		t.Errorf("defaults mismatch (-want +got):\n%s", diff)
	}
	c, err = Load(getenv(map[string]string{"DATABASE_STATEMENT_TIMEOUT": "5s", "DATABASE_LOCK_TIMEOUT": "0", "SYNC_STATEMENT_TIMEOUT": "2h", "SYNC_LOCK_TIMEOUT": "0s"}))
	if err != nil {
		t.Fatal(err)
	}
	got = []time.Duration{c.RequestStatementTimeout, c.RequestLockTimeout, c.SyncStatementTimeout, c.SyncLockTimeout}
	if diff := cmp.Diff([]time.Duration{5 * time.Second, 0, 2 * time.Hour, 0}, got); diff != "" {
		t.Errorf("set mismatch (-want +got):\n%s", diff)
	}
	for _, name := range []string{"DATABASE_STATEMENT_TIMEOUT", "DATABASE_LOCK_TIMEOUT", "SYNC_STATEMENT_TIMEOUT", "SYNC_LOCK_TIMEOUT"} {
		for _, bad := range []string{"10", "-1s", "soon"} {
			if _, err := Load(getenv(map[string]string{name: bad})); err == nil {
				t.Errorf("%s=%q accepted", name, bad)
			}
		}
	}
}
