//go:build cloudflare_live

package cloudflare

import (
	"context"
	"os"
	"testing"

	"github.com/cloudflare/cloudflare-go/v6/kv"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/backendtest"
	"github.com/dmplan/dmplan/internal/flowtest"
)

// TestLiveConformance runs the conformance suite against a real Cloudflare
// account (make test-cloudflare):
//
//	CLOUDFLARE_API_TOKEN=… CLOUDFLARE_ACCOUNT_ID=… DMPLAN_TEST_D1_DATABASE=scratch \
//	  go test -tags cloudflare_live -run Live ./backend/cloudflare/
//
// The token needs D1 Edit and Workers KV Storage Edit. The suite creates
// uniquely named tables in the scratch database and KV namespaces, which
// it deletes at the end.
func TestLiveConformance(t *testing.T) {
	db := os.Getenv("DMPLAN_TEST_D1_DATABASE")
	if db == "" {
		t.Fatal("set DMPLAN_TEST_D1_DATABASE to a scratch D1 database the suite may change")
	}
	ctx := context.Background()
	s, err := Open(ctx, Config{Database: db, Environment: "live-test"})
	if err != nil {
		t.Fatal(err)
	}
	before, err := s.KV().Namespaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { deleteNewNamespaces(t, s, before) })
	backendtest.Run(t, func(t *testing.T) backend.Backend { return s })
	flowtest.Run(t, func(t *testing.T) backend.Backend { return s })
	t.Logf("%d requests to the Cloudflare API", s.Requests())
}

func deleteNewNamespaces(t *testing.T, s *Store, before []backend.Namespace) {
	ctx := context.Background()
	old := map[string]bool{}
	for _, n := range before {
		old[n.ID] = true
	}
	after, err := s.KV().Namespaces(ctx)
	if err != nil {
		t.Errorf("list namespaces for cleanup: %v", err)
		return
	}
	for _, n := range after {
		if old[n.ID] {
			continue
		}
		var params kv.NamespaceDeleteParams
		present(&params.AccountID, s.cfg.AccountID)
		if _, err := s.ns.Delete(ctx, n.ID, params); err != nil {
			t.Errorf("delete namespace %s (%s): %v", n.Title, n.ID, describe(err))
		}
	}
}
