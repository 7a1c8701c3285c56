package consistency

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/faulty"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/runtime"
)

// raceSource is a model whose rows D1 can refuse (a unique email) with a
// synced title and a KV-only note.
const raceSource = `project "cons" {}

model "ACCT" {
  options { user_tracking = false }
  field "email" { type = string }
  field "title" { type = string }
  field "note" { type = text }
  d1 {
    sync_fields = ["email", "title"]
    index "by_email" {
      columns = ["email"]
      unique  = true
    }
  }
}
`

func raceSpec(t testing.TB) *hclspec.Spec {
	t.Helper()
	spec, err := raceSpecFor()
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func raceSpecFor() (*hclspec.Spec, error) {
	spec, diags := hclspec.LoadSources("cons", map[string][]byte{"race.dm.hcl": []byte(raceSource)})
	if diags.HasErrors() {
		return nil, diags
	}
	return spec, nil
}

// raceRounds is how many rounds each race runs: 1,000 locally without
// latency (about a second), 200 with it and 10 on the harness, where a
// round costs tens of requests; DMPLAN_RACE_ROUNDS sets them all (1000
// for the full runs).
func raceRounds(k kind, latency time.Duration) int {
	if n, err := strconv.Atoi(os.Getenv("DMPLAN_RACE_ROUNDS")); err == nil && n > 0 {
		return n
	}
	switch {
	case testing.Short() || k.name == "cloudflare":
		return 10
	case latency > 0:
		return 200
	}
	return 1000
}

// raceSetups are the stores a race runs on: the plain backend and the same
// with 5 ms added to every KV read, as Workers KV has.
var raceSetups = []struct {
	name    string
	latency time.Duration
}{{"no latency", 0}, {"5ms kv reads", 5 * time.Millisecond}}

// raceBackend returns the store the writers use (with latency) and the
// same store without it, for the checks.
func raceBackend(t *testing.T, k kind, latency time.Duration) (slow, be backend.Backend, spec *hclspec.Spec) {
	t.Helper()
	be = k.open(t)
	spec = raceSpec(t)
	migrate(t, context.Background(), spec, be, applier.Options{})
	f := faulty.Wrap(be)
	f.SetLatency(faulty.KVGet, latency)
	f.SetLatency(faulty.KVGetMany, latency)
	return f, be, spec
}

// stored reads the stored object of an ACCT (ok false when there is none).
func stored(t *testing.T, ctx context.Context, ds *runtime.Datastore, id string) (map[string]any, bool) {
	t.Helper()
	r, err := ds.System().Get(ctx, "ACCT", id, runtime.IncludingDeleted())
	if errors.Is(err, runtime.ErrNotFound) {
		return nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return r.Data(), true
}

// row reads the D1 row of an ACCT.
func row(t *testing.T, ctx context.Context, be backend.Backend, id string) map[string]any {
	t.Helper()
	res, err := be.D1().Query(ctx, backend.Stmt{SQL: `SELECT email, title FROM acct WHERE acct_id = ?`, Args: []any{id}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) == 0 {
		return nil
	}
	return res.Maps()[0]
}

// TestConcurrentCreateSameID: four writers create the same caller-chosen
// id at once, round after round. Exactly one create returns nil; the
// others get ErrConflict; KV and D1 both hold the winner's object (its
// KV-only note too) and never a loser's.
func TestConcurrentCreateSameID(t *testing.T) {
	for _, k := range kinds {
		for _, setup := range raceSetups {
			t.Run(k.name+"/"+setup.name, func(t *testing.T) {
				ctx := context.Background()
				slow, be, spec := raceBackend(t, k, setup.latency)
				ds, check := open(t, ctx, spec, slow), open(t, ctx, spec, be)
				const writers = 4
				rounds := raceRounds(k, setup.latency)
				lost := 0
				for round := range rounds {
					id := fmt.Sprintf("c%04d", round)
					errs := atOnce(writers, func(w int) error {
						_, err := ds.Auth(fmt.Sprintf("user-%d", w)).Create(ctx, "ACCT", map[string]any{
							"acct_id": id, "email": fmt.Sprintf("%s-w%d@example.com", id, w),
							"title": fmt.Sprintf("w%d", w), "note": fmt.Sprintf("note of w%d", w),
						})
						return err
					})
					won := winners(t, round, errs)
					if len(won) == 0 {
						t.Fatalf("round %d: no create of %s succeeded: %v", round, id, errs)
					}
					winner := won[0]
					for _, w := range won[1:] {
						lost++
						t.Errorf("round %d: writers %d and %d both created %s", round, winner, w, id)
					}
					want := fmt.Sprintf("w%d", winner)
					obj, ok := stored(t, ctx, check, id)
					r := row(t, ctx, be, id)
					if !ok || obj["title"] != want || obj["note"] != "note of "+want || r == nil || r["title"] != want {
						if lost++; lost <= 5 {
							t.Errorf("round %d: %s won, but KV holds %v and D1 %v", round, want, obj, r)
						}
					}
				}
				rep, err := operator.Reconcile(ctx, check, operator.ReconcileOptions{})
				if err != nil || rep.Drifted() {
					t.Errorf("drift after the races: %v %v", err, drift(rep))
				}
				t.Logf("%d rounds of %d creates of one id: %d acknowledged creates lost", rounds, writers, lost)
			})
		}
	}
}

// TestCompensationRace: A saves a record with another record's email
// (D1 refuses it, and A's KV write is taken back) while B saves a new
// title and note on the same record; both read the record before either
// saves. B's acknowledged save is never lost: KV and D1 hold B's title,
// KV B's note, and the record's own email.
func TestCompensationRace(t *testing.T) {
	for _, k := range kinds {
		for _, setup := range raceSetups {
			t.Run(k.name+"/"+setup.name, func(t *testing.T) {
				ctx := context.Background()
				slow, be, spec := raceBackend(t, k, setup.latency)
				ds, check := open(t, ctx, spec, slow), open(t, ctx, spec, be)
				sys := ds.System()
				if _, err := sys.Create(ctx, "ACCT", map[string]any{"acct_id": "taken", "email": "taken@example.com", "title": "other"}); err != nil {
					t.Fatal(err)
				}
				rounds := raceRounds(k, setup.latency)
				lost := 0
				for round := range rounds {
					id := fmt.Sprintf("r%04d", round)
					email := id + "@example.com"
					if _, err := sys.Create(ctx, "ACCT", map[string]any{"acct_id": id, "email": email, "title": "t0", "note": "n0"}); err != nil {
						t.Fatal(err)
					}
					var a, b *runtime.Record
					var aErr, bErr error
					var wg sync.WaitGroup
					read := make(chan struct{})
					wg.Add(2)
					var reads sync.WaitGroup
					reads.Add(2)
					go func() {
						defer wg.Done()
						a, aErr = sys.Get(ctx, "ACCT", id)
						reads.Done()
						<-read
						if aErr == nil {
							a.Set("email", "taken@example.com")
							aErr = a.Save(ctx)
						}
					}()
					go func() {
						defer wg.Done()
						b, bErr = sys.Get(ctx, "ACCT", id)
						reads.Done()
						<-read
						if bErr == nil {
							b.Set("title", "b"+id)
							b.Set("note", "note b"+id)
							bErr = b.Save(ctx)
						}
					}()
					reads.Wait()
					close(read)
					wg.Wait()
					if !errors.Is(aErr, runtime.ErrConflict) {
						t.Fatalf("round %d: the duplicate email saved: %v", round, aErr)
					}
					if bErr != nil {
						t.Fatalf("round %d: B's save: %v", round, bErr)
					}
					obj, _ := stored(t, ctx, check, id)
					r := row(t, ctx, be, id)
					if obj["title"] != "b"+id || obj["note"] != "note b"+id || obj["email"] != email ||
						r == nil || r["title"] != "b"+id || r["email"] != email {
						if lost++; lost <= 5 {
							t.Errorf("round %d: B's acknowledged save is lost: KV holds %v, D1 %v", round, obj, r)
						}
					}
				}
				rep, err := operator.Reconcile(ctx, check, operator.ReconcileOptions{})
				if err != nil || rep.Drifted() {
					t.Errorf("drift after the races: %v %v", err, drift(rep))
				}
				t.Logf("%d rounds: %d acknowledged saves lost", rounds, lost)
			})
		}
	}
}

// TestCrossProcessCreateSameID: the create race between two Datastores,
// each on its own connection to the same local store, as two services
// would be: the per-record lock of one Datastore does not reach the
// other, so D1 decides. Exactly one create wins each round, and KV and D1
// hold its synced fields. KV has no compare-and-swap: when a loser's KV
// write lands after the winner's, the loser rebuilds the object from the
// winner's D1 row, and the winner's KV-only fields are lost; the test
// counts those rounds.
func TestCrossProcessCreateSameID(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	spec := raceSpec(t)
	var dss []*runtime.Datastore
	var first backend.Backend
	for i := range 2 {
		be, err := local.Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { be.Close() })
		if i == 0 {
			migrate(t, ctx, spec, be, applier.Options{})
			first = be
		}
		dss = append(dss, open(t, ctx, spec, be))
	}
	rounds := raceRounds(kinds[0], 0) / 2
	keptNote := 0
	for round := range rounds {
		id := fmt.Sprintf("x%04d", round)
		const writers = 4
		errs := atOnce(writers, func(w int) error {
			_, err := dss[w%2].System().Create(ctx, "ACCT", map[string]any{
				"acct_id": id, "email": fmt.Sprintf("%s-w%d@example.com", id, w),
				"title": fmt.Sprintf("w%d", w), "note": fmt.Sprintf("note of w%d", w),
			})
			return err
		})
		won := winners(t, round, errs)
		if len(won) == 0 {
			t.Fatalf("round %d: no create of %s succeeded: %v", round, id, errs)
		}
		winner := won[0]
		if len(won) > 1 {
			t.Fatalf("round %d: writers %d and %d both created %s", round, winner, won[1], id)
		}
		want := fmt.Sprintf("w%d", winner)
		obj, ok := stored(t, ctx, dss[0], id)
		r := row(t, ctx, first, id)
		if !ok || obj["title"] != want || obj["email"] != fmt.Sprintf("%s-w%d@example.com", id, winner) || r == nil || r["title"] != want {
			t.Errorf("round %d: %s won, but KV holds %v and D1 %v", round, want, obj, r)
		}
		if obj["note"] == "note of "+want {
			keptNote++
		}
	}
	rep, err := operator.Reconcile(ctx, dss[0], operator.ReconcileOptions{})
	if err != nil || rep.Drifted() {
		t.Errorf("drift after the races: %v %v", err, drift(rep))
	}
	t.Logf("%d rounds across two Datastores: one winner each; the winner's KV-only note kept in %d, rebuilt without it in %d", rounds, keptNote, rounds-keptNote)
}

// TestConcurrentCreateManySameIDs: three CreateMany calls with the same
// five caller-chosen ids at once. One call wins, the others get
// ErrConflict and write nothing: every record holds the winner's values.
func TestConcurrentCreateManySameIDs(t *testing.T) {
	ctx := context.Background()
	slow, be, spec := raceBackend(t, kinds[0], 0)
	ds, check := open(t, ctx, spec, slow), open(t, ctx, spec, be)
	rounds := raceRounds(kinds[0], 0) / 5
	for round := range rounds {
		const callers = 3
		data := make([][]map[string]any, callers)
		for c := range data {
			data[c] = make([]map[string]any, 5)
			for i := range data[c] {
				id := fmt.Sprintf("m%04d-%d", round, i)
				data[c][i] = map[string]any{"acct_id": id, "email": fmt.Sprintf("%s-c%d@example.com", id, c), "title": fmt.Sprintf("c%d", c)}
			}
		}
		errs := atOnce(callers, func(c int) error {
			_, err := ds.System().CreateMany(ctx, "ACCT", data[c])
			return err
		})
		won := winners(t, round, errs)
		if len(won) == 0 {
			t.Fatalf("round %d: no call succeeded: %v", round, errs)
		}
		winner := won[0]
		if len(won) > 1 {
			t.Fatalf("round %d: callers %d and %d both created the records", round, winner, won[1])
		}
		for i := range 5 {
			id := fmt.Sprintf("m%04d-%d", round, i)
			obj, _ := stored(t, ctx, check, id)
			if r := row(t, ctx, be, id); obj["title"] != fmt.Sprintf("c%d", winner) || r == nil || r["title"] != obj["title"] {
				t.Fatalf("round %d: caller %d won, but %s holds %v in KV and %v in D1", round, winner, id, obj, r)
			}
		}
	}
}

// atOnce runs call(0) … call(n-1) in n goroutines released together and
// returns their errors by index.
func atOnce(n int, call func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = call(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// winners returns the indexes of the calls that succeeded, in order; a
// call that failed with anything but runtime.ErrConflict fails the test.
func winners(t *testing.T, round int, errs []error) []int {
	t.Helper()
	var won []int
	for i, err := range errs {
		switch {
		case err == nil:
			won = append(won, i)
		case !errors.Is(err, runtime.ErrConflict):
			t.Fatalf("round %d: call %d: %v", round, i, err)
		}
	}
	return won
}
