package planner

import (
	"fmt"
	"strings"
)

// The D1 Free plan's daily quota, per account: past it, queries fail until
// 00:00 UTC.
const (
	FreeRowsReadPerDay    = 5_000_000
	FreeRowsWrittenPerDay = 100_000
)

// RowEstimate is what a step is expected to cost in D1 rows (what D1
// bills and the Free plan's quota counts), from the live table's row
// bound: an upper estimate, not a measure. Unknown says the table's row
// count could not be bounded (a WITHOUT ROWID table, an older plan's
// live schema).
type RowEstimate struct {
	Read    int64 `json:"read"`
	Written int64 `json:"written"`
	Unknown bool  `json:"unknown,omitempty"`
}

// WithPaidD1 says whether the target's account is on a Workers Paid plan,
// whose D1 rows are billed rather than capped: then the plan does not
// warn about the Free plan's daily quota.
func WithPaidD1(paid bool) Option { return func(o *options) { o.paid = paid } }

// estimate fills the RowEstimate of the steps that touch existing rows
// and notes when their sum passes the Free plan's daily quota:
//
//   - a backfill writes only the new columns: about one row read and one
//     written per record, plus its progress records (measured on workerd's
//     D1, 150 records cost 153 rows read and 157 written;
//     TestBackfillEstimate), estimated with 10% and 10 rows to spare;
//   - an index created on an existing table reads every row and writes
//     one index entry per row;
//   - a seed reads one row per record (the existence check) and writes the
//     row, its primary key entry and one entry per index of the table.
//
// The plan cannot see how much of today's quota the account has used (D1
// analytics are not read): the note assumes none, so the real headroom
// is smaller.
func (d *differ) estimate(steps []Step, paid bool) {
	var total RowEstimate
	for i := range steps {
		s := &steps[i]
		var e *RowEstimate
		switch s.Action {
		case Backfill:
			table, _, _ := strings.Cut(s.Target, ".")
			n, ok := d.rowBound(table)
			if d.byName[strings.ToLower(table)] == nil {
				// A table created and refilled from KV: its rows are the
				// KV objects, which the plan does not count.
				ok = false
			}
			slack := n/10 + 10 // progress records, the rows' own reads
			e = &RowEstimate{Read: n + slack, Written: n + slack, Unknown: !ok}
		case FillKV:
			// Reads every row once (and again the rows of a page to
			// check none changed while it was copied); writes only its
			// progress records in D1: one a page, and a few more (start,
			// finish).
			n, ok := d.rowBound(s.Target)
			slack := (n+FillKVPage-1)/FillKVPage + 10
			e = &RowEstimate{Read: 2*n + slack, Written: slack, Unknown: !ok}
		case CreateIndex:
			table := d.indexTable(s)
			if table == "" {
				continue
			}
			if live := d.byName[strings.ToLower(table)]; live == nil || (!live.HasRows && live.Rows <= 0) {
				continue // a new or empty table: nothing to index yet
			}
			n, ok := d.rowBound(table)
			e = &RowEstimate{Read: n, Written: n, Unknown: !ok}
		case Seed:
			m := d.spec.Model(s.Model)
			if m == nil {
				continue
			}
			e = &RowEstimate{Read: 1, Written: int64(2 + len(m.D1.Indexes))}
		default:
			continue
		}
		s.Rows = e
		total.Read += e.Read
		total.Written += e.Written
		total.Unknown = total.Unknown || e.Unknown
	}
	if paid || (total.Read <= FreeRowsReadPerDay && total.Written <= FreeRowsWrittenPerDay) {
		return
	}
	d.note(NoteFreeQuota, "d1", fmt.Sprintf(
		"this apply is estimated to read up to %s and write up to %s D1 rows (backfills, indexes on existing rows, seeds); "+
			"the Free plan allows %s rows read and %s rows written a day per account, and fails every query past either until 00:00 UTC. "+
			"The plan cannot see today's usage and assumes none: apply when the account has the headroom (the quota resets at 00:00 UTC), "+
			"or set DMPLAN_D1_PLAN=paid on a Workers Paid plan to drop this note",
		thousands(total.Read), thousands(total.Written), thousands(FreeRowsReadPerDay), thousands(FreeRowsWrittenPerDay)))
}

// rowBound is the live table's row count, or its upper bound; false when
// the table holds rows but neither was read.
func (d *differ) rowBound(table string) (int64, bool) {
	live := d.byName[strings.ToLower(table)]
	switch {
	case live == nil || (!live.HasRows && live.Rows <= 0):
		return 0, true
	case live.RowsAtMost > 0 || live.Rows > 0:
		return max(live.Rows, live.RowsAtMost), true
	}
	return 0, false
}

// indexTable is the table of a CreateIndex step.
func (d *differ) indexTable(s *Step) string {
	m := d.spec.Model(s.Model)
	if m == nil {
		return ""
	}
	for _, ix := range m.D1.Indexes {
		if strings.EqualFold(ix.Name, s.Target) {
			return m.D1.Table
		}
	}
	return ""
}
