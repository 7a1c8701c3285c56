package runtime

import (
	"context"
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/backend"
)

// Explanation is how SQLite runs a query (EXPLAIN QUERY PLAN), in the
// terms that decide its cost in D1 rows: how the matching rows are found
// (the total counts all of them) and whether the page's order comes from
// an index or a sort in memory.
type Explanation struct {
	// Index is the index the matching rows are searched by, and Search
	// the columns it constrains ("project_id=? AND status=?"); both empty
	// when FullScan.
	Index  string `json:"index,omitempty"`
	Search string `json:"search,omitempty"`
	// FullScan says every row of the table (or every entry of an index)
	// is read to find the matches: what runtime.index_advice warns about
	// when the plan is a SCAN without an index.
	FullScan bool `json:"full_scan"`
	// OrderIndex is the index whose order the page is read in, when one
	// is; SortsInMemory says the matching rows are sorted to cut the page.
	OrderIndex    string `json:"order_index,omitempty"`
	SortsInMemory bool   `json:"sorts_in_memory"`
	// Count and Page are the plans' steps as SQLite words them, for the
	// count of the matching rows and for the page's rows.
	Count []string `json:"count_plan"`
	Page  []string `json:"page_plan"`
}

// Explain asks SQLite how it would run the query, in one D1 request that
// reads no rows: the plan of the count of the matching rows and that of
// the page's rows (List's statement without the total). It runs nothing
// else.
func (q *Query) Explain(ctx context.Context) (*Explanation, error) {
	if q.err != nil {
		return nil, q.err
	}
	if err := q.h.checkScope(); err != nil {
		return nil, fmt.Errorf("explain %s: %w", q.m.name, err)
	}
	// The page's rows on their own, without the total: how they are
	// found and ordered.
	rows := *q
	rows.total = TotalNone
	ls, err := rows.build()
	if err != nil {
		return nil, err
	}
	where, args, err := q.where(0, false)
	if err != nil {
		return nil, err
	}
	m := q.m
	res, err := q.h.ds.d1.Batch(ctx, []backend.Stmt{
		{SQL: "EXPLAIN QUERY PLAN SELECT COUNT(*)" + m.from + where, Args: args},
		explain(ls.Stmt),
	})
	if err != nil {
		return nil, fmt.Errorf("explain %s: %w", m.name, notMigrated(err))
	}
	e := &Explanation{Count: planSteps(res[0]), Page: planSteps(res[1])}
	for _, d := range e.Count {
		if idx, search, ok := tableAccess(d, m.spec.D1.Table); ok {
			e.Index, e.Search, e.FullScan = idx, search, strings.HasPrefix(d, "SCAN ")
			if e.FullScan {
				e.Index, e.Search = "", ""
			}
			break
		}
	}
	for _, d := range e.Page {
		if idx, _, ok := tableAccess(d, m.spec.D1.Table); ok && idx != "" {
			e.OrderIndex = idx
		}
		if strings.HasPrefix(d, "USE TEMP B-TREE FOR") && strings.Contains(d, "ORDER BY") {
			e.SortsInMemory = true
		}
	}
	if e.SortsInMemory {
		e.OrderIndex = ""
	}
	return e, nil
}

// planSteps are the detail column of an EXPLAIN QUERY PLAN result.
func planSteps(r *backend.Result) []string {
	col := len(r.Columns) - 1
	for i, c := range r.Columns {
		if c == "detail" {
			col = i
		}
	}
	out := []string{}
	for _, row := range r.Rows {
		if col >= 0 && col < len(row) {
			if d, ok := row[col].(string); ok {
				out = append(out, d)
			}
		}
	}
	return out
}

// tableAccess reads a plan step that reads the model's table (named "t"
// or by its name): the index it uses, if any, and the constraint of a
// SEARCH ("project_id=?").
func tableAccess(d, table string) (index, search string, ok bool) {
	rest, found := strings.CutPrefix(d, "SEARCH ")
	if !found {
		if rest, found = strings.CutPrefix(d, "SCAN "); !found {
			return "", "", false
		}
	}
	rest = strings.TrimPrefix(rest, "TABLE ")
	name, using, _ := strings.Cut(rest, " USING ")
	name, alias, _ := strings.Cut(name, " AS ")
	name = strings.Trim(name, `"`)
	if name != "t" && alias != "t" && !strings.EqualFold(name, table) {
		return "", "", false
	}
	if using == "" {
		return "", "", true
	}
	using = strings.TrimPrefix(using, "COVERING ")
	if using, found = strings.CutPrefix(using, "INDEX "); !found {
		return "", "", true // INTEGER PRIMARY KEY, ROWID
	}
	index, search, _ = strings.Cut(using, " (")
	return index, strings.TrimSuffix(search, ")"), true
}
