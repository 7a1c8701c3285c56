package runtime

import (
	"context"
	"log/slog"
	"strings"
	"sync"

	"github.com/dmplan/dmplan/backend"
)

// maxAdviceShapes bounds the query shapes whose plan a Datastore checks;
// shapes past it are not checked (a service builds a handful, but a list
// of IN values of every length is a new shape each).
const maxAdviceShapes = 4096

// WithIndexAdvice turns index advice on (the default) or off. With it on,
// the first run of each query shape (its SQL text, values aside) in the
// process also asks SQLite for the query's plan (EXPLAIN QUERY PLAN), in
// the same D1 request as the query, so it costs no round trip and no rows;
// when the plan reads the model's whole table (a SCAN without an index),
// the runtime logs runtime.index_advice at warn level once, with the
// filtered and ordered columns and the rows the query read.
func WithIndexAdvice(on bool) Option { return func(c *openConfig) { c.noAdvice = !on } }

// adviser remembers which query shapes have had their plan checked.
type adviser struct {
	off  bool
	mu   sync.Mutex
	seen map[string]bool
}

// claim reports whether the shape's plan should be read with this run,
// and marks it so no other run reads it too. release undoes a claim whose
// run failed, so a later run checks it.
func (a *adviser) claim(sql string) bool {
	if a.off {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seen[sql] || len(a.seen) >= maxAdviceShapes {
		return false
	}
	if a.seen == nil {
		a.seen = map[string]bool{}
	}
	a.seen[sql] = true
	return true
}

func (a *adviser) release(sql string) {
	a.mu.Lock()
	delete(a.seen, sql)
	a.mu.Unlock()
}

// explain is the statement that reads st's plan.
func explain(st backend.Stmt) backend.Stmt {
	return backend.Stmt{SQL: "EXPLAIN QUERY PLAN " + st.SQL, Args: st.Args}
}

// FullScan reports whether an EXPLAIN QUERY PLAN result reads every row of
// table, which a query names as "t" or by its name: a "SCAN" of it without
// an index. It returns the plan's step that says so. A SCAN using an index
// walks the index in order and may stop early (a LIMIT without a filter);
// it is not reported.
func FullScan(plan *backend.Result, table string) (string, bool) {
	if plan == nil {
		return "", false
	}
	col := len(plan.Columns) - 1 // detail is the last column
	for i, c := range plan.Columns {
		if c == "detail" {
			col = i
		}
	}
	if col < 0 {
		return "", false
	}
	for _, row := range plan.Rows {
		if col >= len(row) {
			continue
		}
		d, _ := row[col].(string)
		rest, ok := strings.CutPrefix(d, "SCAN ")
		if !ok || strings.Contains(rest, " USING ") {
			continue
		}
		rest = strings.TrimPrefix(rest, "TABLE ") // SQLite before 3.36
		name, alias, _ := strings.Cut(rest, " AS ")
		name = strings.Trim(name, `"`)
		if name == "t" || alias == "t" || strings.EqualFold(name, table) {
			return d, true
		}
	}
	return "", false
}

// advise logs the advice of a query shape whose plan was read: once,
// when the plan scans the model's whole table.
func (q *Query) advise(ctx context.Context, op string, plan *backend.Result) {
	m := q.m
	step, full := FullScan(plan, m.spec.D1.Table)
	if !full {
		return
	}
	ds := q.h.ds
	if !ds.log.Enabled(ctx, slog.LevelWarn) {
		return
	}
	var where, order []string
	for _, c := range q.conds {
		where = append(where, strings.Trim(strings.TrimPrefix(c.col, "t."), `"`))
	}
	if q.h.filtered(m) {
		where = append(where, "user_id")
	}
	if m.soft && q.deleted != includeDeleted {
		where = append(where, "deleted_at")
	}
	for _, o := range q.order {
		order = append(order, o.name)
	}
	attrs := []slog.Attr{
		slog.String("model", m.name), slog.String("table", m.spec.D1.Table), slog.String("op", op),
		slog.String("where", strings.Join(where, ",")), slog.String("order_by", strings.Join(order, ",")),
		slog.String("plan", step),
	}
	if c, ok := opCost(ctx); ok && c.RowsRead > 0 {
		attrs = append(attrs, slog.Int64("rows_read", c.RowsRead))
	}
	attrs = append(attrs, slog.String("outcome", "full_scan"),
		slog.String("hint", "this query reads every row of the table: declare an index on the filtered columns in the model's d1 block (dmplan indexes shows which filters and orders each index serves)"))
	ds.log.LogAttrs(ctx, slog.LevelWarn, "runtime.index_advice", attrs...)
}
