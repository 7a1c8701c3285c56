package applier

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	"github.com/dmplan/dmplan/state"
)

// TestCloudflareUpgradesOldHistory applies with a real Time Travel
// bookmark to a D1 database (workerd, through the REST harness) whose
// history table predates the bookmark column: the column is added, the
// old row is still listed, and the new row holds the bookmark.
func TestCloudflareUpgradesOldHistory(t *testing.T) {
	ctx := context.Background()
	h := cftest.Start(t)
	acct := h.NewAccount(t)
	h.NewDatabase(t, acct, "shop")
	s, err := cloudflare.Open(ctx, cloudflare.Config{
		AccountID: acct, APIToken: h.Token, Database: "shop", BaseURL: h.BaseURL,
		Getenv: func(string) string { return "" }, Environment: "test",
	})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	defer s.Close()
	for _, st := range []backend.Stmt{
		{SQL: oldHistoryDDL},
		{SQL: historyInsert, Args: []any{"old-plan", "fp0", "fp1", "[]", "{}", "dmplan 0.0.1", "me@host",
			"2026-01-01T00:00:00.000Z", "2026-01-01T00:00:01.000Z", int64(1000), state.OutcomeApplied, "", int64(-1), "[]"}},
	} {
		if _, err := s.D1().Query(ctx, st); err != nil {
			t.Fatalf("create old history: %v", err)
		}
	}
	bm, err := s.Bookmark(ctx)
	if err != nil {
		t.Fatalf("bookmark: %v", err)
	}
	p := makePlan(t, s, loadSpec(t, baseHCL))
	if _, err := Apply(ctx, s, p, Options{Bookmark: bm}); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	hist, err := History(ctx, s.D1(), 0)
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	var got [][2]string
	for _, r := range hist {
		got = append(got, [2]string{r.PlanID, r.Bookmark})
	}
	want := [][2]string{{p.ID, bm}, {"old-plan", ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("history (plan, bookmark) (-want +got):\n%s", diff)
	}
}
