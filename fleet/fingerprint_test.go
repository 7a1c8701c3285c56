package fleet_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/fleet"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// TestRolloutGroupFingerprints: two databases whose plans are the same
// (one group, applied from the group's plan without inspecting again)
// but whose live schemas differ where the plan does not look (an
// unmanaged table's columns) each record their own fingerprint_before
// and fingerprint_after in history, not the group's first database's.
func TestRolloutGroupFingerprints(t *testing.T) {
	ctx := context.Background()
	spec := loadSpec(t, strings.Replace(fleetSpec, `names = ["a1", "a2", "b1", "d1", "e1", "u1", "zz"]`, `names = ["t-a", "t-b"]`, 1))
	f := spec.Environment("tenants").Fleet
	dir := filepath.Join(t.TempDir(), "fleet")
	src, err := fleet.OpenLocal(ctx, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for name, ddl := range map[string]string{
		"t-a": `CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT)`,
		"t-b": `CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT, who TEXT)`,
	} {
		be, err := src.Open(ctx, fleet.Database{Name: name, Create: true, Missing: true}, false)
		if err != nil {
			t.Fatal(err)
		}
		exec(t, be, ddl)
		be.Close()
	}
	dbs, err := fleet.Resolve(ctx, f, "", src)
	if err != nil {
		t.Fatal(err)
	}
	res, err := fleet.PlanFleet(ctx, spec, "tenants", f, src, dbs, fleet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Groups) != 1 || res.Groups[0].Count() != 2 {
		t.Fatalf("groups = %+v, want one group of both databases", res.Groups)
	}
	own := map[string][2]string{}
	for _, d := range res.Databases {
		own[d.Database.Name] = [2]string{d.Fingerprint, d.FingerprintAfter}
	}
	// Each database's fingerprints are its own plan's.
	for _, name := range []string{"t-a", "t-b"} {
		be, err := src.Open(ctx, fleet.Database{Name: name}, true)
		if err != nil {
			t.Fatal(err)
		}
		live, err := backend.Inspect(ctx, be.D1(), be.KV())
		be.Close()
		if err != nil {
			t.Fatal(err)
		}
		p := planner.Diff(spec.Tenant(name), "tenants", live)
		if want := [2]string{p.Fingerprint, p.FingerprintAfter}; own[name] != want {
			t.Errorf("%s: fleet plan fingerprints %v, its own plan's %v", name, own[name], want)
		}
	}
	if own["t-a"][0] == own["t-b"][0] || own["t-a"][1] == own["t-b"][1] {
		t.Fatalf("fingerprints %v: the test needs schemas that differ", own)
	}
	planned := res.Groups[0].Plan
	rep, err := fleet.Rollout(ctx, src, dbs, fleet.RolloutOptions{
		ID: "r-fp", Environment: "tenants", Spec: spec,
		Planned:      func(fleet.Database) *planner.Plan { return planned },
		Fingerprints: func(db fleet.Database) (string, string) { return own[db.Name][0], own[db.Name][1] },
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rep.Results {
		if r.Status != fleet.OutcomeDone {
			t.Fatalf("result %d: %+v, want done", i, r)
		}
	}
	for _, name := range []string{"t-a", "t-b"} {
		be, err := src.Open(ctx, fleet.Database{Name: name}, false)
		if err != nil {
			t.Fatal(err)
		}
		hist, err := applier.History(ctx, be.D1(), 0)
		if err != nil {
			t.Fatal(err)
		}
		live, err := backend.Inspect(ctx, be.D1(), be.KV())
		be.Close()
		if err != nil {
			t.Fatal(err)
		}
		var rec *state.HistoryRecord
		for i := range hist {
			if strings.HasPrefix(hist[i].PlanID, "r-fp:") {
				rec = &hist[i]
			}
		}
		if rec == nil {
			t.Fatalf("%s: no history row of the rollout in %+v", name, hist)
		}
		if rec.FingerprintBefore != own[name][0] || rec.FingerprintAfter != own[name][1] {
			t.Errorf("%s: history fingerprints %s -> %s, want its own %s -> %s", name,
				rec.FingerprintBefore, rec.FingerprintAfter, own[name][0], own[name][1])
		}
		// After the apply, the live schema is what fingerprint_after says.
		if got := planned.LiveFingerprint(live); got != rec.FingerprintAfter {
			t.Errorf("%s: live fingerprint after the apply %s, history says %s", name, got, rec.FingerprintAfter)
		}
	}
}

// TestRolloutMissing: a listed database that does not exist and is not to
// be created is reported missing (not failed, nothing sent to it, not
// created); the rollout's lease lives in the first database that exists,
// and a fleet of only such databases has nothing to roll out.
func TestRolloutMissing(t *testing.T) {
	ctx := context.Background()
	spec := loadSpec(t, fleetSpec)
	dir := filepath.Join(t.TempDir(), "fleet")
	src, err := fleet.OpenLocal(ctx, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	be, err := src.Open(ctx, fleet.Database{Name: "x1", Missing: true, Create: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	be.Close()
	for _, tc := range []struct {
		name string
		dbs  []fleet.Database
		want []fleet.Outcome
	}{
		{"first by name missing", []fleet.Database{{Name: "a0", Missing: true}, {Name: "x1"}}, []fleet.Outcome{fleet.OutcomeMissing, fleet.OutcomeDone}},
		{"all missing", []fleet.Database{{Name: "b0", Missing: true}, {Name: "b1", Missing: true}}, []fleet.Outcome{fleet.OutcomeMissing, fleet.OutcomeMissing}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := fleet.Rollout(ctx, src, tc.dbs, fleet.RolloutOptions{ID: "r-missing", Environment: "tenants", Spec: spec})
			if err != nil {
				t.Fatalf("Rollout: %v", err)
			}
			for i, r := range rep.Results {
				if r.Status != tc.want[i] {
					t.Errorf("%s: %+v, want %s", r.Database, r, tc.want[i])
				}
				if r.Status == fleet.OutcomeMissing && !strings.Contains(r.Reason, "create = true") {
					t.Errorf("%s: reason %q does not say how to create it", r.Database, r.Reason)
				}
			}
			if !rep.Complete() {
				t.Errorf("report not complete: %+v", rep.Results)
			}
			for _, db := range tc.dbs {
				if db.Missing {
					if _, err := os.Stat(filepath.Join(dir, db.Name)); !os.IsNotExist(err) {
						t.Errorf("%s: created (%v)", db.Name, err)
					}
				}
			}
		})
	}
}
