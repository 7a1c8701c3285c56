package faulty_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/faulty"
	"github.com/dmplan/dmplan/backend/local"
)

func TestFailures(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		arm       func(f *faulty.Backend)
		wantErrs  []bool // per call of the three inserts
		wantRows  int64  // rows that took effect
		wantQuery int
	}{
		{"none", func(*faulty.Backend) {}, []bool{false, false, false}, 3, 3},
		{"second query before it runs", func(f *faulty.Backend) { f.FailNth(faulty.D1Query, 2) }, []bool{false, true, false}, 2, 3},
		{"second query after it ran", func(f *faulty.Backend) { f.FailNthAfter(faulty.D1Query, 2) }, []bool{false, true, false}, 3, 3},
		{"by statement text", func(f *faulty.Backend) { f.FailStatement("'c'") }, []bool{false, false, true}, 2, 3},
		{"another kind never fires", func(f *faulty.Backend) { f.FailNth(faulty.D1Batch, 1) }, []bool{false, false, false}, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := local.OpenMemory(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.D1().Query(ctx, backend.Stmt{SQL: "CREATE TABLE t (v TEXT)"}); err != nil {
				t.Fatal(err)
			}
			f := faulty.Wrap(s)
			tt.arm(f)
			for i, v := range []string{"a", "b", "c"} {
				_, err := f.D1().Query(ctx, backend.Stmt{SQL: "INSERT INTO t VALUES ('" + v + "')"})
				if got := err != nil; got != tt.wantErrs[i] || (got && !errors.Is(err, faulty.ErrInjected)) {
					t.Errorf("insert %s: err = %v", v, err)
				}
			}
			res, err := s.D1().Query(ctx, backend.Stmt{SQL: "SELECT COUNT(*) FROM t"})
			if err != nil || res.Rows[0][0] != tt.wantRows {
				t.Errorf("rows = %v, %v; want %d", res.Rows, err, tt.wantRows)
			}
			if f.Count(faulty.D1Query) != tt.wantQuery || f.Total() != tt.wantQuery {
				t.Errorf("counts = %v", f.Counts())
			}
		})
	}
}

// TestLatency: a delayed kind of call waits at least its delay (a lower
// bound, which time.Sleep guarantees) and still reaches the store.
func TestLatency(t *testing.T) {
	ctx := context.Background()
	s, err := local.OpenMemory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f := faulty.Wrap(s)
	ns, err := f.KV().CreateNamespace(ctx, "lat")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.KV().Put(ctx, ns.ID, backend.Entry{Key: "k", Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	const d = 20 * time.Millisecond
	f.SetLatency(faulty.KVGet, d)
	start := time.Now()
	e, err := f.KV().Get(ctx, ns.ID, "k")
	if took := time.Since(start); err != nil || string(e.Value) != "v" || took < d {
		t.Errorf("get with %s of latency: %q, %v after %s", d, e.Value, err, took)
	}
	f.SetLatency(faulty.KVGet, 0)
	if _, err := f.KV().Get(ctx, ns.ID, "k"); err != nil || f.Count(faulty.KVGet) != 2 {
		t.Errorf("get without latency: %v, %d calls", err, f.Count(faulty.KVGet))
	}
}
