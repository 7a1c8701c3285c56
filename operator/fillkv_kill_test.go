package operator_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	osexec "os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/faulty"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

// fillKillChildEnv makes TestFillKVKillChild apply the fill in the
// directory it names, as the child process TestFillKVKilled kills.
const fillKillChildEnv = "DMPLAN_FILLKV_KILL_CHILD"

const fillKillRows = 3000

// docsSpec is a table with text keys that was D1-only and now has a KV
// side: the plan is create_namespace then fill_kv.
func docsSpec() *hclspec.Spec {
	m := &hclspec.Model{Name: "DOC", PrimaryKey: "id", Storage: hclspec.StorageD1KV, D1: hclspec.D1{Table: "docs"},
		KV: hclspec.KV{Namespace: "DOCS", KeyPattern: "doc:{id}", Binding: "DOCS"},
		Fields: []*hclspec.Field{
			{Name: "id", Type: hclspec.String, Primary: true, Synced: true},
			{Name: "title", Type: hclspec.String, Synced: true},
		}}
	m.D1.SyncFields = []string{"id", "title"}
	return &hclspec.Spec{Project: hclspec.Project{Name: "adopt"}, Models: []*hclspec.Model{m}}
}

// fillPlan plans docsSpec against the store, the fills an interrupted
// apply left included.
func fillPlan(t testing.TB, ctx context.Context, be backend.Backend) *planner.Plan {
	t.Helper()
	live, err := backend.Inspect(ctx, be.D1(), be.KV())
	if err != nil {
		t.Fatal(err)
	}
	pending, err := operator.PendingBackfills(ctx, be.D1())
	if err != nil {
		t.Fatal(err)
	}
	return planner.Diff(docsSpec(), "local", live, planner.WithPendingBackfills(pending), planner.WithFillKV())
}

// fillApply applies docsSpec's plan to be with the operator's KVFiller.
func fillApply(ctx context.Context, be backend.Backend, p *planner.Plan, lease time.Duration) (*applier.Report, error) {
	ds, err := runtime.Open(ctx, docsSpec(), be, runtime.WithEnvironment("local"), runtime.WithLogger(quiet()))
	if err != nil {
		return nil, err
	}
	return applier.Apply(ctx, be, p, applier.Options{KVFiller: operator.KVFiller(ds), Lease: lease, Logger: quiet()})
}

// TestFillKVKillChild is the child TestFillKVKilled kills: it applies the
// fill with every KV bulk put slowed down, so the kill lands between any
// two pages. It does nothing in a normal test run.
func TestFillKVKillChild(t *testing.T) {
	dir := os.Getenv(fillKillChildEnv)
	if dir == "" {
		t.Skip("the child of TestFillKVKilled")
	}
	ctx := context.Background()
	b, err := local.Open(ctx, dir)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	f := faulty.Wrap(b)
	f.SetLatency(faulty.KVPutMany, 20*time.Millisecond)
	f.SetLatency(faulty.KVCreateNS, 10*time.Millisecond)
	p := fillPlan(t, ctx, b)
	fmt.Println("ready")
	if _, err := fillApply(ctx, f, p, 300*time.Millisecond); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("applied")
}

// TestFillKVKilled kills an apply of a fill_kv step with SIGKILL at random
// points. The next plan resumes the fill (or creates the namespace and
// fills, when the kill came first), the next apply finishes it, every row
// then has exactly its object, and the plan after that has no changes.
func TestFillKVKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, seed))
	t.Logf("seed %d", seed)
	for i := range 5 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			s, err := local.Open(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.D1().Batch(ctx, []backend.Stmt{{SQL: `CREATE TABLE docs (id TEXT PRIMARY KEY, title TEXT)`},
				{SQL: `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?)
					INSERT INTO docs (id, title) SELECT printf('d%05d', i), 'title ' || i FROM c`, Args: []any{fillKillRows}}}); err != nil {
				t.Fatal(err)
			}
			s.Close()

			cmd := osexec.Command(os.Args[0], "-test.run=^TestFillKVKillChild$")
			cmd.Env = append(os.Environ(), fillKillChildEnv+"="+dir)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || strings.TrimSpace(line) != "ready" {
				t.Fatalf("child said %q, %v", line, err)
			}
			after := time.Duration(rng.IntN(200)) * time.Millisecond
			time.Sleep(after)
			_ = cmd.Process.Kill()
			_ = cmd.Wait()

			b, err := local.Open(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			time.Sleep(400 * time.Millisecond) // the killed child's lease runs out
			p := fillPlan(t, ctx, b)
			// What the killed apply copied, and the progress it recorded.
			before := 0
			if live, err := backend.Inspect(ctx, b.D1(), b.KV()); err == nil && live.Namespace("adopt-local-DOCS") != nil {
				before = len(kvKeys(t, b, live.Namespace("adopt-local-DOCS").ID))
			}
			pending, err := operator.PendingBackfills(ctx, b.D1())
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("killed after %s: %d objects copied, pending %+v; next plan: %v", after, before, pending, p.Counts())
			if len(pending) == 1 && pending[0].Done > 0 {
				// Resumed after the last page recorded: that page's
				// objects were put before its progress.
				if int(pending[0].Done) > before || !strings.Contains(p.Steps[len(p.Steps)-1].Reason, "resume copying the rows of docs") {
					t.Fatalf("progress says %d rows with %d objects copied; plan %+v", pending[0].Done, before, p.Steps)
				}
			}
			rep, err := fillApply(ctx, b, p, 0)
			if err != nil {
				t.Fatalf("apply after the kill: %v", err)
			}
			// Objects already there are never put again.
			for _, st := range rep.Steps {
				if st.Action == planner.FillKV && st.Records != fillKillRows-before {
					t.Errorf("the next apply put %d objects, want the %d missing ones", st.Records, fillKillRows-before)
				}
			}
			live, err := backend.Inspect(ctx, b.D1(), b.KV())
			if err != nil {
				t.Fatal(err)
			}
			ns := live.Namespace("adopt-local-DOCS")
			if ns == nil {
				t.Fatal("no namespace after the apply")
			}
			keys := kvKeys(t, b, ns.ID)
			if len(keys) != fillKillRows || !keys["doc:d00001"] || !keys[fmt.Sprintf("doc:d%05d", fillKillRows)] {
				t.Fatalf("%d objects after the kill and the next apply, want %d", len(keys), fillKillRows)
			}
			if again := fillPlan(t, ctx, b); again.HasChanges() {
				t.Errorf("after the next apply the plan still has changes: %+v", again.Steps)
			}
		})
	}
}
