package consistency

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/runtime"
)

// The conflict child writes ACCT records (raceSource) whose emails come
// from a small pool, so D1 refuses many saves and the runtime takes their
// KV writes back. With childKill set to "N/P" it kills itself with SIGKILL
// at the Nth refusal, at point P of the take-back: 0 before its first KV
// call, 1 before its second (the put back itself), 2 right after it.
const childKill = "DMPLAN_CRASH_CHILD_KILL"

// windowKiller wraps a backend so the child dies inside the compensation
// window.
type windowKiller struct {
	backend.Backend
	mu       sync.Mutex
	refusals int
	at, kind int
	armed    bool
	kvCalls  int
}

func (w *windowKiller) D1() backend.D1 { return killD1{w.Backend.D1(), w} }
func (w *windowKiller) KV() backend.KV { return killKV{w.Backend.KV(), w} }

func (w *windowKiller) refused(err error) {
	if !errors.Is(err, backend.ErrConstraint) {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.refusals++; w.refusals == w.at {
		w.armed, w.kvCalls = true, 0
	}
}

// kv is called around every KV call: before (after false) and after it.
func (w *windowKiller) kv(after bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.armed {
		return
	}
	if !after {
		w.kvCalls++
	}
	if (!after && w.kvCalls == w.kind+1 && w.kind < 2) || (after && w.kind == 2 && w.kvCalls == 2) {
		os.Stdout.WriteString("killed in the compensation window\n")
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
}

type killD1 struct {
	backend.D1
	w *windowKiller
}

func (d killD1) Query(ctx context.Context, st backend.Stmt) (*backend.Result, error) {
	res, err := d.D1.Query(ctx, st)
	d.w.refused(err)
	return res, err
}

func (d killD1) Batch(ctx context.Context, sts []backend.Stmt) ([]*backend.Result, error) {
	res, err := d.D1.Batch(ctx, sts)
	d.w.refused(err)
	return res, err
}

type killKV struct {
	backend.KV
	w *windowKiller
}

func (k killKV) Get(ctx context.Context, ns, key string) (backend.Entry, error) {
	k.w.kv(false)
	defer k.w.kv(true)
	return k.KV.Get(ctx, ns, key)
}

func (k killKV) Put(ctx context.Context, ns string, e backend.Entry) error {
	k.w.kv(false)
	defer k.w.kv(true)
	return k.KV.Put(ctx, ns, e)
}

func (k killKV) Delete(ctx context.Context, ns, key string) error {
	k.w.kv(false)
	defer k.w.kv(true)
	return k.KV.Delete(ctx, ns, key)
}

// conflictChild is the child's main for the "conflicts" mode. Before each
// write it prints "try ID"; after each acknowledged one "ok ID TITLE
// EMAIL".
func conflictChild(ctx context.Context, store backend.Backend, seed uint64) int {
	w := &windowKiller{Backend: store}
	if v := os.Getenv(childKill); v != "" {
		if _, err := fmt.Sscanf(v, "%d/%d", &w.at, &w.kind); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	spec, err := raceSpecFor()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ds, err := runtime.Open(ctx, spec, w, runtime.WithEnvironment(env), runtime.WithLogger(quiet))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	sys := ds.System()
	rng := rand.New(rand.NewPCG(seed, seed))
	email := func() string { return fmt.Sprintf("e%d@example.com", rng.IntN(25)) }
	var live []string
	for i := 0; ; i++ {
		if len(live) == 0 || rng.IntN(3) == 0 {
			id, title, mail := fmt.Sprintf("a%d", i), fmt.Sprintf("c%d", i), email()
			os.Stdout.WriteString("try " + id + "\n")
			_, err := sys.Create(ctx, "ACCT", map[string]any{"acct_id": id, "title": title, "email": mail, "note": "n" + title})
			switch {
			case err == nil:
				live = append(live, id)
				os.Stdout.WriteString("ok " + id + " " + title + " " + mail + "\n")
			case !errors.Is(err, runtime.ErrConflict):
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			continue
		}
		id := live[rng.IntN(len(live))]
		os.Stdout.WriteString("try " + id + "\n")
		r, err := sys.Get(ctx, "ACCT", id)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		title := fmt.Sprintf("u%d", i)
		r.Set("title", title)
		r.Set("note", "n"+title)
		if rng.IntN(2) == 0 {
			r.Set("email", email())
		}
		switch err := r.Save(ctx); {
		case err == nil:
			os.Stdout.WriteString("ok " + id + " " + title + " " + r.Get("email").(string) + "\n")
		case !errors.Is(err, runtime.ErrConflict):
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
}

// TestCrashInCompensation kills a writer whose saves D1 often refuses:
// inside the compensation window (before the take-back reads KV, before
// it puts KV back, right after), or at a random moment. Afterwards
// reconcile -fix converges except for the records it names as refused,
// which can only be the write in flight; taking D1's side for each with
// the command reconcile names (TakeD1) leaves no drift, and every record
// holds the child's last acknowledged save in KV and D1.
func TestCrashInCompensation(t *testing.T) {
	inWindow := 0
	for seed := uint64(1); seed <= 9; seed++ {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			store, err := local.Open(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			spec := raceSpec(t)
			migrate(t, ctx, spec, store, applier.Options{})
			rng := rand.New(rand.NewPCG(seed, 5))
			kill := ""
			wait := time.Duration(200+rng.IntN(800)) * time.Millisecond
			if seed%3 != 0 {
				// Die inside the window, at the refusal and point the seed picks.
				kill, wait = fmt.Sprintf("%d/%d", 5+rng.IntN(40), int(seed%3)-1+int(seed/3)%2), time.Minute
			}
			t.Setenv(childKill, kill)
			lines := startChild(t, dir, seed, "conflicts", wait)

			want := map[string][2]string{} // id -> last acknowledged title, email
			inFlight := ""
			for _, l := range lines {
				f := strings.Fields(l)
				switch {
				case len(f) == 4 && f[0] == "ok":
					want[f[1]] = [2]string{f[2], f[3]}
				case len(f) == 2 && f[0] == "try":
					inFlight = f[1]
				case l == "killed in the compensation window":
					inWindow++
				}
			}
			if len(want) < 5 {
				t.Fatalf("the child acknowledged only %d records", len(want))
			}
			ds := open(t, ctx, spec, store)
			rep, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{Fix: true})
			if err != nil {
				t.Fatal(err)
			}
			refused := rep.Refused()
			for model, ids := range refused {
				for _, id := range ids {
					if model != "ACCT" || id != inFlight {
						t.Errorf("reconcile names %s %s, which was not in flight (%s was)", model, id, inFlight)
					}
				}
				if _, err := operator.TakeD1(ctx, ds, model, ids); err != nil {
					t.Fatal(err)
				}
			}
			if rep, err = operator.Reconcile(ctx, ds, operator.ReconcileOptions{Fix: true}); err != nil || rep.Unrepaired() > 0 {
				t.Fatalf("after taking D1's side: %v %v", err, drift(rep))
			}
			if rep, err = operator.Reconcile(ctx, ds, operator.ReconcileOptions{}); err != nil || rep.Drifted() {
				t.Fatalf("drift after convergence: %v %v", err, drift(rep))
			}
			for id, w := range want {
				obj, ok := stored(t, ctx, ds, id)
				r := row(t, ctx, store, id)
				if !ok || r == nil || obj["title"] != w[0] || obj["email"] != w[1] || obj["note"] != "n"+w[0] || r["title"] != w[0] || r["email"] != w[1] {
					if id == inFlight && ok && r != nil && obj["title"] == r["title"] {
						continue // the write in flight may have landed
					}
					t.Errorf("%s: the child's last acknowledged save was %v; KV holds %v, D1 %v", id, w, obj, r)
				}
			}
			t.Logf("kill %q: %d records, %d refused, in flight %s", kill, len(want), len(refused["ACCT"]), inFlight)
		})
	}
	if inWindow == 0 {
		t.Error("no run was killed inside the compensation window")
	}
	t.Logf("%d runs killed inside the compensation window", inWindow)
}
