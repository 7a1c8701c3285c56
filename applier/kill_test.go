package applier

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

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/faulty"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// killChildEnv makes the test binary run killChild instead of the tests.
const killChildEnv = "DMPLAN_APPLIER_KILL_CHILD"

// killLease is the killed child's lease: short, so the next apply does
// not wait long for it to run out.
const killLease = 300 * time.Millisecond

// killChild applies baseHCL to the local target in dir one statement per
// batch, each batch slowed down, so a SIGKILL lands between any two of
// them. It says "ready" before it starts.
func killChild(dir string) int {
	ctx := context.Background()
	b, err := local.Open(ctx, dir)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	defer b.Close()
	f := faulty.Wrap(b)
	f.SetLatency(faulty.D1Batch, 15*time.Millisecond)
	f.SetLatency(faulty.KVCreateNS, 15*time.Millisecond)
	spec, diags := hclspec.LoadSources("shop", map[string][]byte{"models.dm.hcl": []byte(baseHCL)})
	if diags.HasErrors() {
		fmt.Println("error:", diags.Error())
		return 1
	}
	live, err := backend.Inspect(ctx, b.D1(), b.KV())
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	p := planner.Diff(spec, "local", live)
	fmt.Println("ready")
	if _, err := Apply(ctx, f, p, Options{MaxBatchStatements: 1, Lease: killLease, Logger: quietLogger()}); err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("applied")
	return 0
}

// TestApplyKilled kills an apply with SIGKILL at random points. Whenever
// anything of the plan landed (a namespace, a table), history holds a row
// for it: running when the kill came before its end. The next apply
// finds that row, marks it interrupted and reports it, then finishes the
// plan; no row is left running.
func TestApplyKilled(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, seed))
	t.Logf("seed %d", seed)
	for i := range 8 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			cmd := osexec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
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
			after := time.Duration(rng.IntN(160)) * time.Millisecond
			time.Sleep(after)
			_ = cmd.Process.Kill()
			_ = cmd.Wait()

			b := openStoreAt(t, dir)
			live, err := backend.Inspect(ctx, b.D1(), b.KV())
			if err != nil {
				t.Fatal(err)
			}
			landed := len(live.Tables) > 0 || len(live.Namespaces) > 0
			hist, err := History(ctx, b.D1(), 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("killed after %s: %d tables, %d namespaces, history %v", after, len(live.Tables), len(live.Namespaces), outcomes(hist))
			if landed && len(hist) != 1 {
				t.Fatalf("the killed apply changed the target but history has %d rows, want 1", len(hist))
			}
			running := len(hist) == 1 && hist[0].Outcome == state.OutcomeRunning
			if len(hist) == 1 && !running && hist[0].Outcome != state.OutcomeApplied {
				t.Fatalf("the killed apply's row is %q, want running or applied", hist[0].Outcome)
			}

			time.Sleep(killLease + 100*time.Millisecond) // the killed child's lease runs out
			p := makePlan(t, b, loadSpec(t, baseHCL))
			rep, err := Apply(ctx, b, p, Options{RecordNoOp: true, Logger: quietLogger()})
			if err != nil {
				t.Fatalf("apply after the kill: %v", err)
			}
			if running && (len(rep.Interrupted) != 1 || rep.Interrupted[0].ID != hist[0].ID) {
				t.Errorf("the next apply reported interrupted %+v, want row %d", rep.Interrupted, hist[0].ID)
			}
			if !running && len(rep.Interrupted) != 0 {
				t.Errorf("the next apply reported interrupted %+v, want none", rep.Interrupted)
			}
			hist, err = History(ctx, b.D1(), 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hist {
				if h.Outcome == state.OutcomeRunning {
					t.Errorf("row %d is still running after the next apply: %v", h.ID, outcomes(hist))
				}
			}
			if running && hist[len(hist)-1].Outcome != state.OutcomeInterrupted {
				t.Errorf("the killed apply's row is %q, want interrupted", hist[len(hist)-1].Outcome)
			}
			if again := makePlan(t, b, loadSpec(t, baseHCL)); again.HasChanges() {
				t.Errorf("after the next apply the plan still has changes: %+v", again.Steps)
			}
		})
	}
}

func openStoreAt(t *testing.T, dir string) *local.Store {
	t.Helper()
	s, err := local.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func outcomes(hist []state.HistoryRecord) []string {
	var out []string
	for _, h := range hist {
		out = append(out, h.Outcome)
	}
	return out
}
