package fleet

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
)

// plannedFor plans dbs as dmplan apply does before a rollout (PlanFleet)
// and returns the Planned func that hands each database its group's plan.
func plannedFor(t *testing.T, spec *hclspec.Spec, f *hclspec.Fleet, src Source, dbs []Database) func(Database) *planner.Plan {
	t.Helper()
	res, err := PlanFleet(context.Background(), spec, "", f, src, dbs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	planned := map[string]*planner.Plan{}
	for _, g := range res.Groups {
		for _, name := range g.Databases {
			planned[name] = g.Plan
		}
	}
	return func(db Database) *planner.Plan { return planned[db.Name] }
}

// databasesNamed returns the account's databases named name.
func databasesNamed(t *testing.T, store *cloudflare.Store, name string) []cloudflare.Database {
	t.Helper()
	all, err := store.ListDatabases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []cloudflare.Database
	for _, d := range all {
		if d.Name == name {
			out = append(out, d)
		}
	}
	return out
}

// createRequests counts the D1 create requests (POST .../d1/database).
func createRequests(reqs []cftest.Request) int {
	n := 0
	for _, r := range reqs {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/d1/database") {
			n++
		}
	}
	return n
}

// TestRolloutHarnessCreate covers a fleet with create = true on Cloudflare
// (the workerd harness): the rollout creates a listed database that does
// not exist, in the fleet's jurisdiction, and applies its plan (create
// everything) for one request more than the apply; a create that fails is
// that database's failure, with the API's reason; a create whose answer
// was lost after the database was made is found by name, not made twice;
// and a resumed rollout, listing the fleet again, finds the database
// created and creates nothing.
func TestRolloutHarnessCreate(t *testing.T) {
	ctx := context.Background()
	h := cftest.Shared(t)
	spec := loadSpec(t, tenantHCL)
	block := &hclspec.Fleet{Names: []string{"tenant-000", "tenant-new"}, Create: true, Jurisdiction: "eu"}

	t.Run("created within the budget", func(t *testing.T) {
		f := newHarnessFleet(t, h, 1, nil)
		dbs, err := Resolve(ctx, block, "", f.src)
		if err != nil {
			t.Fatal(err)
		}
		if len(dbs) != 2 || !dbs[1].Missing || !dbs[1].Create || dbs[1].Jurisdiction != "eu" {
			t.Fatalf("resolved %+v, want tenant-new missing, to create in eu", dbs)
		}
		planned := plannedFor(t, spec, block, f.src, dbs)
		before := len(h.Requests(t, f.acct))
		rep, err := Rollout(ctx, f.src, dbs, RolloutOptions{ID: "r-create", Spec: spec, Planned: planned, Concurrency: 1})
		if err != nil {
			t.Fatalf("Rollout: %v", err)
		}
		if r := rep.Results[1]; r.Database != "tenant-new" || r.Status != OutcomeDone || r.PlanID == "" {
			t.Fatalf("tenant-new: %+v, want done", r)
		}
		made := databasesNamed(t, f.store, "tenant-new")
		if len(made) != 1 || made[0].Jurisdiction != "eu" {
			t.Fatalf("databases named tenant-new: %+v, want one, in eu", made)
		}
		reqs := h.Requests(t, f.acct)[before:]
		perDB := 0
		for _, r := range reqs {
			if strings.Contains(r.Path, "/d1/database/"+made[0].ID+"/") {
				perDB++
			}
		}
		// Creation, then the lean batch: the fleet plan (made on an empty
		// database, as creating gives) needs no inspection of it.
		if got := createRequests(reqs); got != 1 {
			t.Errorf("%d create requests, want 1", got)
		}
		if perDB != 1 {
			t.Errorf("%d requests to the created database, want 1 (the lean apply)", perDB)
		}
		created := member{Name: "tenant-new", ID: made[0].ID, Backend: f.store.WithDatabase(made[0].ID, "tenant-new")}
		if n := appliedBy(t, []member{created}, "r-create")["tenant-new"]; n != 1 {
			t.Errorf("tenant-new applied %d times, want once", n)
		}

		// Resumed (same rollout id, the fleet listed again, no journal):
		// the database exists now; nothing is created, nothing applied.
		src := NewCloudflare(f.store)
		dbs, err = Resolve(ctx, block, "", src)
		if err != nil {
			t.Fatal(err)
		}
		if dbs[1].Missing {
			t.Fatalf("tenant-new still missing after the rollout: %+v", dbs[1])
		}
		before = len(h.Requests(t, f.acct))
		rep, err = Rollout(ctx, src, dbs, RolloutOptions{ID: "r-create", Spec: spec, Concurrency: 1})
		if err != nil {
			t.Fatalf("resumed Rollout: %v", err)
		}
		if r := rep.Results[1]; r.Status != OutcomeDone || !r.Resumed {
			t.Errorf("resumed tenant-new: %+v, want done, resumed", r)
		}
		if got := createRequests(h.Requests(t, f.acct)[before:]); got != 0 {
			t.Errorf("the resumed rollout sent %d create requests", got)
		}
		if n := appliedBy(t, []member{created}, "r-create")["tenant-new"]; n != 1 {
			t.Errorf("tenant-new applied %d times after the resume, want once", n)
		}
	})

	t.Run("create fails", func(t *testing.T) {
		f := newHarnessFleet(t, h, 1, nil)
		// A jurisdiction the API refuses (hclspec validates the attribute;
		// the API is the last word).
		dbs := append(append([]Database(nil), f.dbs...), Database{Name: "tenant-new", Missing: true, Create: true, Jurisdiction: "mars"})
		rep, err := Rollout(ctx, f.src, dbs, RolloutOptions{ID: "r-fail", Spec: spec, MaxFailures: 1})
		if err != nil {
			t.Fatalf("Rollout: %v", err)
		}
		if r := rep.Results[0]; r.Status != OutcomeDone {
			t.Errorf("tenant-000: %+v, want done", r)
		}
		r := rep.Results[1]
		if r.Status != OutcomeFailed || r.FailedAt != "open" || !strings.Contains(r.Reason, "create d1 database tenant-new") ||
			!strings.Contains(r.Reason, "jurisdiction is invalid") {
			t.Errorf("tenant-new: %+v, want failed at open with the API's reason", r)
		}
		if made := databasesNamed(t, f.store, "tenant-new"); len(made) != 0 {
			t.Errorf("databases named tenant-new: %+v, want none", made)
		}
	})

	t.Run("answer lost", func(t *testing.T) {
		// The fleet is the one database to create, so its create is the
		// rollout's first request (the lease lives in it); the answer is
		// dropped after the database was made.
		acct := h.NewAccount(t)
		store := openStore(t, h, acct)
		h.SetFault(t, cftest.Fault{Account: acct, Drop: true, After: true, Count: 1})
		dbs := []Database{{Name: "tenant-new", Missing: true, Create: true, Jurisdiction: "eu"}}
		rep, err := Rollout(ctx, NewCloudflare(store), dbs, RolloutOptions{ID: "r-lost-create", Spec: spec})
		if err != nil {
			t.Fatalf("Rollout: %v (%+v)", err, rep)
		}
		if r := rep.Results[0]; r.Status != OutcomeDone {
			t.Fatalf("tenant-new: %+v, want done", r)
		}
		reqs := h.Requests(t, acct)
		if len(reqs) == 0 || !reqs[0].Dropped || createRequests(reqs[:1]) != 1 {
			t.Fatalf("the first request %+v, want the create, its answer dropped", reqs[:min(1, len(reqs))])
		}
		if got := createRequests(reqs); got != 1 {
			t.Errorf("%d create requests, want 1 (the lost answer is looked up, not retried)", got)
		}
		// The look-up asks for that name only: one list request, not the
		// account's every page.
		var lists []cftest.Request
		for _, r := range reqs {
			if r.Method == "GET" && strings.HasSuffix(r.Path, "/d1/database") {
				lists = append(lists, r)
			}
		}
		if len(lists) != 1 || !strings.Contains(lists[0].Query, "name=tenant-new") {
			t.Errorf("list requests %+v, want one, for name=tenant-new", lists)
		}
		made := databasesNamed(t, store, "tenant-new")
		if len(made) != 1 || made[0].Jurisdiction != "eu" {
			t.Fatalf("databases named tenant-new: %+v, want one, in eu", made)
		}
		m := member{Name: "tenant-new", ID: made[0].ID, Backend: store.WithDatabase(made[0].ID, "tenant-new")}
		if n := appliedBy(t, []member{m}, "r-lost-create")["tenant-new"]; n != 1 {
			t.Errorf("applied %d times, want once", n)
		}
	})
}

// openStore opens a Store on account acct of h.
func openStore(t *testing.T, h *cftest.Harness, acct string) *cloudflare.Store {
	t.Helper()
	s, err := cloudflare.Open(context.Background(), cloudflare.Config{
		AccountID: acct, APIToken: h.Token, BaseURL: h.BaseURL, Environment: "fleet",
		Getenv: func(string) string { return "" }, MaxAttempts: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestResolveNamesByName: a short names list on Cloudflare is resolved
// with a name-filtered look-up per name (one request each), not by
// listing the whole account; a names list past findLimit lists once.
func TestResolveNamesByName(t *testing.T) {
	ctx := context.Background()
	h := cftest.Shared(t)
	f := newHarnessFleet(t, h, 3, nil)
	block := &hclspec.Fleet{Names: []string{"tenant-002", "tenant-000", "tenant-gone"}}
	before := len(h.Requests(t, f.acct))
	dbs, err := Resolve(ctx, block, "", f.src)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, 0, len(dbs))
	for _, d := range dbs {
		got = append(got, fmt.Sprintf("%s:%v:%v", d.Name, d.ID == f.ids[d.Name] && d.ID != "", d.Missing))
	}
	if want := "tenant-000:true:false tenant-002:true:false tenant-gone:false:true"; strings.Join(got, " ") != want {
		t.Errorf("resolved %s, want %s", strings.Join(got, " "), want)
	}
	reqs := h.Requests(t, f.acct)[before:]
	if len(reqs) != 3 {
		t.Errorf("%d requests, want 3 (one per name)", len(reqs))
	}
	for _, r := range reqs {
		if r.Method != "GET" || !strings.Contains(r.Query, "name=tenant-") {
			t.Errorf("request %s %s?%s, want a name-filtered list", r.Method, r.Path, r.Query)
		}
	}

	long := &hclspec.Fleet{}
	for i := range findLimit + 1 {
		long.Names = append(long.Names, fmt.Sprintf("tenant-%03d", i))
	}
	before = len(h.Requests(t, f.acct))
	dbs, err = Resolve(ctx, long, "", f.src)
	if err != nil {
		t.Fatal(err)
	}
	if len(dbs) != findLimit+1 || dbs[0].Missing || !dbs[3].Missing {
		t.Errorf("resolved %+v", dbs)
	}
	if reqs := h.Requests(t, f.acct)[before:]; len(reqs) != 1 || strings.Contains(reqs[0].Query, "name=") {
		t.Errorf("requests %+v, want one unfiltered list", reqs)
	}
}
