package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	"github.com/dmplan/dmplan/fleet"
	"github.com/dmplan/dmplan/state"
)

const fleetApplyHCL = `project "shop" {}

environment "fleet" {
  backend    = "cloudflare"
  account_id = env.CF_ACCOUNT
  databases { prefix = "tenant-" }
}

model "PAGE" {
  options {
    user_tracking = false
    soft_delete   = false
  }
  field "url" { type = string }
  d1 {
    sync_fields = ["url"]
    index "by_url" { columns = ["url"] }
  }
}
`

// TestFleetApplyHarness runs the real dmplan binary over 60 harness
// databases: fresh, drifted by hand and current. `apply -env fleet` costs
// at most 3 requests per database, its plan included. Then a new field's
// rollout is killed with SIGKILL part way; the next apply continues it
// (same rollout id) and every database's history shows the change
// applied exactly once.
func TestFleetApplyHarness(t *testing.T) {
	if testing.Short() {
		t.Skip("60 databases: not with -short")
	}
	bin, err := exec.LookPath("dmplan") // the test binary as dmplan (TestMain)
	if err != nil {
		t.Fatalf("dmplan is not on PATH: %v", err)
	}
	ctx := context.Background()
	h := cftest.StartWith(t, cftest.Options{D1Slots: 80})
	acct := h.NewAccount(t)
	const n = 60
	names := make([]string, n)
	ids := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range n {
		names[i] = fmt.Sprintf("tenant-%03d", i)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ids[i] = h.NewDatabase(t, acct, names[i])
		}()
	}
	wg.Wait()
	store, err := cloudflare.Open(ctx, cloudflare.Config{AccountID: acct, APIToken: h.Token, BaseURL: h.BaseURL,
		Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	d1 := func(i int) backend.D1 { return store.WithDatabase(ids[i], names[i]).D1() }
	// Every tenth database drifted by hand: the table without its index.
	for i := 5; i < n; i += 10 {
		if _, err := d1(i).Query(ctx, backend.Stmt{SQL: `CREATE TABLE page (page_id TEXT PRIMARY KEY NOT NULL, url TEXT,
  created_at TEXT, updated_at TEXT)`}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	write := func(src string) {
		if err := os.WriteFile(filepath.Join(dir, "shop.dm.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(fleetApplyHCL)
	env := append(os.Environ(), "CF_ACCOUNT="+acct, "CLOUDFLARE_API_TOKEN="+h.Token, "CLOUDFLARE_BASE_URL="+h.BaseURL, "NO_COLOR=1")
	run := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}

	h.ResetLog(t)
	out, err := run("apply", "-env", "fleet", "-auto-approve", "-canary", "5%", "-batch", "20", dir)
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if !strings.Contains(out, "60 done · 0 current") {
		t.Errorf("report:\n%s", out)
	}
	perDB := map[string]int{}
	other := 0
	for _, r := range h.Requests(t, acct) {
		_, rest, ok := strings.Cut(r.Path, "/d1/database/")
		id, _, _ := strings.Cut(rest, "/")
		if ok && id != "" {
			perDB[id]++
		} else {
			other++
		}
	}
	for i := range n {
		// The first database also holds the rollout lease (take, release).
		limit := 3
		if i == 0 {
			limit = 5
		}
		if got := perDB[ids[i]]; got > limit {
			t.Errorf("%s: %d requests, want at most %d", names[i], got, limit)
		}
	}
	t.Logf("apply over %d databases: %d requests to databases, %d others (list, namespaces)", n, sum(perDB), other)

	// A new field; the rollout is killed after a random share of it.
	write(strings.Replace(fleetApplyHCL, `field "url" { type = string }`, `field "url" { type = string }
  field "title" { type = string }`, 1))
	write(strings.Replace(string(must(os.ReadFile(filepath.Join(dir, "shop.dm.hcl")))), `sync_fields = ["url"]`, `sync_fields = ["url", "title"]`, 1))
	cmd := exec.Command(bin, "apply", "-env", "fleet", "-auto-approve", "-concurrency", "4", dir)
	cmd.Env = env
	var killedOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &killedOut, &killedOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	journals := filepath.Join(dir, rolloutDir)
	killAt := 10 + int(time.Now().UnixNano()%30)
	deadline := time.Now().Add(2 * time.Minute)
	var journal string
	for {
		if p, _ := fleet.LatestUnfinished(journals, "fleet"); p != "" {
			if data, _ := os.ReadFile(p); strings.Count(string(data), "\n")-1 >= killAt {
				journal = p
				break
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the rollout recorded fewer than %d databases in 2 minutes:\n%s", killAt, &killedOut)
		}
		time.Sleep(time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("apply ended with %v before the kill:\n%s", err, &killedOut)
	}
	id := strings.TrimSuffix(filepath.Base(journal), ".jsonl")

	out, err = run("apply", "-env", "fleet", "-auto-approve", dir)
	if err != nil {
		t.Fatalf("apply after the kill: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Continuing rollout "+id) {
		t.Errorf("the second apply did not continue rollout %s:\n%s", id, out)
	}
	for i := range n {
		hist, err := applier.History(ctx, d1(i), 0)
		if err != nil {
			t.Fatal(err)
		}
		applied := 0
		for _, r := range hist {
			if r.Outcome == state.OutcomeApplied && strings.HasPrefix(r.PlanID, id+":") {
				applied++
			}
		}
		if applied != 1 {
			t.Errorf("%s: rollout %s applied %d times, want exactly once", names[i], id, applied)
		}
	}
	if p, _ := fleet.LatestUnfinished(journals, "fleet"); p != "" {
		t.Errorf("rollout %s still unfinished after the resumed apply", p)
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestFleetApplyInterrupt: a first Ctrl-C while a database's batch is in
// flight lets it finish and be recorded, starts no other database, says
// how to resume and exits 1; the next apply continues the same rollout
// and finishes it.
func TestFleetApplyInterrupt(t *testing.T) {
	bin, err := exec.LookPath("dmplan")
	if err != nil {
		t.Fatalf("dmplan is not on PATH: %v", err)
	}
	h := cftest.Shared(t)
	acct := h.NewAccount(t)
	for i := range 5 {
		h.NewDatabase(t, acct, fmt.Sprintf("tenant-%d", i))
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "shop.dm.hcl"), []byte(fleetApplyHCL), 0o644); err != nil {
		t.Fatal(err)
	}
	proxy := newHoldProxy(t, h.BaseURL, `CREATE TABLE \"page\"`)
	cmd := exec.Command(bin, "apply", "-auto-approve", "-env", "fleet", "-concurrency", "1", dir)
	cmd.Env = append(os.Environ(), "CF_ACCOUNT="+acct, "CLOUDFLARE_API_TOKEN="+h.Token, "CLOUDFLARE_BASE_URL="+proxy.URL, "NO_COLOR=1")
	var stdout bytes.Buffer
	stderr := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill()
	select {
	case <-proxy.held:
	case err := <-exited:
		t.Fatalf("apply ended before its first batch: %v\n%s%s", err, &stdout, stderr)
	case <-time.After(2 * time.Minute):
		t.Fatalf("the first batch never came:\n%s%s", &stdout, stderr)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	waitFor(t, stderr, "Interrupt received")
	proxy.let()
	err = <-exited
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitError {
		t.Fatalf("interrupted apply: %v, want exit %d\n%s%s", err, exitError, &stdout, stderr)
	}
	out := stdout.String()
	for _, want := range []string{"1 done · 0 current · 0 blocked · 0 failed · 4 skipped", "Stopped: interrupted.", "-resume r"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	code, out := runOut(t, map[string]string{"CF_ACCOUNT": acct, "CLOUDFLARE_API_TOKEN": h.Token, "CLOUDFLARE_BASE_URL": h.BaseURL, "NO_COLOR": "1"},
		"apply", "-auto-approve", "-env", "fleet", dir)
	if code != exitOK || !strings.Contains(out, "Continuing rollout r") || !strings.Contains(out, "5 done · 0 current") {
		t.Errorf("resumed apply: exit %d\n%s", code, out)
	}
}
