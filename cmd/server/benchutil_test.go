package main

import "testing"

// The demo's and the benches' database sits next to the configured one,
// with the same credentials and parameters.
func TestWithDatabase(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"postgres://postgres@127.0.0.1:5432/knacksync?sslmode=disable", "postgres://postgres@127.0.0.1:5432/knacksync_demo?sslmode=disable"},
		{"postgres://app:s3cret@db.example:6543/postgres?sslmode=require&pool_max_conns=8", "postgres://app:s3cret@db.example:6543/knacksync_demo?sslmode=require&pool_max_conns=8"},
	}
	for _, tt := range tests {
		if got := withDatabase(tt.in, "knacksync_demo"); got != tt.want {
			t.Errorf("withDatabase(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
