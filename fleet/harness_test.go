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
// limiter on. The rollout's process is killed with SIGKILL part way and
// the rollout resumed here: every database ends as its state says, history
// shows each change applied exactly once and only where planned, an
// additive change costs at most 3 requests per database (none on resume
// for one the journal finished), and no request gets a 429.
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

	// The rollout runs in another process, killed with SIGKILL once it
	// has recorded a random number of databases.
	dir := t.TempDir()
	id := NewRolloutID(time.Now())
	start := time.Now()
	killRollout(t, helperConfig{BaseURL: h.BaseURL, Token: h.Token, Account: f.acct, Dir: dir, Rollout: id, Spec: tenantHCL,
		Names: names(f.dbs), IDs: ids(f.dbs), Governed: true}, 20+rand.IntN(120))
	first := f.requestsPerDatabase(t)
	j, err := OpenJournal(JournalPath(dir, id))
	if err != nil {
		t.Fatalf("open the journal after the kill: %v", err)
	}
	recorded := map[string]bool{} // finished before the kill, by the journal
	for _, r := range j.Results() {
		_, recorded[r.Database] = j.Final(r.Database)
	}
	// A restarted process: its governor starts empty, so wait out the
	// window the killed one may have filled.
	time.Sleep(time.Second)
	h.ResetLog(t)
	rep, err := Rollout(ctx, f.src, f.dbs, RolloutOptions{ID: id, Environment: "fleet", Journal: j,
		Spec: spec, CanaryPercent: 5, BatchSize: 50, Concurrency: 8, MaxFailures: n})
	if err != nil {
		for _, r := range rep.Results {
			if r.Status == OutcomeFailed {
				t.Logf("%s (%s): %s", r.Database, stateOf[r.Database], r.Reason)
			}
		}
		t.Fatalf("Rollout: %v", err)
	}
	t.Logf("200 databases rolled out in %s, killed after %d recorded and resumed: %v",
		time.Since(start).Round(time.Millisecond), len(recorded), rep.Counts())
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
	// Requests: at most 3 per database for the whole rollout (2 for one
	// with nothing to apply); none on resume for a database the journal
	// recorded as finished; a database in flight at the kill is inspected
	// again (2 more).
	second := f.requestsPerDatabase(t)
	for name, st := range stateOf {
		max := 3
		switch {
		case st == stateCurrent || st == stateNotNull:
			max = 2
		case st == "unreachable":
			max = 2 // the first inspection request, tried twice
		}
		if name == f.members[0].Name {
			max += 4 // the rollout lease, taken and released by both runs
		}
		if recorded[name] && second[name] > 0 && name != f.members[0].Name {
			t.Errorf("%s (%s): %d requests on resume, want none (the journal has it)", name, st, second[name])
		}
		if first[name] > max || second[name] > max {
			t.Errorf("%s (%s): %d then %d requests, want at most %d in each run", name, st, first[name], second[name], max)
		}
		if (st == stateFresh || st == stateDrifted) && first[name]+second[name] > max+2 {
			t.Errorf("%s (%s): %d+%d requests, want at most %d", name, st, first[name], second[name], max+2)
		}
	}
	// History proves each change landed once, and only where planned.
	var reachable []member
	for _, m := range f.members {
		if stateOf[m.Name] != "unreachable" {
			reachable = append(reachable, m)
		}
	}
	applied := appliedBy(t, reachable, id)
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

// killRollout runs a rollout in a child process (helperRollout) and kills
// it with SIGKILL once its journal records killAt databases.
func killRollout(t *testing.T, cfg helperConfig, killAt int) {
	t.Helper()
	b, _ := json.Marshal(cfg)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+string(b))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	path := JournalPath(cfg.Dir, cfg.Rollout)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		data, _ := os.ReadFile(path)
		if lines := strings.Count(string(data), "\n"); lines-1 >= killAt {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
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
		t.Fatalf("the rollout process ended with %v before the kill", err)
	}
}

func names(dbs []Database) []string {
	out := make([]string, len(dbs))
	for i, d := range dbs {
		out[i] = d.Name
	}
	return out
}

func ids(dbs []Database) []string {
	out := make([]string, len(dbs))
	for i, d := range dbs {
		out[i] = d.ID
	}
	return out
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
	// Governed keeps the child to the test's governor and retry bounds.
	Governed bool
}

// helperRollout runs a rollout as killRollout's child process, until it
// is killed.
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
	conf := cloudflare.Config{AccountID: cfg.Account, APIToken: cfg.Token, BaseURL: cfg.BaseURL,
		Getenv: func(string) string { return "" }}
	if cfg.Governed {
		conf.Governor = cloudflare.NewGovernor(80, time.Second)
		conf.MaxAttempts, conf.MaxRetryWait = 2, 200*time.Millisecond
	}
	s, err := cloudflare.Open(ctx, conf)
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
		CanaryPercent: 5, BatchSize: 50, Concurrency: 8, MaxFailures: len(dbs), Journal: j}); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	return 0
}
