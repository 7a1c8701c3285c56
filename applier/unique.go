package applier

import (
	"context"
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/planner"
)

// UniqueViolations asks the target, in one D1 request, which of the probed
// unique indexes (planner.UniqueIndexProbes) would fail to be created
// because their table already holds duplicate values. The answer, keyed by
// index name, is for planner.WithUniqueViolations. It sends nothing when
// there is nothing to probe.
//
// NULLs never conflict in a SQLite unique index, so rows with a NULL in
// any probed column are left out.
func UniqueViolations(ctx context.Context, d1 backend.D1, probes []planner.UniqueIndexProbe) (map[string]bool, error) {
	out := make(map[string]bool, len(probes))
	if len(probes) == 0 {
		return out, nil
	}
	cols := make([]string, len(probes))
	for i, p := range probes {
		cols[i] = duplicatesExpr(p) + " AS " + backend.QuoteIdent(fmt.Sprintf("p%d", i))
	}
	res, err := d1.Query(ctx, backend.Stmt{SQL: "SELECT " + strings.Join(cols, ", ")})
	if err != nil {
		return nil, fmt.Errorf("check unique indexes for duplicates: %w", err)
	}
	if res == nil || len(res.Rows) != 1 || len(res.Rows[0]) != len(probes) {
		return nil, fmt.Errorf("check unique indexes for duplicates: want 1 row of %d values", len(probes))
	}
	for i, p := range probes {
		if truthy(res.Rows[0][i]) {
			out[p.Index] = true
		}
	}
	return out, nil
}

// duplicatesExpr is the boolean expression that is true when two rows of
// the probe's table share its terms (none: any two rows conflict); a
// partial index's rows are those its condition holds.
func duplicatesExpr(p planner.UniqueIndexProbe) string {
	t := backend.QuoteIdent(p.Table)
	where := ""
	if p.Where != "" {
		where = " WHERE (" + p.Where + ")"
	}
	terms := p.GroupBy()
	if len(terms) == 0 {
		return "((SELECT COUNT(*) FROM " + t + where + ") > 1)"
	}
	notNull := make([]string, len(terms))
	for i, c := range terms {
		notNull[i] = c + " IS NOT NULL"
	}
	if where == "" {
		where = " WHERE "
	} else {
		where += " AND "
	}
	return "EXISTS(SELECT 1 FROM " + t + where + strings.Join(notNull, " AND ") +
		" GROUP BY " + strings.Join(terms, ", ") + " HAVING COUNT(*) > 1)"
}

func truthy(v any) bool {
	switch x := v.(type) {
	case int64:
		return x != 0
	case float64:
		return x != 0
	case bool:
		return x
	case string:
		return x != "" && x != "0"
	case []byte:
		return len(x) > 0 && string(x) != "0"
	}
	return false
}
