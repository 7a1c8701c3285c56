package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/dmplan/dmplan/backend"
)

// Result is one page of a query. Its JSON form is the spec's:
// {"data": [...], "pagination": {...}} plus "error" when the query failed.
type Result struct {
	// Data holds the rows: the D1 columns, or the full KV objects with
	// WithData. Never nil.
	Data       []map[string]any `json:"data"`
	Pagination Pagination       `json:"pagination"`
	// Error is the error message of a failed query, whose Data is empty.
	Error string `json:"error,omitempty"`
	// Cost is the D1 rows the query read and wrote (see runtime.Cost).
	// It is not part of the JSON form, which stays the spec's.
	Cost Cost `json:"-"`
}

// Pagination describes a page within the matching records. A Page or
// Offset query with the default total has exactly the spec's JSON shape:
// {"total", "limit", "offset", "page", "pages", "hasNext", "hasPrev"}.
// Without a total (TotalNone) "total" and "pages" are null; a cursor page
// (After) has null "offset" and "page" too, since its position is not
// counted, and "nextCursor" while rows remain.
type Pagination struct {
	Total   int64 `json:"total"`   // matching records
	Limit   int   `json:"limit"`   // rows per page
	Offset  int   `json:"offset"`  // rows skipped; 0 on a cursor page
	Page    int   `json:"page"`    // 1-based page of Offset; 0 on a cursor page
	Pages   int   `json:"pages"`   // pages of Limit rows
	HasNext bool  `json:"hasNext"` // rows exist after this page
	HasPrev bool  `json:"hasPrev"` // rows exist before this page (a cursor page: a cursor was given)
	// NoTotal: the query did not count (TotalNone, the default with
	// After); Total and Pages are 0, null in JSON.
	NoTotal bool `json:"-"`
	// TotalCapped: TotalEstimate stopped counting at its cap, so at least
	// Total records match.
	TotalCapped bool `json:"totalCapped,omitempty"`
	// NextCursor is the cursor of the next page for After; empty on the
	// last page and for Page and Offset queries.
	NextCursor string `json:"nextCursor,omitempty"`
}

// paginationJSON is Pagination's JSON form, with nulls for what a page
// did not count.
type paginationJSON struct {
	Total       *int64 `json:"total"`
	Limit       int    `json:"limit"`
	Offset      *int   `json:"offset"`
	Page        *int   `json:"page"`
	Pages       *int   `json:"pages"`
	HasNext     bool   `json:"hasNext"`
	HasPrev     bool   `json:"hasPrev"`
	TotalCapped bool   `json:"totalCapped,omitempty"`
	NextCursor  string `json:"nextCursor,omitempty"`
}

// MarshalJSON writes the spec's shape, with null total and pages when
// nothing was counted and null offset and page on a cursor page.
func (p Pagination) MarshalJSON() ([]byte, error) {
	j := paginationJSON{Limit: p.Limit, HasNext: p.HasNext, HasPrev: p.HasPrev, TotalCapped: p.TotalCapped, NextCursor: p.NextCursor}
	if !p.NoTotal {
		j.Total, j.Pages = &p.Total, &p.Pages
	}
	if p.Page > 0 {
		j.Offset, j.Page = &p.Offset, &p.Page
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *Pagination) UnmarshalJSON(b []byte) error {
	var j paginationJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*p = Pagination{Limit: j.Limit, HasNext: j.HasNext, HasPrev: j.HasPrev, TotalCapped: j.TotalCapped, NextCursor: j.NextCursor}
	if j.Total == nil {
		p.NoTotal = true
	} else {
		p.Total = *j.Total
	}
	if j.Pages != nil {
		p.Pages = *j.Pages
	}
	if j.Offset != nil {
		p.Offset = *j.Offset
	}
	if j.Page != nil {
		p.Page = *j.Page
	}
	return nil
}

// pages is the number of pages of limit rows that total rows fill.
func pages(total int64, limit int) int {
	return int((total + int64(limit) - 1) / int64(limit))
}

// NewPagination computes the page numbers of a window: offset 40, limit
// 20, total 156 is page 3 of 8 with both neighbours.
func NewPagination(total int64, limit, offset int) Pagination {
	if limit < 1 {
		limit = DefaultLimit
	}
	p := Pagination{Total: total, Limit: limit, Offset: offset}
	p.Page = offset/limit + 1
	p.Pages = pages(total, limit)
	p.HasNext = int64(offset)+int64(limit) < total
	p.HasPrev = offset > 0
	return p
}

// List runs the query: the page and the total (see Total) in one D1
// statement, then, with WithData, one bulk KV read. A failed query returns a Result with no
// data and Error set, together with the error.
func (q *Query) List(ctx context.Context) (res *Result, err error) {
	start := time.Now()
	name := ""
	if q.m != nil {
		name = q.m.name
	}
	ctx = opContext(ctx)
	defer func() { q.h.ds.logOp(ctx, "query", name, "", start, "listed", err) }()
	res, err = q.list(ctx)
	if err != nil {
		res = &Result{Data: []map[string]any{}, Pagination: NewPagination(0, q.limit, q.effectiveOffset()), Error: err.Error()}
	}
	res.Cost, _ = opCost(ctx)
	return res, err
}

func (q *Query) list(ctx context.Context) (*Result, error) {
	st, err := q.build()
	if err != nil {
		return nil, err
	}
	m := q.m
	// The page and its total are one D1 statement. With WithData the KV
	// objects of its rows are read in the same round trip on a backend
	// that pipelines (the gateway): the get-many takes its keys from the
	// page's primary keys (column 0). A key pattern that is not
	// prefix{id}suffix is read after the page.
	// The first run of a query shape reads its plan in the same request
	// (index advice).
	ops, page := []backend.Op{{Kind: backend.OpD1Query, Stmt: st.Stmt}}, 0
	explained := q.h.ds.advice.claim(st.Stmt.SQL)
	if explained {
		ops[0], page = backend.Op{Kind: backend.OpD1Batch, Stmts: []backend.Stmt{explain(st.Stmt), st.Stmt}}, 1
	}
	if q.withData && m.keySplit && !m.d1only {
		ns, err := m.namespace(ctx, q.h.ds.resolveNamespaces)
		if err != nil {
			return nil, fmt.Errorf("query %s: %w", m.name, err)
		}
		ops = append(ops, backend.Op{Kind: backend.OpKVGetMany, NS: ns,
			KeysFrom: &backend.KeysFrom{Op: 0, Statement: page, Column: 0, Prefix: m.keyPrefix, Suffix: m.keySuffix}})
	}
	res, err := backend.RunOpsMetered(ctx, q.h.ds.b, ops)
	if err != nil {
		if len(res) == 0 {
			if explained {
				q.h.ds.advice.release(st.Stmt.SQL)
			}
			return nil, fmt.Errorf("query %s: %w", m.name, notMigrated(opErr(err)))
		}
		return nil, fmt.Errorf("query %s: kv get many: %w", m.name, notMigrated(opErr(err)))
	}
	out := res[0].Results[page]
	if explained {
		defer q.advise(ctx, "query", res[0].Results[0])
	}
	ncol := len(m.cols)
	width := ncol
	if st.total {
		width++
	}
	var total int64
	counted := false
	data := make([]map[string]any, 0, len(out.Rows))
	var last []any // the raw columns of the page's last row
	for _, row := range out.Rows {
		if len(row) != width {
			return nil, fmt.Errorf("query %s: row of %d columns, want %d", m.name, len(row), width)
		}
		if st.total {
			if t, ok := row[ncol].(int64); ok {
				total, counted = t, true
			}
		}
		if len(data) == q.limit { // the extra row: there is a next page
			break
		}
		rec := make(map[string]any, ncol)
		for i, f := range m.cols {
			rec[f.Name] = fromColumn(f.Type, row[i])
		}
		data = append(data, rec)
		last = row
	}
	hasNext := st.fetch > q.limit && len(out.Rows) > q.limit
	if st.total && !counted && (len(data) > 0 || q.effectiveOffset() > 0 || q.after != "") {
		// The total comes with the rows (with the first arm's, on a cursor
		// page of two ranges); an empty page past the start has none.
		if total, err = q.runCount(ctx, st.count); err != nil {
			return nil, err
		}
	}
	if q.withData && len(data) > 0 && !m.d1only {
		// A D1-only model's rows are its records: nothing to hydrate.
		var vals map[string][]byte
		if len(res) > 1 {
			vals = res[1].Values
		}
		if err := q.hydrate(ctx, data, vals); err != nil {
			return nil, err
		}
	}
	return &Result{Data: data, Pagination: q.pagination(st, total, hasNext, last)}, nil
}

// pagination describes the page a statement returned: total is what it
// counted, hasNext whether its extra row came back, last the raw columns
// of the page's last row (for the next cursor).
func (q *Query) pagination(st *listStmt, total int64, hasNext bool, last []any) Pagination {
	off := q.effectiveOffset()
	if !q.keyset && st.mode == TotalExact {
		return NewPagination(total, q.limit, off)
	}
	p := Pagination{Limit: q.limit, HasNext: hasNext}
	if q.keyset {
		p.HasPrev = q.after != ""
	} else {
		p.Offset, p.Page, p.HasPrev = off, off/q.limit+1, off > 0
	}
	switch st.mode {
	case TotalNone:
		p.NoTotal = true
	default:
		p.Total, p.Pages = total, pages(total, q.limit)
		p.TotalCapped = st.mode == TotalEstimate && total >= st.cap
	}
	if q.keyset && hasNext && last != nil {
		vals := make([]any, len(st.keys))
		for i, k := range st.keys {
			vals[i] = last[k.pos]
		}
		p.NextCursor = encodeCursor(st.shape, vals)
	}
	return p
}

// hydrate replaces each row with its full KV object: vals when the page's
// pipeline read them already, else one bulk read. A row whose object is
// missing (a write that reached D1 but whose object was removed, which
// `dmplan reconcile` repairs) keeps its D1 columns and is logged.
func (q *Query) hydrate(ctx context.Context, data []map[string]any, vals map[string][]byte) error {
	m := q.m
	ns, err := m.namespace(ctx, q.h.ds.resolveNamespaces)
	if err != nil {
		return fmt.Errorf("query %s: %w", m.name, err)
	}
	keys := make([]string, len(data))
	for i, row := range data {
		if keys[i], err = m.key(idText(row[m.pk])); err != nil {
			return fmt.Errorf("query %s: %w", m.name, err)
		}
	}
	if vals == nil {
		if vals, err = q.h.ds.kv.GetMany(ctx, ns, keys); err != nil {
			return fmt.Errorf("query %s: kv get many: %w", m.name, notMigrated(err))
		}
	}
	for i, k := range keys {
		raw, ok := vals[k]
		if !ok {
			q.h.ds.log.LogAttrs(ctx, slog.LevelWarn, "runtime.query",
				slog.String("model", m.name), slog.Any("id", data[i][m.pk]),
				slog.String("outcome", "kv_object_missing"), slog.String("hint", "run `dmplan reconcile`"))
			continue
		}
		obj, err := decodeStored(m, raw, idText(data[i][m.pk]))
		if err != nil {
			return fmt.Errorf("query %s %v: KV key %s: %w (see dmplan reconcile)", m.name, data[i][m.pk], k, err)
		}
		if !q.h.canSee(m, obj) {
			continue // D1 filtered by owner; keep the row, never another user's object
		}
		m.fillDefaults(obj)
		data[i] = obj
	}
	return nil
}

// Count returns the number of matching records (Limit and Offset ignored).
func (q *Query) Count(ctx context.Context) (n int64, err error) {
	start := time.Now()
	ctx = opContext(ctx)
	defer func() {
		name := ""
		if q.m != nil {
			name = q.m.name
		}
		q.h.ds.logOp(ctx, "count", name, "", start, "counted", err)
	}()
	if q.err != nil {
		return 0, q.err
	}
	if err := q.h.checkScope(); err != nil {
		return 0, fmt.Errorf("count %s: %w", q.m.name, err)
	}
	return q.count(ctx)
}

// count runs SELECT COUNT(*) of the query's filter.
func (q *Query) count(ctx context.Context) (int64, error) {
	where, args, err := q.where(0, false)
	if err != nil {
		return 0, err
	}
	return q.runCount(ctx, backend.Stmt{SQL: "SELECT COUNT(*)" + q.m.from + where, Args: args})
}

// runCount runs a statement that returns one count; the first count of a
// shape reads its plan in the same request (index advice).
func (q *Query) runCount(ctx context.Context, st backend.Stmt) (int64, error) {
	var out *backend.Result
	var err error
	if q.h.ds.advice.claim(st.SQL) {
		res, err := q.h.ds.d1.Batch(ctx, []backend.Stmt{explain(st), st})
		if err != nil {
			q.h.ds.advice.release(st.SQL)
			return 0, fmt.Errorf("count %s: %w", q.m.name, notMigrated(err))
		}
		out = res[1]
		defer q.advise(ctx, "count", res[0])
	} else if out, err = q.h.ds.d1.Query(ctx, st); err != nil {
		return 0, fmt.Errorf("count %s: %w", q.m.name, notMigrated(err))
	}
	if len(out.Rows) == 1 && len(out.Rows[0]) == 1 {
		if n, ok := out.Rows[0][0].(int64); ok {
			return n, nil
		}
	}
	return 0, fmt.Errorf("count %s: unexpected result", q.m.name)
}
