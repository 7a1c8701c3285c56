package view

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func historyEntries() []HistoryEntry {
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	return []HistoryEntry{
		{PlanID: "p2", Outcome: "failed", StepCount: 1, StartedAt: at, FinishedAt: at.Add(time.Second), Error: "boom", Bookmark: "00000002-bm"},
		{PlanID: "p1", Outcome: "applied", StepCount: 2, StartedAt: at, FinishedAt: at.Add(time.Second)},
	}
}

func TestHistoryShowsBookmark(t *testing.T) {
	tests := []struct {
		name    string
		entries []HistoryEntry
		want    []string // lines the output must hold
		absent  []string
	}{
		{"with a bookmark", historyEntries(), []string{
			"D1 Time Travel bookmarks taken before each apply:",
			"  p2  00000002-bm",
			"To restore the database to its state before an apply: wrangler d1 time-travel restore " + testTarget.Database + " --bookmark=<bookmark>",
		}, nil},
		{"without bookmarks", historyEntries()[1:], nil, []string{"bookmark", "wrangler"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			NewHistory(Human, Streams{Out: &out}).History(testTarget, tt.entries)
			lines := strings.Split(out.String(), "\n")
			for _, w := range tt.want {
				found := false
				for _, l := range lines {
					found = found || l == w
				}
				if !found {
					t.Errorf("output lacks line %q:\n%s", w, out.String())
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(out.String(), a) {
					t.Errorf("output holds %q:\n%s", a, out.String())
				}
			}
		})
	}
}

func TestHistoryJSONBookmark(t *testing.T) {
	var out bytes.Buffer
	NewHistory(JSON, Streams{Out: &out}).History(testTarget, historyEntries())
	var doc struct {
		History []map[string]any `json:"history"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("decode %s: %v", out.String(), err)
	}
	var got []any
	for _, h := range doc.History {
		got = append(got, h["bookmark"])
	}
	if diff := cmp.Diff([]any{"00000002-bm", nil}, got); diff != "" {
		t.Errorf("bookmark per entry (-want +got):\n%s", diff)
	}
}
