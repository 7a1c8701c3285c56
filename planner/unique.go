package planner

import (
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/state"
)

// UniqueIndexProbe is a unique index the plan would create on a table that
// holds rows: creating it fails when two rows share its values, which only
// the live data can tell. The caller asks the target (applier's
// UniqueViolations does it in one D1 request) and passes the answer to Diff
// with WithUniqueViolations.
type UniqueIndexProbe struct {
	// Index is the index name, the key of the WithUniqueViolations map.
	Index string `json:"index"`
	Table string `json:"table"`
	// Columns are the live columns two rows must share to conflict, in
	// index order. An index on a column the plan adds to a table with rows
	// is never probed: the column is filled from KV only at apply, so Diff
	// blocks it instead (DM113).
	Columns []string `json:"columns"`
	// Terms, when not empty, are the SQL terms two rows must share, one
	// per key, for an index that is not plain columns over every row
	// ("lower(email)", "\"name\" COLLATE NOCASE"); Columns then lists
	// every live column the index reads, its condition's included.
	Terms []string `json:"terms,omitempty"`
	// Where is the condition of a partial index: only the rows it holds
	// can conflict (two soft-deleted rows never block a unique = "live"
	// index).
	Where string `json:"where,omitempty"`
}

// GroupBy returns the SQL terms two conflicting rows share: Terms, or
// the quoted Columns.
func (p UniqueIndexProbe) GroupBy() []string {
	if len(p.Terms) > 0 {
		return p.Terms
	}
	q := make([]string, len(p.Columns))
	for i, c := range p.Columns {
		q[i] = quoteIdent(c)
	}
	return q
}

// UniqueIndexProbes returns the unique indexes Diff would create on live
// tables that hold rows, in plan order. Nothing is returned when the plan
// creates no such index, so the caller makes no request then.
func UniqueIndexProbes(spec *hclspec.Spec, env string, live *state.Schema) []UniqueIndexProbe {
	if live == nil {
		live = &state.Schema{}
	}
	d := newDiffer(spec, env, live)
	for _, m := range d.models() {
		d.model(m)
	}
	return d.probes
}

// WithUniqueViolations gives Diff, keyed by index name, whether the live
// rows of a table already hold duplicate values for a unique index the plan
// would create (see UniqueIndexProbes). Such an index becomes a blocked
// step (DM112) instead of a create that apply would see fail.
func WithUniqueViolations(v map[string]bool) Option {
	return func(o *options) { o.duplicates = v }
}

// uniqueProbe reports whether creating ix on the live table have needs a
// look at the rows, and the columns to group them by. Every column of ix
// is a live one (see addedColumns).
func uniqueProbe(have *state.Table, ix *state.Index) (UniqueIndexProbe, bool) {
	if !ix.Unique || !have.HasRows {
		return UniqueIndexProbe{}, false
	}
	p := UniqueIndexProbe{Index: ix.Name, Table: have.Name, Columns: []string{}, Where: ix.Where}
	for _, c := range usedColumns(ix) {
		hc := have.Column(c)
		if hc == nil {
			return UniqueIndexProbe{}, false
		}
		p.Columns = append(p.Columns, hc.Name)
	}
	if !ix.Plain() {
		for i, c := range ix.Columns {
			k := ix.Key(i)
			if hc := have.Column(c); k.Expr == "" && hc != nil {
				c = hc.Name
			}
			p.Terms = append(p.Terms, keySQL(c, state.IndexKey{Expr: k.Expr, Collate: k.Collate}))
		}
	}
	return p, true
}

// blockDuplicates blocks the creation of unique index ix on table have,
// whose rows hold duplicate values.
func (d *differ) blockDuplicates(m *hclspec.Model, have *state.Table, ix *state.Index, p UniqueIndexProbe) {
	hint := "two or more rows of " + have.Name + " would share the same values; fix the records through the runtime, then apply"
	if g := p.GroupBy(); len(g) > 0 {
		qc := strings.Join(g, ", ")
		where := ""
		if p.Where != "" {
			where = " WHERE " + p.Where
		}
		hint = fmt.Sprintf("find them with SELECT %s, COUNT(*) FROM %s%s GROUP BY %s HAVING COUNT(*) > 1, fix the records through the runtime, then apply", qc, quoteIdent(have.Name), where, qc)
	}
	d.block(m, ix.Name, CodeUniqueDuplicates,
		fmt.Sprintf("unique index %s on %s%s cannot be created: the table holds duplicate values", ix.Name, have.Name, indexShape(ix)),
		hint)
}
