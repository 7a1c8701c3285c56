package backend

import (
	"context"
	"sync/atomic"
)

// Cost is what D1 bills for statements: the rows they read and the rows
// they wrote, index rows included (D1's meta rows_read and rows_written).
// The Free plan allows 5,000,000 rows read and 100,000 rows written a day.
//
// The local backend has no such counters (its SQLite driver does not
// expose sqlite3_stmt_status), so its Cost counts what it can see: the rows
// a statement returned and the rows it inserted, updated or deleted. That
// is a lower bound of D1's figure: a COUNT(*) over a million rows costs D1
// a million rows read and costs 1 locally, and D1 adds a written row per
// index entry it updates. Only Cloudflare's numbers are what is billed.
type Cost struct {
	RowsRead    int64 `json:"rows_read"`
	RowsWritten int64 `json:"rows_written"`
}

// Add adds o to c.
func (c *Cost) Add(o Cost) {
	c.RowsRead += o.RowsRead
	c.RowsWritten += o.RowsWritten
}

// IsZero reports whether nothing was read or written.
func (c Cost) IsZero() bool { return c.RowsRead == 0 && c.RowsWritten == 0 }

// CostOf sums the cost of results; nil results count nothing.
func CostOf(rs ...*Result) Cost {
	var c Cost
	for _, r := range rs {
		if r != nil {
			c.RowsRead += r.RowsRead
			c.RowsWritten += r.RowsWritten
		}
	}
	return c
}

// OpsCost sums the cost of the D1 ops of a pipeline's results.
func OpsCost(rs []OpResult) Cost {
	var c Cost
	for _, r := range rs {
		c.Add(CostOf(r.Results...))
	}
	return c
}

// Meter adds up Cost. It is safe for concurrent use; the zero value is
// ready.
type Meter struct {
	read, written atomic.Int64
}

// Add adds c to the meter.
func (m *Meter) Add(c Cost) {
	if c.RowsRead != 0 {
		m.read.Add(c.RowsRead)
	}
	if c.RowsWritten != 0 {
		m.written.Add(c.RowsWritten)
	}
}

// Cost returns the total so far.
func (m *Meter) Cost() Cost {
	return Cost{RowsRead: m.read.Load(), RowsWritten: m.written.Load()}
}

type meterKey struct{}

// meterNode chains the meters of a context, innermost first.
type meterNode struct {
	m    *Meter
	op   bool // a meter of one operation, for its log line
	next *meterNode
}

// WithMeter returns a context whose D1 costs, charged with Charge, are
// added to m as well as to every meter ctx already carries. Nested
// meters see only what ran under them; outer ones see everything.
func WithMeter(ctx context.Context, m *Meter) context.Context {
	next, _ := ctx.Value(meterKey{}).(*meterNode)
	return context.WithValue(ctx, meterKey{}, &meterNode{m: m, next: next})
}

// WithOpMeter is WithMeter for one operation of a library: OpMeter finds
// the innermost such meter, so the operation can log what it cost while
// callers' meters keep adding up.
func WithOpMeter(ctx context.Context, m *Meter) context.Context {
	next, _ := ctx.Value(meterKey{}).(*meterNode)
	return context.WithValue(ctx, meterKey{}, &meterNode{m: m, op: true, next: next})
}

// OpMeter returns the innermost meter WithOpMeter put in ctx, or nil.
func OpMeter(ctx context.Context) *Meter {
	for n, _ := ctx.Value(meterKey{}).(*meterNode); n != nil; n = n.next {
		if n.op {
			return n.m
		}
	}
	return nil
}

// Charge adds c to every meter of ctx.
func Charge(ctx context.Context, c Cost) {
	if c.IsZero() {
		return
	}
	for n, _ := ctx.Value(meterKey{}).(*meterNode); n != nil; n = n.next {
		n.m.Add(c)
	}
}

// MeteredD1 returns d1 with every result's cost charged to the meters of
// the call's context (Charge). Results of a failed call are not known and
// not charged.
func MeteredD1(d1 D1) D1 {
	if m, ok := d1.(meteredD1); ok {
		return m
	}
	return meteredD1{d1}
}

type meteredD1 struct{ d1 D1 }

func (m meteredD1) Query(ctx context.Context, st Stmt) (*Result, error) {
	r, err := m.d1.Query(ctx, st)
	Charge(ctx, CostOf(r))
	return r, err
}

func (m meteredD1) Batch(ctx context.Context, sts []Stmt) ([]*Result, error) {
	rs, err := m.d1.Batch(ctx, sts)
	Charge(ctx, CostOf(rs...))
	return rs, err
}

// RunOpsMetered is RunOps that charges the cost of the D1 ops that ran
// to the meters of ctx.
func RunOpsMetered(ctx context.Context, b Backend, ops []Op) ([]OpResult, error) {
	out, err := RunOps(ctx, b, ops)
	Charge(ctx, OpsCost(out))
	return out, err
}
