package flowtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
	"github.com/dmplan/dmplan/state"
)

// demoEnv holds the values the examples read with env.X: the admin seed's
// credentials and the webhook URL.
var demoEnv = map[string]string{
	"ADMIN_EMAIL":      "admin@example.com",
	"ADMIN_PASSWORD":   "demo-password-1",
	"PAGE_WEBHOOK_URL": "https://hooks.example.com/pages",
}

func demoGetenv(name string) (string, bool) {
	v, ok := demoEnv[name]
	return v, ok
}

// flow is the lifecycle of the repository's examples on one backend: plan
// against the empty target, apply, plan again, evolve the spec, then
// runtime CRUD. Its steps share state and run in order.
type flow struct {
	b    backend.Backend
	env  string // a unique environment, so namespace titles never collide
	spec *hclspec.Spec
	log  *slog.Logger
}

// runFlow runs the flow on examples/. The examples' tables have fixed
// names, so the backend's database must not hold them yet; they are
// dropped when the group ends (the KV namespaces stay).
func runFlow(t *testing.T, b backend.Backend) {
	spec := loadExamples(t, nil)
	f := &flow{b: b, env: unique("flow"), spec: spec, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx := context.Background()
	live, err := backend.Inspect(ctx, b.D1(), b.KV())
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	for _, m := range spec.Models {
		if live.Table(m.D1.Table) != nil {
			t.Fatalf("the database already holds table %s; the flow needs a database without the examples' tables", m.D1.Table)
		}
	}
	t.Cleanup(func() { f.dropTables(t) })
	for _, step := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"PlanApplyReplan", f.planApplyReplan},
		{"AddSyncedField", f.addSyncedField},
		{"CRUD", f.crud},
	} {
		if !t.Run(step.name, step.run) {
			return // later steps build on this one
		}
	}
}

// examplesDir finds examples/ in the repository holding the test's
// working directory.
func examplesDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "examples")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// loadExamples loads examples/, with edit (when set) changing the sources
// first: edit gets a copy of the files by name.
func loadExamples(t *testing.T, edit func(t *testing.T, srcs map[string][]byte)) *hclspec.Spec {
	t.Helper()
	spec, diags := hclspec.LoadDir(examplesDir(t))
	if diags.HasErrors() {
		t.Fatalf("load examples: %s", diags.Error())
	}
	if edit == nil {
		return spec
	}
	srcs := maps.Clone(spec.Sources)
	edit(t, srcs)
	spec, diags = hclspec.LoadSources(spec.Project.Name, srcs)
	if diags.HasErrors() {
		t.Fatalf("load edited examples: %s", diags.Error())
	}
	return spec
}

// open opens the runtime on the flow's backend and environment.
func (f *flow) open(t *testing.T, spec *hclspec.Spec) *runtime.Datastore {
	t.Helper()
	ds, err := runtime.Open(context.Background(), spec, f.b, runtime.WithEnvironment(f.env), runtime.WithLogger(f.log))
	if err != nil {
		t.Fatalf("runtime.Open: %v", err)
	}
	return ds
}

// plan inspects the target and plans spec against it, with the seeds'
// status, the way dmplan plan does. It returns the seeder for apply.
func (f *flow) plan(t *testing.T, spec *hclspec.Spec) (*planner.Plan, *operator.Seeds) {
	t.Helper()
	ctx := context.Background()
	live, err := backend.Inspect(ctx, f.b.D1(), f.b.KV())
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	seeds := operator.NewSeeds(f.open(t, spec), demoGetenv)
	status, err := seeds.Status(ctx, live)
	if err != nil {
		t.Fatalf("seed status: %v", err)
	}
	return planner.Diff(spec, f.env, live, planner.WithSeedStatus(status)), seeds
}

func (f *flow) apply(t *testing.T, p *planner.Plan, seeds *operator.Seeds) *applier.Report {
	t.Helper()
	rep, err := applier.Apply(context.Background(), f.b, p, applier.Options{
		ToolVersion: "flowtest", Actor: "flowtest", Seeder: seeds, Logger: f.log,
	})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return rep
}

func (f *flow) history(t *testing.T) []state.HistoryRecord {
	t.Helper()
	h, err := applier.History(context.Background(), f.b.D1(), 0)
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	return h
}

func (f *flow) planApplyReplan(t *testing.T) {
	ctx := context.Background()
	p, seeds := f.plan(t, f.spec)
	if b := p.Blocked(); len(b) > 0 {
		t.Fatalf("blocked steps on an empty target: %+v", b)
	}
	titles := map[string]bool{}
	want := map[planner.Action]int{planner.Seed: len(f.spec.Seeds)}
	for _, m := range f.spec.Models {
		want[planner.CreateTable]++
		want[planner.CreateIndex] += len(m.D1.Indexes)
		titles[f.spec.NamespaceTitle(f.env, m.KV.Namespace)] = true
	}
	want[planner.CreateNamespace] = len(titles)
	if d := cmp.Diff(want, p.Counts()); d != "" {
		t.Fatalf("first plan's steps by action (-want +got):\n%s", d)
	}

	rep := f.apply(t, p, seeds)
	if rep.Outcome != state.OutcomeApplied {
		t.Fatalf("apply outcome %q, want %q", rep.Outcome, state.OutcomeApplied)
	}
	live, err := backend.Inspect(ctx, f.b.D1(), f.b.KV())
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	// History records the namespaces the apply created, ids included, and
	// they are the namespaces the target now has.
	hist := f.history(t)
	if len(hist) != 1 {
		t.Fatalf("history holds %d applies, want 1", len(hist))
	}
	var liveNS []state.Namespace
	for title := range titles {
		ns := live.Namespace(title)
		if ns == nil {
			t.Fatalf("namespace %s missing after apply", title)
		}
		liveNS = append(liveNS, *ns)
	}
	byTitle := func(a, b state.Namespace) int { return strings.Compare(a.Title, b.Title) }
	slices.SortFunc(liveNS, byTitle)
	recorded := slices.SortedFunc(slices.Values(hist[0].Namespaces), byTitle)
	if d := cmp.Diff(liveNS, recorded); d != "" {
		t.Errorf("namespaces recorded in history (-live +recorded):\n%s", d)
	}
	if hist[0].Outcome != state.OutcomeApplied || hist[0].FingerprintAfter != p.FingerprintAfter {
		t.Errorf("history row: outcome %q, fingerprint after %s; want %q, %s",
			hist[0].Outcome, hist[0].FingerprintAfter, state.OutcomeApplied, p.FingerprintAfter)
	}
	if got := p.LiveFingerprint(live); got != p.FingerprintAfter {
		t.Errorf("live fingerprint %s after apply, plan expected %s", got, p.FingerprintAfter)
	}
	ds := f.open(t, f.spec)
	if n, err := ds.System().Query("USER").Where("email", demoEnv["ADMIN_EMAIL"]).Count(ctx); err != nil || n != 1 {
		t.Errorf("seeded admin users = %d, %v; want 1", n, err)
	}

	again, seeds := f.plan(t, f.spec)
	if again.HasChanges() || len(again.Steps) != 0 || len(again.Notes) != 0 {
		t.Fatalf("plan after apply has steps %+v notes %+v, want none", again.Steps, again.Notes)
	}
	rep = f.apply(t, again, seeds)
	if rep.Outcome != state.OutcomeNoOp || len(rep.Steps) != 0 {
		t.Errorf("second apply: outcome %q with %d steps, want %q and none", rep.Outcome, len(rep.Steps), state.OutcomeNoOp)
	}
	if n := len(f.history(t)); n != 1 {
		t.Errorf("history holds %d applies after a no-op apply, want 1", n)
	}
}

// addSyncedField adds a synced field to PAGE, whose table is still empty:
// the plan is exactly one add_column step.
func (f *flow) addSyncedField(t *testing.T) {
	f.spec = loadExamples(t, func(t *testing.T, srcs map[string][]byte) {
		name := filepath.Join(examplesDir(t), "page.dm.hcl") // sources are keyed by path
		src := string(srcs[name])
		edited := strings.Replace(src, `"status", "last_processed"]`, `"status", "last_processed", "language"]`, 1)
		edited = strings.Replace(edited, "  kv {", "  field \"language\" { type = string }\n\n  kv {", 1)
		if strings.Count(edited, "language") != 2 {
			t.Fatalf("examples/page.dm.hcl changed shape; cannot add the field")
		}
		srcs[name] = []byte(edited)
	})
	p, seeds := f.plan(t, f.spec)
	var got []string
	for _, s := range p.Steps {
		got = append(got, s.Action.String()+" "+s.Target)
	}
	if d := cmp.Diff([]string{"add_column page_meta.language"}, got); d != "" {
		t.Fatalf("plan after adding a synced field (-want +got):\n%s", d)
	}
	if rep := f.apply(t, p, seeds); rep.Outcome != state.OutcomeApplied {
		t.Fatalf("apply outcome %q, want %q", rep.Outcome, state.OutcomeApplied)
	}
	live, err := backend.Inspect(context.Background(), f.b.D1(), f.b.KV())
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if tb := live.Table("page_meta"); tb == nil || tb.Column("language") == nil {
		t.Fatalf("page_meta has no column language after apply: %+v", tb)
	}
	if again, _ := f.plan(t, f.spec); again.HasChanges() {
		t.Errorf("plan after the add_column apply: %+v", again.Steps)
	}
	if n := len(f.history(t)); n != 2 {
		t.Errorf("history holds %d applies, want 2", n)
	}
}

// dropTables removes the examples' tables and dmplan's own, so that a
// backend shared with other tests (the live suite) is left as found.
func (f *flow) dropTables(t *testing.T) {
	sts := []backend.Stmt{
		{SQL: "DROP TABLE IF EXISTS " + backend.QuoteIdent(state.HistoryTable)},
		{SQL: "DROP TABLE IF EXISTS " + backend.QuoteIdent(applier.LockTable)},
	}
	for _, m := range f.spec.Models {
		sts = append(sts, backend.Stmt{SQL: "DROP TABLE IF EXISTS " + backend.QuoteIdent(m.D1.Table)})
	}
	if _, err := f.b.D1().Batch(context.Background(), sts); err != nil {
		t.Errorf("drop the flow's tables: %v", err)
	}
}

// isNotFound fails the test unless err is runtime.ErrNotFound.
func isNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("%s: err = %v, want runtime.ErrNotFound", what, err)
	}
}

// pageURL is the URL of a test page; its number sorts the pages.
func pageURL(owner string, n int) string {
	return fmt.Sprintf("https://%s.example.com/p/%04d", owner, n)
}
