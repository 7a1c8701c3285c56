package applier

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// oldHistoryDDL is the history table as dmplan created it before the
// bookmark column.
const oldHistoryDDL = `CREATE TABLE "_dmplan_history" (
  id INTEGER PRIMARY KEY,
  plan_id TEXT NOT NULL,
  fingerprint_before TEXT NOT NULL,
  fingerprint_after TEXT NOT NULL DEFAULT '',
  steps TEXT NOT NULL,
  counts TEXT NOT NULL,
  tool_version TEXT NOT NULL,
  actor TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  failed_step INTEGER NOT NULL DEFAULT -1,
  kv_namespaces_created TEXT NOT NULL DEFAULT '[]'
)`

// createOldHistory makes b's history table the old shape, holding one row.
func createOldHistory(t *testing.T, b backend.Backend) {
	t.Helper()
	exec(t, b, oldHistoryDDL)
	exec(t, b, historyInsert, "old-plan", "fp0", "fp1", "[]", "{}", "dmplan 0.0.1", "me@host",
		"2026-01-01T00:00:00.000Z", "2026-01-01T00:00:01.000Z", int64(1000), state.OutcomeApplied, "", int64(-1), "[]")
}

// hasBookmarkColumn reports whether b's history table has the column.
func hasBookmarkColumn(t *testing.T, b backend.Backend) bool {
	t.Helper()
	exists, has, err := readHistoryColumns(context.Background(), b.D1())
	if err != nil || !exists {
		t.Fatalf("read history columns: exists %v, %v", exists, err)
	}
	return has
}

func TestHistoryRecordsBookmark(t *testing.T) {
	tests := []struct {
		name     string
		old      bool // the target has a history table from before bookmarks
		fail     bool // the apply's first step fails
		bookmark string
		// want is (outcome, bookmark) per history row, newest first.
		want       [][2]string
		wantColumn bool
	}{
		{"applied, new table", false, false, "bm-1", [][2]string{{state.OutcomeApplied, "bm-1"}}, true},
		{"failed, new table", false, true, "bm-2", [][2]string{{state.OutcomeFailed, "bm-2"}}, true},
		{"applied, old table upgraded", true, false, "bm-3",
			[][2]string{{state.OutcomeApplied, "bm-3"}, {state.OutcomeApplied, ""}}, true},
		{"failed, old table upgraded", true, true, "bm-4",
			[][2]string{{state.OutcomeFailed, "bm-4"}, {state.OutcomeApplied, ""}}, true},
		{"no bookmark, old table left as is", true, false, "",
			[][2]string{{state.OutcomeApplied, ""}, {state.OutcomeApplied, ""}}, false},
		{"no bookmark, new table", false, false, "", [][2]string{{state.OutcomeApplied, ""}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			b := openStore(t)
			if tt.old {
				createOldHistory(t, b)
			}
			p := makePlan(t, b, loadSpec(t, baseHCL))
			if tt.fail {
				for i, s := range p.Steps {
					if s.Action == planner.CreateTable {
						p.Steps[i].SQL = []string{"CREATE TABLE broken (x"}
						break
					}
				}
			}
			_, err := Apply(ctx, b, p, Options{Bookmark: tt.bookmark})
			if (err != nil) != tt.fail {
				t.Fatalf("Apply error = %v, want failure %v", err, tt.fail)
			}
			hist, err := History(ctx, b.D1(), 0)
			if err != nil {
				t.Fatalf("History: %v", err)
			}
			var got [][2]string
			for _, h := range hist {
				got = append(got, [2]string{h.Outcome, h.Bookmark})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("history (outcome, bookmark) (-want +got):\n%s", diff)
			}
			if tt.old && hist[len(hist)-1].PlanID != "old-plan" {
				t.Errorf("old row = %+v", hist[len(hist)-1])
			}
			if has := hasBookmarkColumn(t, b); has != tt.wantColumn {
				t.Errorf("bookmark column present = %v, want %v", has, tt.wantColumn)
			}
		})
	}
}

func TestHistoryReadsOldTable(t *testing.T) {
	ctx := context.Background()
	b := openStore(t)
	createOldHistory(t, b)
	hist, err := History(ctx, b.D1(), 0)
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	want := []state.HistoryRecord{{
		ID: 1, PlanID: "old-plan", FingerprintBefore: "fp0", FingerprintAfter: "fp1",
		Steps: []state.StepRef{}, Counts: map[string]int{}, ToolVersion: "dmplan 0.0.1", Actor: "me@host",
		StartedAt: asTime("2026-01-01T00:00:00.000Z"), FinishedAt: asTime("2026-01-01T00:00:01.000Z"),
		DurationMS: 1000, Outcome: state.OutcomeApplied, FailedStep: -1, Namespaces: []state.Namespace{},
	}}
	if diff := cmp.Diff(want, hist); diff != "" {
		t.Errorf("History of an old table (-want +got):\n%s", diff)
	}
}
