package cloudflare

import (
	"context"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend"
)

// ListDatabases follows the pages: 5 databases at 2 a page are 3
// requests, and a count that fills its last page costs one more, empty.
func TestListDatabasesPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t) // holds dmplan-test
	for _, n := range []string{"t-1", "t-2", "t-3", "t-4"} {
		f.h.NewDatabase(t, f.acct, n)
	}
	for _, tt := range []struct {
		perPage, requests int
	}{{2, 3}, {3, 2}, {1, 6}, {5, 2}, {10, 1}} {
		f.s.listPerPage = tt.perPage
		f.mark(t)
		dbs, err := f.s.ListDatabases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, d := range dbs {
			names = append(names, d.Name)
			if len(d.ID) != 36 {
				t.Errorf("database %s: id %q", d.Name, d.ID)
			}
		}
		if got := strings.Join(names, " "); got != "dmplan-test t-1 t-2 t-3 t-4" {
			t.Errorf("per page %d: listed %s", tt.perPage, got)
		}
		if got := len(f.requests(t)); got != tt.requests {
			t.Errorf("per page %d: %d requests, want %d", tt.perPage, got, tt.requests)
		}
	}
}

// A Store made by WithDatabase for a listed database reaches it without a
// request of its own, and CreateDatabase's database is listed.
func TestCreateAndReachDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	db, err := f.s.CreateDatabase(ctx, "tenant-new", "")
	if err != nil {
		t.Fatal(err)
	}
	if db.Name != "tenant-new" || db.ID == "" {
		t.Fatalf("created %+v", db)
	}
	f.mark(t)
	m := f.s.WithDatabase(db.ID, db.Name)
	if _, err := m.D1().Query(ctx, backend.Stmt{SQL: "CREATE TABLE x (a)"}); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests(t)
	if len(reqs) != 1 || !strings.Contains(reqs[0].Path, "/d1/database/"+db.ID+"/") {
		t.Errorf("requests = %+v, want one query of the new database", reqs)
	}
	dbs, err := f.s.ListDatabases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(dbs) != 2 {
		t.Errorf("listed %+v", dbs)
	}
}

// A database created in a jurisdiction is listed with it; one created
// without is listed without.
func TestCreateDatabaseJurisdiction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t) // dmplan-test, no jurisdiction
	eu, err := f.s.CreateDatabase(ctx, "tenant-eu", "eu")
	if err != nil {
		t.Fatal(err)
	}
	if eu.Jurisdiction != "eu" {
		t.Errorf("created %+v", eu)
	}
	dbs, err := f.s.ListDatabases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range dbs {
		got[d.Name] = d.Jurisdiction
	}
	if len(got) != 2 || got["tenant-eu"] != "eu" || got["dmplan-test"] != "" {
		t.Errorf("listed jurisdictions %v", got)
	}
	if _, err := f.s.CreateDatabase(ctx, "tenant-mars", "mars"); err == nil {
		t.Error("a database was created in jurisdiction mars")
	}
}
