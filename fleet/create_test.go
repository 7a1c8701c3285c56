package fleet_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/fleet"
	"github.com/dmplan/dmplan/hclspec"
)

// Opening listed-but-missing databases for writing on Cloudflare creates
// each once, in the fleet's jurisdiction, however many Opens ask at once
// (a rollout opens a database for its lease and for its apply); one
// without create is refused and not created.
func TestCloudflareOpenCreates(t *testing.T) {
	ctx := context.Background()
	h := fleet.SizedHarness(t)
	acct := h.NewAccount(t)
	store, err := cloudflare.Open(ctx, cloudflare.Config{AccountID: acct, APIToken: h.Token, BaseURL: h.BaseURL,
		MaxAttempts: 2, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	src := fleet.NewCloudflare(store)
	f := &hclspec.Fleet{Names: []string{"n-1", "n-2"}, Create: true, Jurisdiction: "eu"}
	dbs, err := fleet.Resolve(ctx, f, "", src)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(db fleet.Database) {
			defer wg.Done()
			be, err := src.Open(ctx, db, false)
			if err != nil {
				errs <- err
				return
			}
			defer be.Close()
			if _, err := be.D1().Query(ctx, backend.Stmt{SQL: "SELECT 1"}); err != nil {
				errs <- err
			}
		}(dbs[i%2])
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	live, err := store.ListDatabases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range live {
		got[d.Name] = d.Jurisdiction
	}
	if len(live) != 2 || got["n-1"] != "eu" || got["n-2"] != "eu" {
		t.Errorf("databases after the opens: %+v", live)
	}
	if _, err := src.Open(ctx, fleet.Database{Name: "n-3", Missing: true}, false); !errors.Is(err, fleet.ErrNotADatabase) {
		t.Errorf("Open of a missing database without create: %v", err)
	}
	if live, _ := store.ListDatabases(ctx); len(live) != 2 {
		t.Errorf("a database without create was created: %+v", live)
	}
}
