package cloudflare

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	"github.com/dmplan/dmplan/runtime"
)

// TestRuntimeChosenIDCreateRetried: the INSERT ... ON CONFLICT DO NOTHING
// of a create with a caller-chosen id is replayed after a 5xx or a lost
// answer like the upserts: a replay that finds the row its first run wrote
// is the same row, so the create succeeds (one record, KV and D1 agreeing)
// instead of a partial write. The fault hits the first D1 request, the
// INSERT (after the taken-id KV read and the KV write).
func TestRuntimeChosenIDCreateRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, ds := openRuntime(t, retrySpec)
	sys := ds.System()
	if _, err := sys.Create(ctx, "NOTE", map[string]any{"title": "warm"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		fault cftest.Fault
		run   func() error
		ids   []string
	}{
		{
			name:  "create: the insert ran and its answer was lost",
			fault: cftest.Fault{Drop: true, After: true, Count: 1},
			run: func() error {
				_, err := sys.Create(ctx, "NOTE", map[string]any{"note_id": "chosen-1", "title": "one"})
				return err
			},
			ids: []string{"chosen-1"},
		},
		{
			name:  "create: 500 on the insert",
			fault: cftest.Fault{Status: 500, Count: 1},
			run: func() error {
				_, err := sys.Create(ctx, "NOTE", map[string]any{"note_id": "chosen-2", "title": "two"})
				return err
			},
			ids: []string{"chosen-2"},
		},
		{
			name:  "create many: the insert batch ran and its answer was lost",
			fault: cftest.Fault{Drop: true, After: true, Count: 1},
			run: func() error {
				_, err := sys.CreateMany(ctx, "NOTE", []map[string]any{{"note_id": "chosen-3", "title": "three"}, {"note_id": "chosen-4", "title": "four"}})
				return err
			},
			ids: []string{"chosen-3", "chosen-4"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.mark(t)
			// The fault applies to D1 requests only: let every KV request
			// through by counting them as skipped.
			tt.fault.Account = f.acct
			tt.fault.Skip = 2 // the taken-id KV read, the KV write
			f.h.SetFault(t, tt.fault)
			if err := tt.run(); err != nil {
				var pw *runtime.PartialWriteError
				t.Fatalf("err = %v (partial write: %v), want success after a retry", err, errors.As(err, &pw))
			}
			reqs := f.requests(t)
			if len(reqs) < 4 || !strings.Contains(reqs[2].Path, "/d1/") || !strings.Contains(reqs[3].Path, "/d1/") || reqs[3].Status != 200 {
				t.Errorf("requests %v, want the D1 insert faulted and sent again", reqs)
			}
			for _, id := range tt.ids {
				r, err := sys.Get(ctx, "NOTE", id)
				if err != nil {
					t.Fatalf("get %s: %v", id, err)
				}
				n, err := sys.Query("NOTE").Where("note_id", id).Count(ctx)
				if err != nil || n != 1 {
					t.Errorf("D1 rows of %s: %d %v", id, n, err)
				}
				_ = r
			}
		})
	}
}
