package operator_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/runtime"
)

// countD1 counts D1 requests (a Query or a Batch is one round trip).
type countD1 struct {
	backend.D1
	n *atomic.Int64
}

func (c countD1) Query(ctx context.Context, st backend.Stmt) (*backend.Result, error) {
	c.n.Add(1)
	return c.D1.Query(ctx, st)
}

func (c countD1) Batch(ctx context.Context, sts []backend.Stmt) ([]*backend.Result, error) {
	c.n.Add(1)
	return c.D1.Batch(ctx, sts)
}

type countBackend struct {
	backend.Backend
	d1 countD1
}

func (c countBackend) D1() backend.D1 { return c.d1 }

// TestSeedStatusOneRoundTrip: the status of every seed of an initialized
// target costs one D1 request, whatever the number of seeds.
func TestSeedStatusOneRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := seedModels + sprintf(condSeed, "if_missing") + settingSeeds
	e := newSeedEnv(t, src)
	e.initialize(t)
	live, err := backend.Inspect(ctx, e.be.D1(), e.be.KV())
	if err != nil {
		t.Fatal(err)
	}
	spec, diags := hclspec.LoadSources("app", map[string][]byte{"app.dm.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	var n atomic.Int64
	ds, err := runtime.Open(ctx, spec, countBackend{Backend: e.be, d1: countD1{D1: e.be.D1(), n: &n}})
	if err != nil {
		t.Fatal(err)
	}
	n.Store(0)
	st, err := operator.NewSeeds(ds, e.getenv).Status(ctx, live)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 3 {
		t.Fatalf("status of %d seeds, want 3: %v", len(st), st)
	}
	for k, s := range st {
		if s.Records != 0 {
			t.Errorf("%s would write %d records after initialize (%s)", k, s.Records, s.Reason)
		}
	}
	if got := n.Load(); got != 1 {
		t.Errorf("D1 requests for the status of 3 seeds = %d, want 1", got)
	}
}
