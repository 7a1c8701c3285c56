package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

// harnessFleet is a fleet of D1 databases on the workerd harness.
type harnessFleet struct {
	h       *cftest.Harness
	acct    string
	store   *cloudflare.Store
	src     Source
	dbs     []Database
	members []member
	ids     map[string]string // name -> id
}

// newHarnessFleet creates n databases named tenant-000… in a fresh account
// of h, in parallel, and opens one Store for them all.
func newHarnessFleet(t testing.TB, h *cftest.Harness, n int, gov *cloudflare.Governor) *harnessFleet {
	t.Helper()
	f := &harnessFleet{h: h, acct: h.NewAccount(t), ids: map[string]string{}}
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
			ids[i] = h.NewDatabase(t, f.acct, names[i])
		}()
	}
	wg.Wait()
	s, err := cloudflare.Open(context.Background(), cloudflare.Config{
		AccountID: f.acct, APIToken: h.Token, BaseURL: h.BaseURL, Environment: "fleet",
		Getenv: func(string) string { return "" }, Governor: gov,
		MaxAttempts: 2, MaxRetryWait: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	f.store = s
	f.src = NewCloudflare(s)
	for i := range n {
		f.ids[names[i]] = ids[i]
		f.dbs = append(f.dbs, Database{Name: names[i], ID: ids[i]})
		f.members = append(f.members, member{Name: names[i], ID: ids[i], Backend: s.WithDatabase(ids[i], names[i])})
	}
	return f
}

// requestsPerDatabase counts the harness's logged API requests per
// database name.
func (f *harnessFleet) requestsPerDatabase(t testing.TB) map[string]int {
	t.Helper()
	byID := map[string]string{}
	for name, id := range f.ids {
		byID[id] = name
	}
	out := map[string]int{}
	for _, r := range f.h.Requests(t, f.acct) {
		_, rest, ok := strings.Cut(r.Path, "/d1/database/")
		if !ok {
			continue
		}
		id, _, _ := strings.Cut(rest, "/")
		if name, ok := byID[id]; ok {
			out[name]++
		}
	}
	return out
}

// appliedBy returns, per database, the history rows rollout id applied.
func appliedBy(t testing.TB, ms []member, id string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, m := range ms {
		hist, err := applier.History(context.Background(), m.Backend.D1(), 0)
		if err != nil {
			t.Fatalf("history of %s: %v", m.Name, err)
		}
		for _, h := range hist {
			if h.Outcome == state.OutcomeApplied && strings.HasPrefix(h.PlanID, id+":") {
				out[m.Name]++
			}
		}
	}
	return out
}

// harnessSlots is the size of the harness these tests start: 200
// databases, the account's META and room to spare.
const harnessSlots = 256

var fleetHarness = struct {
	sync.Mutex
	h *cftest.Harness
}{}

// sizedHarness returns a harness with harnessSlots D1 slots shared by the
// tests of this file.
func sizedHarness(t testing.TB) *cftest.Harness {
	t.Helper()
	fleetHarness.Lock()
	defer fleetHarness.Unlock()
	if fleetHarness.h == nil {
		h, err := cftest.LaunchWith(cftest.Options{D1Slots: harnessSlots})
		if err != nil {
			t.Fatal(err)
		}
		fleetHarness.h = h
	}
	return fleetHarness.h
}

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperRollout())
	}
	code := cftest.Main(m)
	if fleetHarness.h != nil {
		fleetHarness.h.Close()
	}
	os.Exit(code)
}

// TestRolloutHarness200 rolls out to 200 harness databases in mixed
// states (fresh, current, drifted by hand, blocked by duplicates before a
// unique index, blocked by plan, unreachable) with the harness's rate
// limiter on: every database ends as its state says, an additive change
// costs at most 3 requests per database, and no request gets a 429.
func TestRolloutHarness200(t *testing.T) {
	if testing.Short() {
		t.Skip("200 databases: not with -short")
	}
	ctx := context.Background()
	h := sizedHarness(t)
	spec := loadSpec(t, tenantHCL)
	const n = 200
	// Our share of the API: 80 requests a second, the harness refuses
	// past 100 (Cloudflare: 1,200 per 5 minutes; the governor keeps to a
	// share of it), so the rollout runs at the limiter's edge.
	gov := cloudflare.NewGovernor(80, time.Second)
	f := newHarnessFleet(t, h, n, gov)
	states := []string{stateFresh, stateFresh, stateCurrent, stateDrifted, stateBlocked, stateNotNull, "unreachable"}
	stateOf := map[string]string{}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, m := range f.members {
		st := states[i%len(states)]
		if i == 0 {
			st = stateFresh // the control database holds the rollout lease
		}
		stateOf[m.Name] = st
		if st == "unreachable" {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			prepare(t, ctx, spec, "fleet", m.Backend.D1(), st)
		}()
	}
	wg.Wait()
	for name, st := range stateOf {
		if st == "unreachable" {
			h.SetUnreachable(t, f.acct, f.ids[name], 503)
		}
	}
	h.SetLimit(t, cftest.Limit{Account: f.acct, Limit: 100, Window: time.Second, Block: 5 * time.Second})
	h.ResetLog(t)

	start := time.Now()
	rep, err := Rollout(ctx, f.src, f.dbs, RolloutOptions{ID: NewRolloutID(time.Now()), Environment: "fleet",
		Spec: spec, CanaryPercent: 5, BatchSize: 50, Concurrency: 8, MaxFailures: n})
	if err != nil {
		for _, r := range rep.Results {
			if r.Status == OutcomeFailed {
				t.Logf("%s (%s): %s", r.Database, stateOf[r.Database], r.Reason)
			}
		}
		t.Fatalf("Rollout: %v", err)
	}
	t.Logf("200 databases rolled out in %s: %v", time.Since(start).Round(time.Millisecond), rep.Counts())
	want := map[string]Outcome{stateFresh: OutcomeDone, stateCurrent: OutcomeCurrent, stateDrifted: OutcomeDone,
		stateBlocked: OutcomeBlocked, stateNotNull: OutcomeBlocked, "unreachable": OutcomeFailed}
	for _, r := range rep.Results {
		if st := stateOf[r.Database]; r.Status != want[st] {
			t.Errorf("%s (%s): %s %s, want %s", r.Database, st, r.Status, r.Reason, want[st])
		}
	}
	if got := h.LimitRefused(t, f.acct); got != 0 {
		t.Errorf("the rate limiter refused %d requests, want 0", got)
	}
	reqs := f.requestsPerDatabase(t)
	for name, st := range stateOf {
		max := 3
		switch {
		case name == f.members[0].Name:
			max += 2 // the rollout lease: taken and released
		case st == stateCurrent || st == stateNotNull:
			max = 2
		case st == "unreachable":
			max = 2 // the first inspection request, tried twice
		}
		if reqs[name] > max {
			t.Errorf("%s (%s): %d requests, want at most %d", name, st, reqs[name], max)
		}
	}
	// History proves each change landed once, and only where planned.
	var reachable []member
	for _, m := range f.members {
		if stateOf[m.Name] != "unreachable" {
			reachable = append(reachable, m)
		}
	}
	applied := appliedBy(t, reachable, rep.Rollout)
	for _, m := range reachable {
		wantN := 0
		if want[stateOf[m.Name]] == OutcomeDone {
			wantN = 1
		}
		if applied[m.Name] != wantN {
			t.Errorf("%s (%s): applied %d times by the rollout, want %d", m.Name, stateOf[m.Name], applied[m.Name], wantN)
		}
	}
}

// TestRolloutHarnessKillResume runs a rollout over 200 fresh harness
// databases in another process, kills it with SIGKILL after a random
// number of databases, resumes it from the journal here, and checks from
// each database's history that every one was applied exactly once.
func TestRolloutHarnessKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("200 databases: not with -short")
	}
	ctx := context.Background()
	h := sizedHarness(t)
	spec := loadSpec(t, tenantHCL)
	const n = 200
	f := newHarnessFleet(t, h, n, nil)
	dir := t.TempDir()
	id := NewRolloutID(time.Now())
	cfg := helperConfig{BaseURL: h.BaseURL, Token: h.Token, Account: f.acct, Dir: dir, Rollout: id, Spec: tenantHCL}
	for _, m := range f.members {
		cfg.Names = append(cfg.Names, m.Name)
		cfg.IDs = append(cfg.IDs, m.ID)
	}
	b, _ := json.Marshal(cfg)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+string(b))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killAt := 20 + rand.IntN(120)
	path := JournalPath(dir, id)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		data, _ := os.ReadFile(path)
		if lines := strings.Count(string(data), "\n"); lines-1 >= killAt {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the rollout process recorded fewer than %d databases in 2 minutes", killAt)
		}
		time.Sleep(time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("rollout process ended with %v before the kill", err)
	}
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatalf("open journal after kill: %v", err)
	}
	recorded := len(j.Results())
	t.Logf("killed after %d recorded databases (asked for %d)", recorded, killAt)
	rep, err := Rollout(ctx, f.src, f.dbs, RolloutOptions{ID: id, Environment: "fleet", Spec: spec,
		Concurrency: 8, Journal: j})
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	resumed := 0
	for _, r := range rep.Results {
		if r.Status != OutcomeDone {
			t.Errorf("%s: %s %s after resume", r.Database, r.Status, r.Reason)
		}
		if r.Resumed {
			resumed++
		}
	}
	if resumed < recorded {
		t.Errorf("%d results came from the earlier run, want at least the %d recorded", resumed, recorded)
	}
	applied := appliedBy(t, f.members, id)
	for _, m := range f.members {
		if applied[m.Name] != 1 {
			t.Errorf("%s: applied %d times by rollout %s, want exactly once", m.Name, applied[m.Name], id)
		}
	}
}

// TestRolloutHarnessTwoAtOnce starts two rollouts of one fleet at the same
// moment: one proceeds, the other is refused naming it.
func TestRolloutHarnessTwoAtOnce(t *testing.T) {
	ctx := context.Background()
	h := cftest.Shared(t)
	spec := loadSpec(t, tenantHCL)
	f := newHarnessFleet(t, h, 10, nil)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	reps := make([]*RolloutReport, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i], errs[i] = Rollout(ctx, f.src, f.dbs, RolloutOptions{ID: fmt.Sprintf("r-at-once-%d", i), Spec: spec, Concurrency: 4})
		}()
	}
	wg.Wait()
	var ok, refused int
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
			if c := reps[i].Counts(); c[OutcomeDone] != 10 {
				t.Errorf("the rollout that ran: %v, want 10 done", c)
			}
		case errors.Is(err, applier.ErrRolloutLocked) && strings.Contains(err.Error(), "r-at-once-"):
			refused++
		default:
			t.Errorf("rollout %d: %v", i, err)
		}
	}
	if ok != 1 || refused != 1 {
		t.Errorf("%d ran and %d were refused, want 1 and 1", ok, refused)
	}
}

// helperEnv carries the helper process's configuration.
const helperEnv = "DMPLAN_FLEET_ROLLOUT_HELPER"

type helperConfig struct {
	BaseURL, Token, Account, Dir, Rollout, Spec string
	Names, IDs                                  []string
}

// helperRollout runs a rollout as TestRolloutHarnessKillResume's child
// process, until it is killed.
func helperRollout() int {
	var cfg helperConfig
	if err := json.Unmarshal([]byte(os.Getenv(helperEnv)), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	ctx := context.Background()
	spec, diags := hclspec.LoadSources("shop", map[string][]byte{"models.dm.hcl": []byte(cfg.Spec)})
	if diags.HasErrors() {
		fmt.Fprintln(os.Stderr, "helper:", diags.Error())
		return 2
	}
	s, err := cloudflare.Open(ctx, cloudflare.Config{AccountID: cfg.Account, APIToken: cfg.Token, BaseURL: cfg.BaseURL,
		Getenv: func(string) string { return "" }})
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	var dbs []Database
	for i, name := range cfg.Names {
		dbs = append(dbs, Database{Name: name, ID: cfg.IDs[i]})
	}
	j, err := CreateJournal(cfg.Dir, JournalHeader{Rollout: cfg.Rollout, Environment: "fleet", Started: time.Now()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	if _, err := Rollout(ctx, NewCloudflare(s), dbs, RolloutOptions{ID: cfg.Rollout, Environment: "fleet", Spec: spec,
		Concurrency: 8, Journal: j}); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	return 0
}
