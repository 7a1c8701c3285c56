package runtime

import (
	"context"
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

// Pagination describes a page within the matching records.
type Pagination struct {
	Total   int64 `json:"total"`   // matching records
	Limit   int   `json:"limit"`   // rows per page
	Offset  int   `json:"offset"`  // rows skipped
	Page    int   `json:"page"`    // 1-based page of Offset
	Pages   int   `json:"pages"`   // pages of Limit rows
	HasNext bool  `json:"hasNext"` // rows exist after this page
	HasPrev bool  `json:"hasPrev"` // rows exist before this page
}

// NewPagination computes the page numbers of a window: offset 40, limit
// 20, total 156 is page 3 of 8 with both neighbours.
func NewPagination(total int64, limit, offset int) Pagination {
	if limit < 1 {
		limit = DefaultLimit
	}
	p := Pagination{Total: total, Limit: limit, Offset: offset}
	p.Page = offset/limit + 1
	p.Pages = int((total + int64(limit) - 1) / int64(limit))
	p.HasNext = int64(offset)+int64(limit) < total
	p.HasPrev = offset > 0
	return p
}

// List runs the query: the page and the total in one D1 statement, then,
// with WithData, one bulk KV read. A failed query returns a Result with no
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
	ops, page := []backend.Op{{Kind: backend.OpD1Query, Stmt: st}}, 0
	explained := q.h.ds.advice.claim(st.SQL)
	if explained {
		ops[0], page = backend.Op{Kind: backend.OpD1Batch, Stmts: []backend.Stmt{explain(st), st}}, 1
	}
	if q.withData && m.keySplit {
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
				q.h.ds.advice.release(st.SQL)
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
	var total int64
	data := make([]map[string]any, 0, len(out.Rows))
	for _, row := range out.Rows {
		if len(row) != ncol+1 {
			return nil, fmt.Errorf("query %s: row of %d columns, want %d", m.name, len(row), ncol+1)
		}
		if t, ok := row[ncol].(int64); ok {
			total = t
		}
		if row[0] == nil { // the empty page's single row
			continue
		}
		rec := make(map[string]any, ncol)
		for i, f := range m.cols {
			rec[f.Name] = fromColumn(f.Type, row[i])
		}
		data = append(data, rec)
	}
	if q.withData && len(data) > 0 {
		var vals map[string][]byte
		if len(res) > 1 {
			vals = res[1].Values
		}
		if err := q.hydrate(ctx, data, vals); err != nil {
			return nil, err
		}
	}
	return &Result{Data: data, Pagination: NewPagination(total, q.limit, q.effectiveOffset())}, nil
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
		id, _ := row[m.pk].(string)
		if keys[i], err = m.key(id); err != nil {
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
		id, _ := data[i][m.pk].(string)
		obj, err := decodeStored(m, raw, id)
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
	where, args, err := q.where()
	if err != nil {
		return 0, err
	}
	st := backend.Stmt{SQL: "SELECT COUNT(*)" + q.m.from + where, Args: args}
	var out *backend.Result
	if q.h.ds.advice.claim(st.SQL) {
		// The first count of a shape reads its plan in the same request.
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
