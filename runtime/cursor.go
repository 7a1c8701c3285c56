package runtime

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
)

// ErrCursor: a cursor given to After is malformed, or was made by a
// different query (another model, filter, scope or order). Such an error
// also matches ErrInvalid.
var ErrCursor = errors.New("runtime: invalid cursor")

// cursorVersion is the version of the cursor payload; a cursor of another
// version is refused rather than read wrongly.
const cursorVersion = 1

// maxCursorLen bounds the cursor text After accepts (the order values of
// one row, so a few hundred bytes in practice).
const maxCursorLen = 64 << 10

// cursorBody is a cursor's JSON before base64: the version, the shape of
// the query that made it, and the sort-key values of the last row of the
// page, each tagged with its SQLite storage class.
type cursorBody struct {
	V int         `json:"v"`
	Q string      `json:"q"`
	K [][2]string `json:"k"`
}

// sortKey is one key of a query's order: an OrderBy field, or the primary
// key that ends every order.
type sortKey struct {
	col   string // quoted column name
	name  string
	pos   int // index in model.cols
	desc  bool
	typ   hclspec.FieldType
	never bool // never NULL (the primary key)
}

// keys returns the query's sort keys: the OrderBy fields up to the primary
// key, then the primary key when no OrderBy named it. Later keys never
// change the order of rows whose primary keys differ, so they are dropped.
func (q *Query) keys() []sortKey {
	m := q.m
	seen := map[string]bool{}
	var out []sortKey
	for _, o := range q.order {
		if seen[o.name] {
			continue
		}
		seen[o.name] = true
		i := m.colIdx[o.name]
		out = append(out, sortKey{col: o.col, name: o.name, pos: i, desc: o.desc, typ: m.cols[i].Type, never: o.name == m.pk})
		if o.name == m.pk && len(m.pks) == 1 {
			return out
		}
	}
	// The primary key follows the last key's direction, so an index that
	// ends with it serves the whole order, read forwards or backwards.
	desc := len(out) > 0 && out[len(out)-1].desc
	if len(m.pks) > 1 {
		// Every part of a composite key not ordered by already, in key
		// order: together they tell any two rows apart.
		for _, p := range m.pks {
			if seen[p] {
				continue
			}
			i := m.colIdx[p]
			f := m.cols[i]
			out = append(out, sortKey{col: backend.QuoteIdent(p), name: p, pos: i, desc: desc, typ: f.Type,
				never: f.Required || m.spec.D1.WithoutRowid})
		}
		return out
	}
	i := m.colIdx[m.pk]
	return append(out, sortKey{col: m.pkQuoted, name: m.pk, pos: i, desc: desc, typ: m.cols[i].Type, never: true})
}

// shape identifies what a cursor may be used with: the model, the WHERE
// clause with its values (the auth scope and soft-delete mode included)
// and the order. The limit and WithData are not part of it.
func (q *Query) shape(where string, args []any, keys []sortKey) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", q.m.name, where)
	for _, a := range args {
		tag, text := tagValue(a)
		fmt.Fprintf(h, "%s:%d:%s\x00", tag, len(text), text)
	}
	for _, k := range keys {
		fmt.Fprintf(h, "%s:%t\x00", k.name, k.desc)
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// tagValue returns a column value's storage class tag and text form:
// n (NULL), i (INTEGER), f (REAL, shortest round-trip form), s (TEXT) or
// b (BLOB, base64).
func tagValue(v any) (string, string) {
	switch x := v.(type) {
	case nil:
		return "n", ""
	case int64:
		return "i", strconv.FormatInt(x, 10)
	case int:
		return "i", strconv.Itoa(x)
	case float64:
		return "f", strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return "s", x
	case []byte:
		return "b", base64.StdEncoding.EncodeToString(x)
	case bool:
		if x {
			return "i", "1"
		}
		return "i", "0"
	default:
		return "s", fmt.Sprint(x)
	}
}

// encodeCursor makes the cursor of a row's sort-key values.
func encodeCursor(shape string, vals []any) string {
	b := cursorBody{V: cursorVersion, Q: shape, K: make([][2]string, len(vals))}
	for i, v := range vals {
		tag, text := tagValue(v)
		b.K[i] = [2]string{tag, text}
	}
	raw, _ := json.Marshal(b) // strings only: cannot fail
	return base64.RawURLEncoding.EncodeToString(raw)
}

// cursorError is an error that matches both ErrInvalid and ErrCursor.
func (q *Query) cursorError(format string, args ...any) error {
	return fmt.Errorf("%w: %w: query %s: %s", ErrInvalid, ErrCursor, q.m.name, fmt.Sprintf(format, args...))
}

// decodeCursor reads a cursor made by encodeCursor for a query of the same
// shape and returns its values, one per key, as bind parameters. Every
// value is checked against its key's column: a TEXT column's value cannot
// be a number (SQLite stores numbers given to it as text), the primary key
// is never NULL.
func (q *Query) decodeCursor(cur, shape string, keys []sortKey) ([]any, error) {
	if len(cur) > maxCursorLen {
		return nil, q.cursorError("cursor of %d bytes; a cursor is at most %d", len(cur), maxCursorLen)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(cur, "="))
	if err != nil {
		return nil, q.cursorError("the cursor is not one this library made (not base64url)")
	}
	var b cursorBody
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, q.cursorError("the cursor is not one this library made (not its JSON)")
	}
	if b.V != cursorVersion {
		return nil, q.cursorError("cursor version %d; this library reads version %d (start again from the first page)", b.V, cursorVersion)
	}
	if b.Q != shape {
		return nil, q.cursorError("the cursor was made by a different query (another model, filter, user or order); pass it only to the query that returned it, or start again from the first page")
	}
	if len(b.K) != len(keys) {
		return nil, q.cursorError("the cursor holds %d sort values, the query has %d sort keys", len(b.K), len(keys))
	}
	vals := make([]any, len(keys))
	for i, k := range keys {
		v, err := untag(b.K[i])
		if err != nil {
			return nil, q.cursorError("sort value %d (%s): %v", i+1, k.name, err)
		}
		switch {
		case v == nil && k.never:
			return nil, q.cursorError("sort value %d (%s) is null; the column is never null", i+1, k.name)
		case k.typ.ColumnType() == "TEXT" && (b.K[i][0] == "i" || b.K[i][0] == "f"):
			return nil, q.cursorError("sort value %d (%s) is a number; the column holds text", i+1, k.name)
		}
		vals[i] = v
	}
	return vals, nil
}

func untag(t [2]string) (any, error) {
	switch t[0] {
	case "n":
		if t[1] != "" {
			return nil, errors.New("null with a value")
		}
		return nil, nil
	case "i":
		n, err := strconv.ParseInt(t[1], 10, 64)
		if err != nil {
			return nil, errors.New("not an integer")
		}
		return n, nil
	case "f":
		f, err := strconv.ParseFloat(t[1], 64)
		// A number column holds finite values only (validation), and D1
		// cannot bind an infinity (its parameters travel as JSON).
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, errors.New("not a finite number")
		}
		return f, nil
	case "s":
		return t[1], nil
	case "b":
		p, err := base64.StdEncoding.DecodeString(t[1])
		if err != nil {
			return nil, errors.New("not base64 bytes")
		}
		return p, nil
	}
	return nil, fmt.Errorf("unknown value type %q", t[0])
}

// keysetArms returns the conditions that keep the rows strictly after
// vals in the order of keys, as one or two disjoint ranges of the first
// key. Each range starts with a condition on the first key alone (k >= v,
// k <= v, k IS NULL, k IS NOT NULL) that an index on it can seek to, so a
// deep page reads only its own rows. SQLite sorts NULL first ascending and
// last descending; the primary key, last, breaks ties. split says whether
// the ranges must stay separate (an index serves the first key): then
// they are the arms of a UNION ALL; otherwise they are ORed into one
// condition, since without an index each arm would scan the table.
//
// bind returns the placeholder of a value, one per value however often it
// is used; prefix qualifies the columns.
func keysetArms(keys []sortKey, vals []any, prefix string, bind func(any) string) []string {
	ph := make([]string, len(vals))
	for i, v := range vals {
		if v != nil {
			ph[i] = bind(v)
		}
	}
	col := func(i int) string { return prefix + keys[i].col }
	// after(i): keys[i:] are strictly after vals[i:]; "" is false.
	var after func(i int) string
	after = func(i int) string {
		var strict string
		k, v := keys[i], vals[i]
		switch {
		case !k.desc && v != nil:
			strict = col(i) + " > " + ph[i]
		case !k.desc:
			strict = col(i) + " IS NOT NULL"
		case v != nil && k.never:
			strict = col(i) + " < " + ph[i]
		case v != nil:
			strict = "(" + col(i) + " < " + ph[i] + " OR " + col(i) + " IS NULL)"
		}
		if i == len(keys)-1 {
			return strict
		}
		rest := after(i + 1)
		if rest == "" {
			return strict
		}
		eq := col(i) + " IS NULL"
		if v != nil {
			eq = col(i) + " = " + ph[i]
		}
		tie := eq + " AND " + rest
		if strict == "" {
			return tie
		}
		return "(" + strict + " OR (" + tie + "))"
	}
	rest := func() string {
		if len(keys) == 1 {
			return ""
		}
		return after(1)
	}
	and := func(a, b string) string {
		if b == "" {
			return a
		}
		return a + " AND " + b
	}
	k, v, c := keys[0], vals[0], col(0)
	switch {
	case !k.desc && v != nil: // NULLs come before v: one range from v up
		return []string{and(c+" >= "+ph[0], after(0))}
	case !k.desc: // the rest of the NULL group, then every non-NULL value
		var arms []string
		if r := rest(); r != "" {
			arms = append(arms, c+" IS NULL AND "+r)
		}
		return append(arms, c+" IS NOT NULL")
	case v != nil: // values down from v, then the NULLs, last descending
		arms := []string{and(c+" <= "+ph[0], after(0))}
		if !k.never {
			arms = append(arms, c+" IS NULL")
		}
		return arms
	default: // v is NULL, descending: only the rest of the NULL group
		if r := rest(); r != "" {
			return []string{c + " IS NULL AND " + r}
		}
		return nil
	}
}
