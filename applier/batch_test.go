package applier

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/backend"
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

type limitedD1 struct {
	backend.D1
	stmts, bytes int
}

func (l limitedD1) BatchLimits() (int, int) { return l.stmts, l.bytes }

func TestBatchLimits(t *testing.T) {
	const max = int(^uint(0) >> 1)
	tests := []struct {
		name       string
		d1         backend.D1
		opts       Options
		stmts, byt int
	}{
		{"defaults", nil, Options{}, DefaultMaxBatchStatements, DefaultMaxBatchBytes},
		{"backend unlimited", limitedD1{}, Options{}, max, max},
		{"backend limits", limitedD1{stmts: 50, bytes: 1000}, Options{}, 50, 1000},
		{"options win", limitedD1{}, Options{MaxBatchStatements: 3, MaxBatchBytes: 10}, 3, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, b := batchLimits(tt.d1, tt.opts)
			if s != tt.stmts || b != tt.byt {
				t.Errorf("batchLimits = %d, %d; want %d, %d", s, b, tt.stmts, tt.byt)
			}
		})
	}
}

// unlimitedStore makes the local store's D1 take any batch.
type unlimitedStore struct{ backend.Backend }

func (u unlimitedStore) D1() backend.D1 { return limitedD1{D1: u.Backend.D1()} }

func TestApplyInOneBatchWhenUnlimited(t *testing.T) {
	b := openStore(t)
	p := makePlan(t, b, benchSpec(t, genSources(50, false)))
	r := mustApply(t, unlimitedStore{b}, p, Options{})
	if r.Batches != 1 || len(r.TablesCreated) != 50 || len(r.IndexesCreated) != 100 {
		t.Errorf("report: %d batches, %d tables, %d indexes", r.Batches, len(r.TablesCreated), len(r.IndexesCreated))
	}
	r2 := mustApply(t, b, makePlan(t, b, benchSpec(t, genSources(60, false))), Options{})
	if r2.Batches != 1 || len(r2.TablesCreated) != 10 {
		t.Errorf("second report: %d batches, %d tables", r2.Batches, len(r2.TablesCreated))
	}
}
