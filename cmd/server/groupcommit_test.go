package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"knacksync/internal/dbtest"
)

// Webhook requests share transactions (group commit), yet a 202 is a
// promise: `serve` killed with SIGKILL under load has every hint it
// answered 202 for in the database.
func TestAcceptedHintsSurviveSIGKILL(t *testing.T) {
	t.Parallel()
	bin, err := serverBinary()
	if err != nil {
		t.Fatal(err)
	}
	dbURL := dbtest.URL(t)
	pool := dbtest.Connect(t, dbURL)
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	const secret = "group-commit-secret-0123456789"
	// No Knack app: hints are queued and stay, nothing takes them.
	cmd := exec.Command(bin, "serve", "--addr", addr)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "WEBHOOK_SECRET="+secret, "LOG_LEVEL=error", "WEBHOOK_RATE_LIMIT=1000000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := "http://" + addr
	if err := waitReady(t.Context(), base); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var accepted []string
	var next atomic.Int64
	var stop atomic.Bool
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for !stop.Load() {
				id := fmt.Sprintf("%024x", next.Add(1))
				body := fmt.Sprintf(`{"object":"object_10","record_id":%q,"event":"update"}`, id)
				req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/knack", bytes.NewBufferString(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Webhook-Secret", secret)
				resp, err := hc.Do(req)
				if err != nil {
					continue // the server is gone
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted {
					mu.Lock()
					accepted = append(accepted, id)
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(1500 * time.Millisecond)
	_ = cmd.Process.Kill()
	time.Sleep(300 * time.Millisecond)
	stop.Store(true)
	wg.Wait()

	if len(accepted) < 100 {
		t.Fatalf("only %d hints accepted before the kill: the load did not run", len(accepted))
	}
	var stored int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM knacksync.hints WHERE object = 'object_10' AND record_id = ANY($1)`, accepted).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != len(accepted) {
		t.Errorf("%d hints answered 202 before SIGKILL, %d of them in the database", len(accepted), stored)
	}
	t.Logf("%d hints accepted before SIGKILL, %d requests sent", len(accepted), next.Load())
}
