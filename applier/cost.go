package applier

import (
	"context"

	"github.com/dmplan/dmplan/backend"
)

// meteredBackend charges the cost of every D1 call of an apply to the
// meters of the call's context (backend.Charge), keeping the D1's batch
// limits visible to batchLimits. Seeds and backfills charge through the
// Datastore they run on, whose D1 the runtime meters.
type meteredBackend struct {
	backend.Backend
	d1 meteredD1
}

func meter(b backend.Backend) backend.Backend {
	if _, ok := b.(meteredBackend); ok {
		return b
	}
	return meteredBackend{Backend: b, d1: meteredD1{D1: backend.MeteredD1(b.D1()), raw: b.D1()}}
}

func (m meteredBackend) D1() backend.D1 { return m.d1 }

type meteredD1 struct {
	backend.D1
	raw backend.D1
}

var _ BatchLimiter = meteredD1{}

// BatchLimits is the wrapped D1's, or the defaults when it has none.
func (d meteredD1) BatchLimits() (statements, bytes int) {
	if bl, ok := d.raw.(BatchLimiter); ok {
		return bl.BatchLimits()
	}
	return DefaultMaxBatchStatements, DefaultMaxBatchBytes
}

// stepCost runs f with a meter of its own and returns what it cost,
// while the apply's meter in ctx keeps adding up.
func stepCost(ctx context.Context, f func(context.Context) error) (backend.Cost, error) {
	var m backend.Meter
	err := f(backend.WithMeter(ctx, &m))
	return m.Cost(), err
}
