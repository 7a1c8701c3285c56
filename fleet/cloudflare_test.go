package fleet_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/fleet"
)

// A fleet of harness databases in mixed states (current, fresh, drifted by
// hand, blocked by duplicates, unreachable by the harness's fault switch,
// deleted after the list) plans as groups, at two
// requests per database (one more for the database whose unique index
// needs its duplicate probe), one list of the databases and one list of
// the KV namespaces for the whole fleet.
func TestPlanFleetCloudflare(t *testing.T) {
	ctx := context.Background()
	h := fleet.SizedHarness(t) // the one harness of this package (rollout's tests share it)
	acct := h.NewAccount(t)
	store, err := cloudflare.Open(ctx, cloudflare.Config{AccountID: acct, APIToken: h.Token, BaseURL: h.BaseURL,
		MaxAttempts: 2, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	const n = 13
	for i := 0; i < n; i++ {
		h.NewDatabase(t, acct, fmt.Sprintf("t-%02d", i))
	}
	h.NewDatabase(t, acct, "billing") // not a tenant
	spec := loadSpec(t, strings.Replace(fleetSpec, `backend = "local"
  path    = "fleet"
  databases {
    names = ["a1", "a2", "b1", "d1", "e1", "u1", "zz"]
  }`, `backend    = "cloudflare"
  account_id = "x"
  databases {
    prefix = "t-"
  }`, 1))
	src := fleet.NewCloudflare(store)
	all, err := fleet.Resolve(ctx, spec.Environment("tenants").Fleet, "", src)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != n {
		t.Fatalf("resolved %d databases: %+v", len(all), all)
	}
	ids := map[string]string{}
	for _, d := range all {
		ids[d.Name] = d.ID
	}
	// t-00..t-07 current, t-08 drifted, t-09 blocked, t-10 and t-11 fresh,
	// t-12 current but unreachable (its region down: HTTP 503).
	for _, i := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12} {
		applyTo(t, src, spec, "tenants", all[i])
	}
	member := func(name string) backend.Backend {
		be, err := src.Open(ctx, fleet.Database{Name: name, ID: ids[name]}, false)
		if err != nil {
			t.Fatal(err)
		}
		return be
	}
	exec(t, member("t-08"), `DROP INDEX item_by_sku`)
	exec(t, member("t-09"), `DROP INDEX item_by_sku`,
		`INSERT INTO item (item_id, sku, user_id) VALUES ('x', 'same', 'u'), ('y', 'same', 'u')`)
	// A database deleted between the list and its plan is unreachable.
	dbs := append(all, fleet.Database{Name: "t-gone", ID: "0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f"})

	h.SetUnreachable(t, acct, ids["t-12"], 503)
	// A fresh Source, so its namespaces are listed by the plan.
	src = fleet.NewCloudflare(store)
	before := len(h.Requests(t, acct))
	res, err := fleet.PlanFleet(ctx, spec, "tenants", spec.Environment("tenants").Fleet, src, dbs, fleet.Options{Parallel: 4})
	if err != nil {
		t.Fatal(err)
	}
	reqs := h.Requests(t, acct)[before:]

	var groups []string
	for _, g := range res.Groups {
		groups = append(groups, fmt.Sprintf("%s:%d", g.Status, g.Count()))
	}
	if got := strings.Join(groups, " "); got != "changes:2 changes:1 blocked:1 unreachable:2 current:8" {
		t.Errorf("groups = %s", got)
	}
	perDB := map[string]int{}
	namespaceLists := 0
	for _, r := range reqs {
		switch {
		case strings.HasSuffix(r.Path, "/storage/kv/namespaces") && r.Method == "GET":
			namespaceLists++
		case strings.HasSuffix(r.Path, "/keys") && r.Method == "GET":
			// A fresh database's refill peek: one key under its own
			// tenant's prefix.
			q, _ := url.ParseQuery(r.Query)
			name, _, _ := strings.Cut(q.Get("prefix"), "/")
			perDB[ids[name]]++
		case strings.Contains(r.Path, "/d1/database/"):
			id := strings.Split(strings.SplitAfter(r.Path, "/d1/database/")[1], "/")[0]
			perDB[id]++
		default:
			t.Errorf("unexpected request %s %s", r.Method, r.Path)
		}
	}
	if namespaceLists != 1 {
		t.Errorf("the KV namespaces were listed %d times, want once per fleet", namespaceLists)
	}
	for name, id := range ids {
		want := 2
		switch name {
		case "t-09":
			want = 3 // the duplicate probe of the unique index
		case "t-12":
			want = 2 // its first request, tried twice (MaxAttempts)
		}
		// An empty database: sqlite_master is all there is in D1, and one
		// KV list of a key under "<name>/item:" says whether the new
		// table is refilled from the tenant's objects.
		if perDB[id] != want {
			t.Errorf("%s: %d D1 requests, want %d", name, perDB[id], want)
		}
	}
	for _, d := range res.Databases {
		if (d.Database.Name == "t-gone" || d.Database.Name == "t-12") && (d.Status != fleet.StatusUnreachable || !strings.Contains(d.Error, d.Database.Name)) {
			t.Errorf("%s: %s %q", d.Database.Name, d.Status, d.Error)
		}
	}
}
