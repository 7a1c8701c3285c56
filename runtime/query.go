package runtime

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
)

// Direction is a sort order.
type Direction int

// Sort orders.
const (
	Asc Direction = iota
	Desc
)

// Query limits.
const (
	DefaultLimit = 20   // rows per page unless Limit says otherwise
	MaxLimit     = 1000 // Limit above this is an ErrInvalid error from List
)

// maxPage keeps (page-1)*limit far from integer overflow.
const maxPage = 1 << 30

type deletedMode int

const (
	excludeDeleted deletedMode = iota
	includeDeleted
	onlyDeleted
)

// Query builds a D1 query of one model. Methods chain and record the first
// error, which List returns. Field names must be the model's D1 columns;
// values are always bound parameters. A Query is not safe for concurrent
// use; build one per request.
type Query struct {
	h        *Handle
	m        *model
	err      error
	conds    []cond
	order    []order
	limit    int
	offset   int
	page     int // 1-based; 0: use offset
	withData bool
	deleted  deletedMode
}

type cond struct {
	col    string // quoted
	op     string // "=" (default), "!=", "<", "<=", ">", ">=", "LIKE"
	in     bool   // IN list (args) rather than equality
	isNull bool   // IS NULL (IS NOT NULL with op "!=")
	args   []any
	real   bool // the column is a number field's REAL column
}

// whereOps are the comparison operators WhereOp accepts.
var whereOps = map[string]bool{"=": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true, "LIKE": true}

type order struct {
	col  string // quoted
	name string
	desc bool
}

// Query starts a query of the model; the default page is the first
// DefaultLimit rows, ordered by primary key, deleted records excluded.
func (h *Handle) Query(model string) *Query {
	q := &Query{h: h, limit: DefaultLimit}
	q.m, q.err = h.ds.model(model)
	return q
}

func (q *Query) fail(err error) *Query {
	if q.err == nil {
		q.err = err
	}
	return q
}

// value converts a query value to the column's stored form.
func (q *Query) value(field string, v any) (string, any, bool) {
	f, err := q.m.column(field)
	if err != nil {
		q.fail(err)
		return "", nil, false
	}
	col := "t." + backend.QuoteIdent(f.Name)
	if v == nil {
		return col, nil, true
	}
	nv, msg := normalize(f.Type, v)
	if msg != "" {
		q.fail(fmt.Errorf("%w: query %s.%s: value %s", ErrInvalid, q.m.name, field, msg))
		return "", nil, false
	}
	switch nv.(type) {
	case map[string]any, []any:
		// The column holds JSON text; equality with an encoded array or
		// object depends on key order and spacing, so it is refused.
		q.fail(fmt.Errorf("%w: query %s.%s: an array or object value cannot be compared with the column's JSON text; compare a scalar, or filter the rows in Go", ErrInvalid, q.m.name, field))
		return "", nil, false
	}
	cv, err := toColumn(f.Type, nv)
	if err != nil {
		q.fail(fmt.Errorf("%w: query %s.%s: %v", ErrInvalid, q.m.name, field, err))
		return "", nil, false
	}
	return col, cv, true
}

// Where keeps rows whose field equals value (nil: IS NULL).
func (q *Query) Where(field string, value any) *Query {
	if q.err != nil {
		return q
	}
	col, v, ok := q.value(field, value)
	if !ok {
		return q
	}
	if v == nil {
		q.conds = append(q.conds, cond{col: col, isNull: true})
	} else {
		q.conds = append(q.conds, cond{col: col, args: []any{v}})
	}
	return q
}

// WhereOp keeps rows whose field compares to value with op: one of =, !=,
// <, <=, >, >= and LIKE. A nil value works with = (IS NULL) and !=
// (IS NOT NULL). Values are converted like Where's; LIKE needs a string.
func (q *Query) WhereOp(field, op string, value any) *Query {
	if q.err != nil {
		return q
	}
	if !whereOps[op] {
		return q.fail(fmt.Errorf("%w: query %s: operator %q; use =, !=, <, <=, >, >= or LIKE", ErrInvalid, q.m.name, op))
	}
	if op == "LIKE" {
		if _, ok := value.(string); !ok {
			return q.fail(fmt.Errorf("%w: query %s.%s: LIKE needs a string pattern", ErrInvalid, q.m.name, field))
		}
		f, err := q.m.column(field)
		if err != nil {
			return q.fail(err)
		}
		q.conds = append(q.conds, cond{col: "t." + backend.QuoteIdent(f.Name), op: op, args: []any{value}})
		return q
	}
	col, v, ok := q.value(field, value)
	if !ok {
		return q
	}
	if v == nil {
		if op != "=" && op != "!=" {
			return q.fail(fmt.Errorf("%w: query %s.%s: nil compares only with = or !=", ErrInvalid, q.m.name, field))
		}
		q.conds = append(q.conds, cond{col: col, op: op, isNull: true})
		return q
	}
	q.conds = append(q.conds, cond{col: col, op: op, args: []any{v}})
	return q
}

// WhereIn keeps rows whose field is one of values. No values match no
// rows. Any number of values works: long lists are sent as one JSON
// parameter (json_each) to stay within D1's 100 bound parameters, and
// match exactly what a short list matches (numbers of magnitude beyond
// 2^128 or under 2^-128 still go as bound parameters, so a list may
// hold about 90 of those).
func (q *Query) WhereIn(field string, values ...any) *Query {
	if q.err != nil {
		return q
	}
	f, err := q.m.column(field)
	if err != nil {
		return q.fail(err)
	}
	c := cond{in: true, args: make([]any, 0, len(values)), real: f.Type == hclspec.Number}
	for _, v := range values {
		col, cv, ok := q.value(field, v)
		if !ok {
			return q
		}
		c.col = col
		if cv == nil {
			c.isNull = true
			continue
		}
		c.args = append(c.args, cv)
	}
	if c.col == "" {
		c.col = "t." + backend.QuoteIdent(field)
	}
	q.conds = append(q.conds, c)
	return q
}

// inJSON is the IN condition of a long list: its values in one JSON
// parameter read with json_each. A number column compares REAL values: a
// whole number in the JSON is an SQLite INTEGER, which a REAL column does not
// match above about 2^55 (seen on both backends), so each value is CAST to
// REAL, exactly. A number whose decimal form SQLite may not read back to
// the same double (D1 misreads some beyond about 2^±280) goes as its own
// bound parameter instead.
func (q *Query) inJSON(c cond, bind func(any) string) (string, error) {
	list, exact := c.args, []any(nil)
	if c.real {
		list = make([]any, 0, len(c.args))
		for _, a := range c.args {
			if f, ok := a.(float64); ok && !jsonExact(f) {
				exact = append(exact, a)
				continue
			}
			list = append(list, a)
		}
	}
	var parts []string
	switch {
	case len(list) == 1:
		exact = append(exact, list[0])
	case len(list) > 1:
		b, err := json.Marshal(list)
		if err != nil {
			return "", fmt.Errorf("%w: query %s: encode IN list: %v", ErrInvalid, q.m.name, err)
		}
		value := "value"
		if c.real {
			value = "CAST(value AS REAL)"
		}
		parts = append(parts, c.col+" IN (SELECT "+value+" FROM json_each("+bind(string(b))+"))")
	}
	if len(exact) > 0 {
		holders := make([]string, len(exact))
		for i, a := range exact {
			holders[i] = bind(a)
		}
		parts = append(parts, c.col+" IN ("+strings.Join(holders, ", ")+")")
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return "(" + strings.Join(parts, " OR ") + ")", nil
}

// jsonExact reports whether SQLite reads f's JSON form back as f on both
// backends: zero, and magnitudes from 2^-128 to 2^128, far inside what
// was measured exact.
func jsonExact(f float64) bool {
	if f == 0 {
		return true
	}
	_, exp := math.Frexp(f)
	return exp > -128 && exp <= 128
}

// OrderBy sorts by a field; calls add keys in order. The primary key is
// always the last key, so pages are stable.
func (q *Query) OrderBy(field string, dir Direction) *Query {
	if q.err != nil {
		return q
	}
	f, err := q.m.column(field)
	if err != nil {
		return q.fail(err)
	}
	if dir != Asc && dir != Desc {
		return q.fail(fmt.Errorf("%w: query %s: order direction %d; use runtime.Asc or runtime.Desc", ErrInvalid, q.m.name, dir))
	}
	q.order = append(q.order, order{col: backend.QuoteIdent(f.Name), name: f.Name, desc: dir == Desc})
	return q
}

// Limit sets the page size (default 20). A size under 1 or over MaxLimit
// is an ErrInvalid error from List and Count rather than a silently
// smaller page: page through larger sets with Page or Offset.
func (q *Query) Limit(n int) *Query {
	if n < 1 || n > MaxLimit {
		return q.fail(fmt.Errorf("%w: query limit %d; it must be from 1 to %d (runtime.MaxLimit); page through larger sets with Page or Offset", ErrInvalid, n, MaxLimit))
	}
	q.limit = n
	return q
}

// Offset skips n rows. It replaces an earlier Page.
func (q *Query) Offset(n int) *Query {
	if n < 0 {
		return q.fail(fmt.Errorf("%w: query offset %d; it must not be negative", ErrInvalid, n))
	}
	q.offset, q.page = n, 0
	return q
}

// Page selects the 1-based page n: offset = (n-1) * limit, whenever Limit
// is called. It replaces an earlier Offset.
func (q *Query) Page(n int) *Query {
	if n < 1 || n > maxPage {
		return q.fail(fmt.Errorf("%w: query page %d; pages start at 1 and end at %d", ErrInvalid, n, maxPage))
	}
	q.page = n
	return q
}

// WithData hydrates every row with its full KV object, in one bulk read.
func (q *Query) WithData() *Query { q.withData = true; return q }

// IncludeDeleted lists soft-deleted records too.
func (q *Query) IncludeDeleted() *Query { q.deleted = includeDeleted; return q }

// OnlyDeleted lists soft-deleted records only.
func (q *Query) OnlyDeleted() *Query {
	if q.m != nil && !q.m.soft {
		return q.fail(fmt.Errorf("%w: query %s: OnlyDeleted on a model without soft_delete", ErrInvalid, q.m.name))
	}
	q.deleted = onlyDeleted
	return q
}

func (q *Query) effectiveOffset() int {
	if q.page > 0 {
		return (q.page - 1) * q.limit
	}
	return q.offset
}

// where builds the WHERE clause with numbered parameters ?1.., so the page
// and the count share them, and returns the clause and its arguments.
func (q *Query) where() (string, []any, error) {
	var parts []string
	var args []any
	bind := func(v any) string {
		args = append(args, v)
		return "?" + strconv.Itoa(len(args))
	}
	if q.h.filtered(q.m) {
		if !q.m.owned {
			return "", nil, fmt.Errorf("%w: query %s: the model has auth but no user_id column, so a scoped handle cannot list it; turn user_tracking on or query with System()", ErrInvalid, q.m.name)
		}
		parts = append(parts, `t."user_id" = `+bind(q.h.user))
	}
	if q.m.soft {
		switch q.deleted {
		case excludeDeleted:
			parts = append(parts, `t."deleted_at" IS NULL`)
		case onlyDeleted:
			parts = append(parts, `t."deleted_at" IS NOT NULL`)
		}
	}
	// Count parameters; lists that would break the limit go as JSON.
	total := len(args) + 2
	for _, c := range q.conds {
		total += len(c.args)
	}
	asJSON := total > backend.MaxParams
	for _, c := range q.conds {
		switch {
		case !c.in && c.isNull && c.op == "!=":
			parts = append(parts, c.col+" IS NOT NULL")
		case !c.in && c.isNull:
			parts = append(parts, c.col+" IS NULL")
		case !c.in && c.op != "":
			parts = append(parts, c.col+" "+c.op+" "+bind(c.args[0]))
		case !c.in:
			parts = append(parts, c.col+" = "+bind(c.args[0]))
		default:
			var in string
			switch {
			case len(c.args) == 0:
				in = "0"
			case asJSON && len(c.args) > 1:
				var err error
				if in, err = q.inJSON(c, bind); err != nil {
					return "", nil, err
				}
			default:
				holders := make([]string, len(c.args))
				for i, a := range c.args {
					holders[i] = bind(a)
				}
				in = c.col + " IN (" + strings.Join(holders, ", ") + ")"
			}
			if c.isNull {
				in = "(" + in + " OR " + c.col + " IS NULL)"
			}
			parts = append(parts, in)
		}
	}
	if len(args)+2 > backend.MaxParams {
		return "", nil, fmt.Errorf("%w: query %s needs %d bound parameters; D1 allows %d per statement",
			ErrTooLarge, q.m.name, len(args)+2, backend.MaxParams)
	}
	if len(parts) == 0 {
		return "", args, nil
	}
	return " WHERE " + strings.Join(parts, " AND "), args, nil
}

func (q *Query) orderBy(prefix string) string {
	var b strings.Builder
	b.WriteString(" ORDER BY ")
	pkDone := false
	for i, o := range q.order {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(prefix + o.col)
		if o.desc {
			b.WriteString(" DESC")
		}
		pkDone = pkDone || o.name == q.m.pk
	}
	if !pkDone {
		if len(q.order) > 0 {
			b.WriteString(", ")
		}
		b.WriteString(prefix + q.m.pkQuoted)
	}
	return b.String()
}

// build returns the page-and-total statement: one round trip that returns
// the page rows, each with the total, or a single row of NULL columns
// with the total when the page is empty (offset past the end included).
func (q *Query) build() (backend.Stmt, error) {
	if q.err != nil {
		return backend.Stmt{}, q.err
	}
	if err := q.h.checkScope(); err != nil {
		return backend.Stmt{}, fmt.Errorf("query %s: %w", q.m.name, err)
	}
	where, args, err := q.where()
	if err != nil {
		return backend.Stmt{}, err
	}
	n := len(args)
	args = append(args, int64(q.limit), int64(q.effectiveOffset()))
	m := q.m
	var b strings.Builder
	b.Grow(256 + 2*len(where) + 2*len(m.selectCols))
	b.WriteString("SELECT ")
	b.WriteString(m.pageCols)
	b.WriteString(", n._total FROM (SELECT COUNT(*) AS _total")
	b.WriteString(m.from)
	b.WriteString(where)
	b.WriteString(") AS n LEFT JOIN (SELECT ")
	b.WriteString(m.selectCols)
	b.WriteString(m.from)
	b.WriteString(where)
	b.WriteString(q.orderBy("t."))
	b.WriteString(" LIMIT ?" + strconv.Itoa(n+1) + " OFFSET ?" + strconv.Itoa(n+2))
	b.WriteString(") AS p ON 1")
	b.WriteString(q.orderBy("p."))
	return backend.Stmt{SQL: b.String(), Args: args}, nil
}

// SQL returns the statement List runs and its arguments, or the builder's
// error as the SQL text when the query is invalid (for tests and logs).
func (q *Query) SQL() (string, []any) {
	st, err := q.build()
	if err != nil {
		return "error: " + err.Error(), nil
	}
	return st.SQL, st.Args
}
