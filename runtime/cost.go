package runtime

import (
	"context"

	"github.com/dmplan/dmplan/backend"
)

// Cost is the D1 rows an operation read and wrote, index rows included:
// what D1 bills and what the Free plan's daily quota counts (5,000,000
// rows read, 100,000 rows written). On Cloudflare it is the sum of D1's
// meta over the operation's statements; on the local backend it counts
// rows returned and rows changed, a lower bound (see backend.Cost).
type Cost = backend.Cost

// Meter adds up the Cost of every operation run with a context from
// WithMeter. It is safe for concurrent use; the zero value is ready.
type Meter = backend.Meter

// WithMeter returns a context that adds the D1 cost of every runtime
// operation run with it to m (and to the meters ctx already carries):
//
//	var m runtime.Meter
//	err := rec.Save(runtime.WithMeter(ctx, &m))
//	log.Print(m.Cost().RowsWritten)
//
// Query results carry their own Cost too (Result.Cost), and every
// operation's log line has rows_read and rows_written.
func WithMeter(ctx context.Context, m *Meter) context.Context {
	return backend.WithMeter(ctx, m)
}

// opContext gives one operation its own meter, which logOp reads.
func opContext(ctx context.Context) context.Context {
	return backend.WithOpMeter(ctx, new(backend.Meter))
}

// opCost is the cost so far of the operation ctx belongs to.
func opCost(ctx context.Context) (Cost, bool) {
	m := backend.OpMeter(ctx)
	if m == nil {
		return Cost{}, false
	}
	return m.Cost(), true
}
