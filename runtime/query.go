package runtime

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
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
	keyset   bool   // After was called: pages by cursor
	after    string // the cursor; "" is the first page
	total    TotalMode
}

// TotalMode says whether and how List counts the matching records.
type TotalMode int

// Total modes. The cheap choice for a long list is TotalNone with After:
// a page then reads only its own rows (plus one, for HasNext).
const (
	// TotalDefault counts exactly for Page and Offset (the spec's
	// pagination shape) and not at all for After.
	TotalDefault TotalMode = iota
	// TotalExact counts every matching record, in the page's statement:
	// over the matching index entries when a declared index holds every
	// column the filter uses; else over the table once, beside a page an
	// index serves, or with the page itself (COUNT(*) OVER ()) when no
	// index serves its order either. It reads every match on each page.
	TotalExact
	// TotalEstimate counts the matching records up to EstimateCap past the
	// page's offset (past the first record for After), reading at most
	// that many: below the cap Total is exact, at the cap Total is the cap
	// and Pagination.TotalCapped is true ("1000+").
	TotalEstimate
	// TotalNone does not count: Total and Pages are 0 (null in JSON) and
	// HasNext comes from reading one row more than the page.
	TotalNone
)

// EstimateCap is how many records past the page's offset TotalEstimate
// counts at most.
const EstimateCap = 1000

type cond struct {
	name   string // the column
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
		q.conds = append(q.conds, cond{name: field, col: col, isNull: true})
	} else {
		q.conds = append(q.conds, cond{name: field, col: col, args: []any{v}})
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
		q.conds = append(q.conds, cond{name: field, col: "t." + backend.QuoteIdent(f.Name), op: op, args: []any{value}})
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
		q.conds = append(q.conds, cond{name: field, col: col, op: op, isNull: true})
		return q
	}
	q.conds = append(q.conds, cond{name: field, col: col, op: op, args: []any{v}})
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
	c := cond{name: field, in: true, args: make([]any, 0, len(values)), real: f.Type == hclspec.Number}
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
// smaller page: page through larger sets with After, Page or Offset.
func (q *Query) Limit(n int) *Query {
	if n < 1 || n > MaxLimit {
		return q.fail(fmt.Errorf("%w: query limit %d; it must be from 1 to %d (runtime.MaxLimit); page through larger sets with Page or Offset", ErrInvalid, n, MaxLimit))
	}
	q.limit = n
	return q
}

// After pages by cursor (keyset pagination): the page holds the rows that
// come after the row the cursor marks, in the query's order, so a deep
// page reads as few rows as the first. Pass "" for the first page, then
// each page's Pagination.NextCursor (empty on the last page). The order
// may use any fields, directions and NULLs, with the primary key breaking
// ties; rows deleted or added meanwhile never make a page repeat or skip
// a row that stayed. A cursor belongs to the query that returned it: one
// from another model, filter, user or order is an error (ErrCursor, which
// matches ErrInvalid), as is a malformed one; its values are only ever
// bound parameters. After cannot be combined with Page or Offset. A
// cursor page counts no total unless Total asks for one.
func (q *Query) After(cursor string) *Query {
	q.keyset, q.after = true, cursor
	return q
}

// Total chooses whether List counts the matching records (see TotalMode).
func (q *Query) Total(mode TotalMode) *Query {
	if mode < TotalDefault || mode > TotalNone {
		return q.fail(fmt.Errorf("%w: query total mode %d; use runtime.TotalExact, TotalEstimate or TotalNone", ErrInvalid, mode))
	}
	q.total = mode
	return q
}

// totalMode resolves TotalDefault.
func (q *Query) totalMode() TotalMode {
	if q.total != TotalDefault {
		return q.total
	}
	if q.keyset {
		return TotalNone
	}
	return TotalExact
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
// extra is how many parameters the statement binds besides the clause's.
// plusDeleted writes deleted_at IS NULL as +deleted_at IS NULL, which
// SQLite never answers with an index: nearly every row matches it, so
// walking an index on it reads the table in index order, which is worth it
// only when that index then serves the order. A model with an index of
// the rows not deleted (liveIndexed) keeps the plain term: SQLite uses a
// partial index only for a query whose WHERE holds its condition.
func (q *Query) where(extra int, plusDeleted bool) (string, []any, error) {
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
		switch {
		case q.deleted == excludeDeleted && plusDeleted && !q.m.liveIndexed:
			parts = append(parts, `+t."deleted_at" IS NULL`)
		case q.deleted == excludeDeleted:
			parts = append(parts, `t."deleted_at" IS NULL`)
		case q.deleted == onlyDeleted:
			parts = append(parts, `t."deleted_at" IS NOT NULL`)
		}
	}
	// Count parameters; lists that would break the limit go as JSON.
	total := len(args) + extra
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
	if len(args)+extra > backend.MaxParams {
		return "", nil, fmt.Errorf("%w: query %s needs %d bound parameters; D1 allows %d per statement",
			ErrTooLarge, q.m.name, len(args)+extra, backend.MaxParams)
	}
	if len(parts) == 0 {
		return "", args, nil
	}
	return " WHERE " + strings.Join(parts, " AND "), args, nil
}

func (q *Query) orderBy(prefix string) string {
	var b strings.Builder
	b.WriteString(" ORDER BY ")
	for i, k := range q.keys() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(prefix + k.col)
		if k.desc {
			b.WriteString(" DESC")
		}
	}
	return b.String()
}

// listStmt is the statement of one List and how to read its rows.
type listStmt struct {
	backend.Stmt
	mode  TotalMode
	fetch int  // rows asked for: the limit, plus one to learn HasNext
	total bool // each row ends with the _total column (NULL in some rows)
	cap   int64
	keys  []sortKey
	shape string
	// count is the total's statement on its own, for a page whose rows
	// did not carry it (an empty page past the start).
	count backend.Stmt
}

// build returns the statement of one page, one round trip:
//
//	SELECT cols, (SELECT COUNT(*) ...) AS _total FROM t WHERE ... ORDER BY ... LIMIT ...
//
// The total is a scalar subquery, counted once. Where no declared index
// holds every column the filter uses and no index serves the order (so the
// page reads every match anyway), it is COUNT(*) OVER () instead: the
// table is read once for both, not once to count and once to page. An
// estimate stops the count at the cap; no total leaves it out and reads
// one row more than the limit, to learn HasNext.
//
// A cursor page (After) adds the condition of the rows after the cursor
// (see keysetArms); when it is two ranges, each an index seek, they are
// the arms of a UNION ALL whose ORDER BY merges them and stops at the
// limit, and only the first arm's rows carry the total.
func (q *Query) build() (*listStmt, error) {
	if q.err != nil {
		return nil, q.err
	}
	if err := q.h.checkScope(); err != nil {
		return nil, fmt.Errorf("query %s: %w", q.m.name, err)
	}
	if q.keyset && (q.page > 0 || q.offset > 0) {
		return nil, fmt.Errorf("%w: query %s: After pages by cursor; it cannot be combined with Page or Offset", ErrInvalid, q.m.name)
	}
	keys := q.keys()
	ls := &listStmt{mode: q.totalMode(), fetch: q.limit, keys: keys}
	extra := 2 // the limit, and the offset or the cursor's values
	if q.keyset {
		extra = 1 + len(keys)
	}
	if ls.mode == TotalEstimate {
		extra++ // the cap
	}
	covered := q.countCovered()
	served, byDeleted := q.orderServed(keys[0])
	window := ls.mode == TotalExact && !covered && !served
	// The WHERE clause three ways, with the same parameters: as is (the
	// cursor's shape), for the page and for the count.
	plain, args, err := q.where(extra, false)
	if err != nil {
		return nil, err
	}
	where, countWhere := plain, plain
	if window || (served && !byDeleted) {
		where, _, _ = q.where(extra, true)
	}
	if !covered {
		countWhere, _, _ = q.where(extra, true)
	}
	bind := func(v any) string {
		args = append(args, v)
		return "?" + strconv.Itoa(len(args))
	}
	if q.keyset {
		ls.shape = q.shape(plain, args, keys)
	}
	m := q.m
	var count string
	switch ls.mode {
	case TotalExact:
		count = "SELECT COUNT(*)" + m.from + countWhere
	case TotalEstimate:
		ls.cap = EstimateCap
		if !q.keyset {
			ls.cap += int64(q.effectiveOffset())
		}
		count = "SELECT COUNT(*) FROM (SELECT 1" + m.from + countWhere + " LIMIT " + bind(ls.cap) + ")"
	}
	if ls.total = ls.mode != TotalNone; ls.total {
		ls.count = backend.Stmt{SQL: count, Args: slices.Clone(args)}
	}
	base := strings.TrimPrefix(where, " WHERE ")
	prefix := "t."
	if window && q.keyset {
		prefix = "w."
	}
	var arms []string
	if q.keyset {
		if q.after != "" {
			vals, err := q.decodeCursor(q.after, ls.shape, keys)
			if err != nil {
				return nil, err
			}
			if arms = keysetArms(keys, vals, prefix, bind); len(arms) == 0 {
				arms = []string{"0"} // nothing comes after the cursor
			}
			if len(arms) > 1 && (window || !served) {
				arms = []string{"(" + strings.Join(arms, " OR ") + ")"}
			}
		}
	}
	if q.keyset || ls.mode != TotalExact {
		ls.fetch++
	}
	tail := " LIMIT " + bind(int64(ls.fetch))
	if !q.keyset {
		tail += " OFFSET " + bind(int64(q.effectiveOffset()))
	}
	var b strings.Builder
	b.Grow(256 + 2*len(where) + 2*len(m.selectCols))
	switch {
	case window && len(arms) > 0:
		b.WriteString("SELECT " + m.prefixed("w.") + ", w._total FROM (SELECT " + m.selectCols + ", COUNT(*) OVER () AS _total" + m.from + where + ") AS w")
		b.WriteString(whereAnd("", arms...) + q.orderBy("w.") + tail)
	case window:
		b.WriteString("SELECT " + m.selectCols + ", COUNT(*) OVER () AS _total" + m.from + where + q.orderBy("t.") + tail)
	default:
		parts := arms
		if len(parts) == 0 {
			parts = []string{""}
		}
		for i, arm := range parts {
			if i > 0 {
				b.WriteString(" UNION ALL ")
			}
			b.WriteString("SELECT " + m.selectCols)
			switch {
			case ls.total && i == 0:
				b.WriteString(", (" + count + ") AS _total")
			case ls.total:
				b.WriteString(", NULL")
			}
			b.WriteString(m.from)
			if arm == "" {
				b.WriteString(where)
			} else {
				b.WriteString(whereAnd(base, arm))
			}
		}
		if len(arms) > 1 {
			b.WriteString(q.orderByPos(keys) + tail)
		} else {
			b.WriteString(q.orderBy("t.") + tail)
		}
	}
	if len(args) > backend.MaxParams {
		return nil, fmt.Errorf("%w: query %s needs %d bound parameters; D1 allows %d per statement",
			ErrTooLarge, q.m.name, len(args), backend.MaxParams)
	}
	ls.Stmt = backend.Stmt{SQL: b.String(), Args: args}
	return ls, nil
}

// whereAnd returns " WHERE " and the conditions joined with AND, or "".
func whereAnd(base string, conds ...string) string {
	parts := make([]string, 0, 1+len(conds))
	if base != "" {
		parts = append(parts, base)
	}
	parts = append(parts, conds...)
	if len(parts) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(parts, " AND ")
}

// orderByPos is the ORDER BY of a compound SELECT of the model's columns:
// the sort keys by column number.
func (q *Query) orderByPos(keys []sortKey) string {
	var b strings.Builder
	b.WriteString(" ORDER BY ")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(k.pos + 1))
		if k.desc {
			b.WriteString(" DESC")
		}
	}
	return b.String()
}

// prefixed lists the model's columns qualified by prefix.
func (m *model) prefixed(prefix string) string {
	var b strings.Builder
	for i, f := range m.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(prefix + backend.QuoteIdent(f.Name))
	}
	return b.String()
}

// equalities returns the columns the WHERE clause pins to one value
// (= or IS NULL): an index walk may skip over them to the next column.
func (q *Query) equalities() map[string]bool {
	eq := map[string]bool{}
	if q.h.filtered(q.m) {
		eq["user_id"] = true
	}
	if q.m.soft && q.deleted == excludeDeleted {
		eq["deleted_at"] = true
	}
	for _, c := range q.conds {
		if !c.in && (c.op == "" || c.op == "=") {
			eq[c.name] = true
		}
	}
	return eq
}

// countCovered reports whether counting the matches reads index entries
// only: every column the WHERE clause uses is in one declared index (or
// the clause uses only the primary key, or nothing). It is judged from
// the declared indexes, as dmplan plans them.
func (q *Query) countCovered() bool {
	used := map[string]bool{}
	if q.h.filtered(q.m) {
		used["user_id"] = true
	}
	if q.m.soft && q.deleted != includeDeleted {
		used["deleted_at"] = true
	}
	for _, c := range q.conds {
		used[c.name] = true
	}
	delete(used, q.m.pk)
	if len(used) == 0 {
		return true
	}
	for _, ix := range q.m.spec.D1.Indexes {
		if ix == nil {
			continue
		}
		n := 0
		for _, c := range ix.Columns {
			if used[c] {
				n++
			}
		}
		if q.deleted == excludeDeleted && q.m.onlyLive[ix] && !slices.Contains(ix.Columns, "deleted_at") {
			n++ // its condition is the soft-delete filter
		}
		if n == len(used) {
			return true
		}
	}
	return false
}

// orderServed reports whether an index walks the rows in the order of the
// key k after the columns the WHERE clause pins: then a page reads only
// its rows (each range of a cursor page is an index seek). byDeleted says
// that walk pins deleted_at, so the page must keep deleted_at IS NULL an
// index term; otherwise it is kept out of the index choice, since nearly
// every row matches it.
func (q *Query) orderServed(k sortKey) (served, byDeleted bool) {
	eq := q.equalities()
	for _, ix := range q.m.spec.D1.Indexes {
		if ix == nil {
			continue
		}
		pinned := false
		for _, c := range ix.Columns {
			if c == k.name {
				return true, pinned
			}
			if !eq[c] {
				break
			}
			pinned = pinned || c == "deleted_at"
		}
	}
	return k.never, false // the primary key's own index
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
