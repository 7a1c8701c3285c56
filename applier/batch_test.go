package applier

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestChunk(t *testing.T) {
	refs := func(steps ...int) []stmtRef {
		out := make([]stmtRef, len(steps))
		for i, s := range steps {
			out[i] = stmtRef{step: s, sql: "x"}
		}
		return out
	}
	steps := func(bs [][]stmtRef) [][]int {
		var out [][]int
		for _, b := range bs {
			var s []int
			for _, r := range b {
				s = append(s, r.step)
			}
			out = append(out, s)
		}
		return out
	}
	tests := []struct {
		name     string
		in       []stmtRef
		maxStmts int
		maxBytes int
		want     [][]int
	}{
		{"fits", refs(-1, 0, 1, 2), 10, 100, [][]int{{-1, 0, 1, 2}}},
		{"by count", refs(-1, 0, 1, 2, 3), 2, 100, [][]int{{-1, 0}, {1, 2}, {3}}},
		{"step kept whole", refs(-1, 0, 1, 1, 2), 3, 100, [][]int{{-1, 0}, {1, 1, 2}}},
		{"step over the limit is split", refs(0, 0, 0), 2, 100, [][]int{{0, 0}, {0}}},
		{"by bytes", refs(0, 1, 2, 3), 10, 2, [][]int{{0, 1}, {2, 3}}},
		{"defaults", refs(0), 0, 0, [][]int{{0}}},
		{"empty", nil, 5, 5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := steps(chunk(tt.in, tt.maxStmts, tt.maxBytes))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("chunk (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHistoryDDLHasNoTransactionStatements(t *testing.T) {
	for _, q := range []string{historyDDL, historyInsert, historySelect} {
		u := strings.ToUpper(q)
		for _, bad := range []string{"BEGIN", "COMMIT", "SAVEPOINT", "ROLLBACK"} {
			if strings.Contains(u, bad) {
				t.Errorf("statement holds %s: %s", bad, q)
			}
		}
	}
}
