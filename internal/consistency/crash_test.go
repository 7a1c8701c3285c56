package consistency

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/runtime"
)

// The crash test re-executes the test binary as a child that writes until
// it is killed. childEnv holds the store directory, childSeed the seed,
// childMode "saves" or "backfill".
const (
	childEnv  = "DMPLAN_CRASH_CHILD_DIR"
	childSeed = "DMPLAN_CRASH_CHILD_SEED"
	childMode = "DMPLAN_CRASH_CHILD_MODE"
)

// crashChild is the child's main: it writes through the runtime and prints
// one line per write that returned success, before the next one starts.
func crashChild() int {
	ctx := context.Background()
	dir := os.Getenv(childEnv)
	seed, _ := strconv.ParseUint(os.Getenv(childSeed), 10, 64)
	store, err := local.Open(ctx, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if os.Getenv(childMode) == "conflicts" {
		return conflictChild(ctx, store, seed)
	}
	if os.Getenv(childMode) == "loser" {
		return loserChild(ctx, store)
	}
	if os.Getenv(childMode) == "backfill-once" {
		return backfillOnceChild(ctx, store)
	}
	v2 := os.Getenv(childMode) == "backfill"
	spec, diags := loadSpecFor(v2)
	if diags != nil {
		fmt.Fprintln(os.Stderr, diags)
		return 1
	}
	ds, err := runtime.Open(ctx, spec, store, runtime.WithEnvironment(env))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if v2 {
		for {
			res, err := operator.Backfill(ctx, ds, operator.BackfillOptions{Model: "PAGE", Columns: []string{"body"}, RunID: "crash", PageSize: 50})
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			fmt.Printf("backfilled %d\n", res.Written)
		}
	}
	sys := ds.System()
	rng := rand.New(rand.NewPCG(seed, seed))
	var live []string
	say := func(format string, args ...any) { os.Stdout.WriteString(fmt.Sprintf(format, args...) + "\n") }
	for i := 0; ; i++ {
		switch n := rng.IntN(100); {
		case n < 50 || len(live) == 0:
			r, err := sys.Create(ctx, "PAGE", map[string]any{"title": fmt.Sprintf("c%d", i), "rank": i})
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			live = append(live, r.ID())
			say("ok %s c%d", r.ID(), i)
		case n < 75:
			id := live[rng.IntN(len(live))]
			r, err := sys.Get(ctx, "PAGE", id)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			r.Set("title", fmt.Sprintf("u%d", i))
			if err := r.Save(ctx); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			say("ok %s u%d", id, i)
		case n < 90:
			data := make([]map[string]any, 20)
			for j := range data {
				data[j] = map[string]any{"title": fmt.Sprintf("m%d", i), "rank": j}
			}
			recs, err := sys.CreateMany(ctx, "PAGE", data)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			var b strings.Builder
			for _, r := range recs {
				live = append(live, r.ID())
				fmt.Fprintf(&b, "ok %s m%d\n", r.ID(), i)
			}
			os.Stdout.WriteString(b.String())
		default:
			j := rng.IntN(len(live))
			id := live[j]
			r, err := sys.Get(ctx, "PAGE", id)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			if err := r.Delete(ctx); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			live = append(live[:j], live[j+1:]...)
			say("del %s", id)
		}
	}
}

// startChild runs the child on dir and kills it with SIGKILL after wait.
// It returns what the child printed before it died.
func startChild(t *testing.T, dir string, seed uint64, mode string, wait time.Duration) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir, childSeed+"="+strconv.FormatUint(seed, 10), childMode+"="+mode)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan []string, 1)
	go func() {
		var got []string
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			got = append(got, sc.Text())
		}
		lines <- got
	}()
	timer := time.AfterFunc(wait, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
	got := <-lines
	err = cmd.Wait()
	timer.Stop()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v before it was killed: %s", err, stderr.String())
	}
	return got
}

// TestCrashDuringSaves kills a child doing thousands of saves at a
// seeded random moment, several times; afterwards reconcile fix restores
// consistency and every save the child saw succeed is in KV and D1 (the
// one write in flight when it died may have landed too).
func TestCrashDuringSaves(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			store, err := local.Open(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			spec := loadSpec(t, false)
			migrate(t, ctx, spec, store, applier.Options{})
			wait := time.Duration(300+rand.New(rand.NewPCG(seed, 99)).IntN(1500)) * time.Millisecond
			lines := startChild(t, dir, seed, "saves", wait)

			want := map[string]string{} // id -> last title, or "" when deleted
			for _, l := range lines {
				f := strings.Fields(l)
				switch {
				case len(f) == 3 && f[0] == "ok":
					want[f[1]] = f[2]
				case len(f) == 2 && f[0] == "del":
					want[f[1]] = ""
				}
			}
			if len(want) < 100 {
				t.Fatalf("the child saved only %d records in %s", len(want), wait)
			}
			ds := open(t, ctx, spec, store)
			if _, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{Fix: true}); err != nil {
				t.Fatal(err)
			}
			rep, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{})
			if err != nil || rep.Drifted() {
				t.Fatalf("drift after fix: %v %v", err, drift(rep))
			}
			sys := ds.System()
			var mismatched []string
			for id, title := range want {
				r, err := sys.Get(ctx, "PAGE", id, runtime.IncludingDeleted())
				if err != nil {
					t.Errorf("record %s the child saved is gone: %v", id, err)
					continue
				}
				if r.IsDeleted() != (title == "") || (title != "" && r.Get("title") != title) {
					mismatched = append(mismatched, fmt.Sprintf("%s: want %q deleted=%v, got %v deleted=%v", id, title, title == "", r.Get("title"), r.IsDeleted()))
				}
			}
			// Only the write in flight when the child died may have moved
			// one record past what it reported.
			if len(mismatched) > 1 {
				t.Errorf("%d records differ from the child's last successful save:\n%s", len(mismatched), strings.Join(mismatched, "\n"))
			}
			t.Logf("killed after %s: %d records, %d lines", wait, len(want), len(lines))
		})
	}
}

// TestCrashDuringBackfill kills a child backfilling a new column at
// seeded moments; the backfill run again resumes after the last page the
// child wrote and fills every row.
func TestCrashDuringBackfill(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			store, err := local.Open(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			v1, v2 := loadSpec(t, false), loadSpec(t, true)
			migrate(t, ctx, v1, store, applier.Options{})
			data := make([]map[string]any, 3000)
			for i := range data {
				data[i] = map[string]any{"page_id": fmt.Sprintf("p%05d", i), "title": "t", "body": fmt.Sprintf("body %d", i)}
			}
			if _, err := open(t, ctx, v1, store).System().CreateMany(ctx, "PAGE", data); err != nil {
				t.Fatal(err)
			}
			// The column exists; its backfill is left to the child.
			migrate(t, ctx, v2, store, applier.Options{Backfiller: noBackfill{}})
			wait := time.Duration(40+rand.New(rand.NewPCG(seed, 7)).IntN(200)) * time.Millisecond
			startChild(t, dir, seed, "backfill", wait)

			ds := open(t, ctx, v2, store)
			res, err := operator.Backfill(ctx, ds, operator.BackfillOptions{Model: "PAGE", Columns: []string{"body"}, RunID: "crash", PageSize: 50})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{})
			if err != nil || rep.Drifted() {
				t.Fatalf("drift after the resumed backfill: %v %v", err, drift(rep))
			}
			// A resumed run reads only the keys after the last page the
			// child wrote: finished pages are not redone.
			if res.ResumedAfter != "" {
				n, err := strconv.Atoi(strings.TrimPrefix(res.ResumedAfter, "page:p"))
				if err != nil || res.Checked != int64(len(data)-n-1) {
					t.Errorf("resumed after %s but checked %d records, want %d", res.ResumedAfter, res.Checked, len(data)-n-1)
				}
			}
			t.Logf("killed after %s; resumed after %q, wrote %d of %d", wait, res.ResumedAfter, res.Written, res.Checked)
		})
	}
}

// noBackfill leaves backfill steps to the test.
type noBackfill struct{}

func (noBackfill) Backfill(context.Context, applier.BackfillRequest) (applier.BackfillResult, error) {
	return applier.BackfillResult{}, nil
}
