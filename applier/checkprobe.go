package applier

import (
	"context"
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/planner"
)

// CheckViolations asks the target, in one D1 request, which of the
// columns a plan would add (planner.CheckProbes) have a CHECK that a live
// row, given the column's default, fails: SQLite would refuse that ALTER
// TABLE ADD COLUMN. The answer, keyed by "table.column", is for
// planner.WithCheckViolations. It sends nothing when there is nothing to
// probe.
func CheckViolations(ctx context.Context, d1 backend.D1, probes []planner.CheckProbe) (map[string]bool, error) {
	out := make(map[string]bool, len(probes))
	if len(probes) == 0 {
		return out, nil
	}
	cols := make([]string, len(probes))
	for i, p := range probes {
		cols[i] = "EXISTS(" + p.Query + ") AS " + backend.QuoteIdent(fmt.Sprintf("c%d", i))
	}
	res, err := d1.Query(ctx, backend.Stmt{SQL: "SELECT " + strings.Join(cols, ", ")})
	if err != nil {
		return nil, fmt.Errorf("check new columns' CHECK constraints against the rows: %w", err)
	}
	if res == nil || len(res.Rows) != 1 || len(res.Rows[0]) != len(probes) {
		return nil, fmt.Errorf("check new columns' CHECK constraints against the rows: want 1 row of %d values", len(probes))
	}
	for i, p := range probes {
		if truthy(res.Rows[0][i]) {
			out[p.Target] = true
		}
	}
	return out, nil
}
