// Package fleetbench measures a fleet plan and rollout over 1,000 D1
// databases on the workerd harness: requests per database, wall time and
// peak memory. It runs only when DMPLAN_FLEETBENCH=1 (about two minutes
// and 1.5 GB for the harness), so `make test` does not pay for it:
//
//	DMPLAN_FLEETBENCH=1 go test -count=1 -run TestFleet1000 -v ./internal/fleetbench/
package fleetbench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	"github.com/dmplan/dmplan/fleet"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
)

const benchHCL = `
project "shop" {}

model "PAGE" {
  options { user_tracking = false }
  field "project_id" {
    type     = string
    required = true
  }
  field "url" {
    type     = string
    required = true
  }
  field "title" { type = string }
  kv { namespace = "PAGES" }
  d1 {
    table       = "page_meta"
    sync_fields = ["project_id", "url", "title"]
    index "by_project" { columns = ["project_id"] }
  }
}
`

// TestFleet1000 plans and rolls out one spec to 1,000 fresh databases,
// then plans and rolls out an added column to the same 1,000.
func TestFleet1000(t *testing.T) {
	if os.Getenv("DMPLAN_FLEETBENCH") != "1" {
		t.Skip("set DMPLAN_FLEETBENCH=1 to run the 1,000-database benchmark")
	}
	n := 1000
	if s := os.Getenv("DMPLAN_FLEETBENCH_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	start := time.Now()
	h := cftest.StartWith(t, cftest.Options{D1Slots: n + 16})
	t.Logf("harness with %d D1 slots ready in %s, RSS %s", n+16, time.Since(start).Round(time.Millisecond), mib(treeRSS(h.Pid())))
	acct := h.NewAccount(t)
	start = time.Now()
	dbs := make([]fleet.Database, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			name := fmt.Sprintf("tenant-%04d", i)
			dbs[i] = fleet.Database{Name: name, ID: h.NewDatabase(t, acct, name)}
		}()
	}
	wg.Wait()
	t.Logf("%d databases created in %s", n, time.Since(start).Round(time.Millisecond))

	store, err := cloudflare.Open(ctx, cloudflare.Config{AccountID: acct, APIToken: h.Token, BaseURL: h.BaseURL,
		Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	src := fleet.NewCloudflare(store)
	var peakHeap atomic.Uint64
	stopSampling := sampleHeap(&peakHeap)
	defer stopSampling()

	round := func(label, hcl string) {
		spec, diags := hclspec.LoadSources("shop", map[string][]byte{"models.dm.hcl": []byte(hcl)})
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		before := store.Requests()
		t0 := time.Now()
		res, err := fleet.PlanFleet(ctx, spec, "fleet", nil, src, dbs, fleet.Options{Parallel: 16})
		if err != nil {
			t.Fatal(err)
		}
		planReqs, planTime := store.Requests()-before, time.Since(t0)
		planned := map[string]*planner.Plan{}
		for _, g := range res.Groups {
			for _, name := range g.Databases {
				planned[name] = g.Plan
			}
		}
		before = store.Requests()
		t0 = time.Now()
		rep, err := fleet.Rollout(ctx, src, dbs, fleet.RolloutOptions{Environment: "fleet", Spec: spec,
			Planned:     func(db fleet.Database) *planner.Plan { return planned[db.Name] },
			Concurrency: 16, CanaryPercent: 1, BatchSize: 250})
		if err != nil {
			t.Fatalf("rollout: %v", err)
		}
		applyReqs, applyTime := store.Requests()-before, time.Since(t0)
		if c := rep.Counts(); c[fleet.OutcomeDone] != n {
			t.Fatalf("%s: %v, want %d done", label, c, n)
		}
		t.Logf("%s: plan %d requests (%.2f/database) in %s, %d groups; apply %d requests (%.2f/database) in %s; total %.2f requests/database",
			label, planReqs, float64(planReqs)/float64(n), planTime.Round(time.Millisecond), len(res.Groups),
			applyReqs, float64(applyReqs)/float64(n), applyTime.Round(time.Millisecond), float64(planReqs+applyReqs)/float64(n))
	}
	round("create table + index on fresh databases", benchHCL)
	round("add column on existing tables", strings.Replace(strings.Replace(benchHCL,
		`field "title" { type = string }`, "field \"title\" { type = string }\n  field \"lang\" { type = string }", 1),
		`["project_id", "url", "title"]`, `["project_id", "url", "title", "lang"]`, 1))

	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	t.Logf("dmplan side: peak Go heap in use %s, max RSS of the test process %s; harness (node + workerd) RSS now %s",
		mib(peakHeap.Load()), mib(uint64(ru.Maxrss)*1024), mib(treeRSS(h.Pid())))
}

// sampleHeap records the peak HeapInuse every 50 ms until stopped.
func sampleHeap(peak *atomic.Uint64) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done) }
}

// treeRSS is the resident memory of pid and its descendants (Linux; 0
// elsewhere).
func treeRSS(pid int) uint64 {
	var total uint64
	var walk func(int)
	walk = func(p int) {
		total += rss(p)
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", p, p))
		if err != nil {
			return
		}
		for _, f := range strings.Fields(string(data)) {
			if c, err := strconv.Atoi(f); err == nil {
				walk(c)
			}
		}
	}
	walk(pid)
	return total
}

func rss(pid int) uint64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func mib(b uint64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
