package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dmplan/dmplan/backend"
)

// wireOp is one op as the Worker takes it (see the package doc).
type wireOp struct {
	Op       string        `json:"op"`
	NS       string        `json:"ns,omitempty"`
	Key      string        `json:"key,omitempty"`
	Keys     []string      `json:"keys,omitempty"`
	KeysFrom *wireKeysFrom `json:"keys_from,omitempty"`
	// Expiration is true on a kv.get that wants the expiration, and the
	// Unix seconds of a kv.put's expiration.
	Expiration any             `json:"expiration,omitempty"`
	Value      *string         `json:"value,omitempty"`
	ValueB64   *string         `json:"value_b64,omitempty"`
	Metadata   json.RawMessage `json:"metadata,omitempty"`
	Entries    []wireEntry     `json:"entries,omitempty"`
	Prefix     string          `json:"prefix,omitempty"`
	Cursor     string          `json:"cursor,omitempty"`
	Limit      int             `json:"limit,omitempty"`
	SQL        string          `json:"sql,omitempty"`
	Params     []any           `json:"params,omitempty"`
	Statements []wireStmt      `json:"statements,omitempty"`
}

type wireKeysFrom struct {
	Op        int    `json:"op"`
	Statement int    `json:"statement,omitempty"`
	Column    int    `json:"column"`
	Prefix    string `json:"prefix,omitempty"`
	Suffix    string `json:"suffix,omitempty"`
}

type wireEntry struct {
	Key        string          `json:"key"`
	Value      *string         `json:"value,omitempty"`
	ValueB64   *string         `json:"value_b64,omitempty"`
	Metadata   json.RawMessage `json:"metadata,omitempty"`
	Expiration int64           `json:"expiration,omitempty"`
}

type wireStmt struct {
	SQL    string `json:"sql"`
	Params []any  `json:"params"`
}

// wireBlob is a BLOB parameter or cell.
type wireBlob struct {
	B64 string `json:"b64"`
}

var wireKinds = map[backend.OpKind]string{
	backend.OpKVGet: "kv.get", backend.OpKVGetMany: "kv.get_many", backend.OpKVPut: "kv.put",
	backend.OpKVPutMany: "kv.put_many", backend.OpKVDelete: "kv.delete", backend.OpKVDeleteMany: "kv.delete_many",
	backend.OpKVList: "kv.list", backend.OpD1Query: "d1.query", backend.OpD1Batch: "d1.batch",
}

// encodeOp turns an op into its wire form. The KeysFrom of a get-many is
// left to the caller (it is relative to the request).
func encodeOp(op backend.Op) (wireOp, error) {
	w := wireOp{Op: wireKinds[op.Kind], NS: op.NS}
	switch op.Kind {
	case backend.OpKVGet, backend.OpKVDelete:
		w.Key = op.Key
	case backend.OpKVGetMany, backend.OpKVDeleteMany:
		w.Keys = op.Keys
		if w.Keys == nil && op.KeysFrom == nil {
			w.Keys = []string{}
		}
	case backend.OpKVPut:
		e := encodeEntry(op.Entry)
		w.Key, w.Value, w.ValueB64, w.Metadata = e.Key, e.Value, e.ValueB64, e.Metadata
		if e.Expiration != 0 {
			w.Expiration = e.Expiration
		}
	case backend.OpKVPutMany:
		w.Entries = make([]wireEntry, len(op.Entries))
		for i, e := range op.Entries {
			w.Entries[i] = encodeEntry(e)
		}
	case backend.OpKVList:
		w.Prefix, w.Cursor, w.Limit = op.Prefix, op.Cursor, op.Limit
	case backend.OpD1Query:
		st, err := encodeStmt(op.Stmt)
		if err != nil {
			return w, err
		}
		w.SQL, w.Params = st.SQL, st.Params
	case backend.OpD1Batch:
		w.Statements = make([]wireStmt, len(op.Stmts))
		for i, s := range op.Stmts {
			st, err := encodeStmt(s)
			if err != nil {
				return w, fmt.Errorf("statement %d: %w", i+1, err)
			}
			w.Statements[i] = st
		}
	default:
		return w, fmt.Errorf("unknown op kind %d", int(op.Kind))
	}
	return w, nil
}

func encodeEntry(e backend.Entry) wireEntry {
	w := wireEntry{Key: e.Key}
	if utf8.Valid(e.Value) {
		s := string(e.Value)
		w.Value = &s
	} else {
		s := base64.StdEncoding.EncodeToString(e.Value)
		w.ValueB64 = &s
	}
	if len(e.Metadata) > 0 {
		w.Metadata = json.RawMessage(e.Metadata)
	}
	if !e.Expiration.IsZero() {
		w.Expiration = e.Expiration.Unix()
	}
	return w
}

// encodeStmt encodes a statement's arguments for the Worker. D1's binding
// carries numbers as doubles, so integers go as decimal text bound through
// CAST(?N AS INTEGER) (exact over the whole int64 range) and floats as
// numbers bound through CAST(?N AS REAL); both then have the type they
// have on the local backend. Booleans are the integers 1 and 0.
func encodeStmt(st backend.Stmt) (wireStmt, error) {
	params := make([]any, len(st.Args))
	casts := make([]string, len(st.Args))
	for i, a := range st.Args {
		switch v := a.(type) {
		case nil:
			params[i] = nil
		case string:
			params[i] = v
		case []byte:
			params[i] = wireBlob{B64: base64.StdEncoding.EncodeToString(v)}
		case bool:
			params[i], casts[i] = "0", "INTEGER"
			if v {
				params[i] = "1"
			}
		case float64, float32:
			f := toFloat(v)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return wireStmt{}, fmt.Errorf("parameter %d: %v cannot be stored in D1: %w", i+1, f, backend.ErrArgType)
			}
			params[i], casts[i] = f, "REAL"
		default:
			n, ok := toInt(a)
			if !ok {
				return wireStmt{}, fmt.Errorf("parameter %d is %T: %w", i+1, a, backend.ErrArgType)
			}
			params[i], casts[i] = strconv.FormatInt(n, 10), "INTEGER"
		}
	}
	sql, err := castPlaceholders(st.SQL, casts)
	if err != nil {
		return wireStmt{}, err
	}
	if len(sql) > backend.MaxStatementBytes {
		return wireStmt{}, fmt.Errorf("statement of %d bytes once its %d numeric parameters are typed (limit %d): %w",
			len(sql), countCasts(casts), backend.MaxStatementBytes, backend.ErrTooLarge)
	}
	return wireStmt{SQL: sql, Params: params}, nil
}

func countCasts(casts []string) int {
	n := 0
	for _, c := range casts {
		if c != "" {
			n++
		}
	}
	return n
}

func toFloat(v any) float64 {
	if f, ok := v.(float32); ok {
		return float64(f)
	}
	return v.(float64)
}

func toInt(a any) (int64, bool) {
	switch v := a.(type) {
	case int64:
		return v, true
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	case int16:
		return int64(v), true
	case int8:
		return int64(v), true
	case uint32:
		return int64(v), true
	case uint16:
		return int64(v), true
	case uint8:
		return int64(v), true
	}
	return 0, false
}

// castPlaceholders rewrites each ?/?NNN whose parameter has a cast into
// CAST(?N AS type), numbering anonymous placeholders as SQLite does.
// String literals, quoted identifiers and comments are left alone. Text
// with named parameters is returned unchanged (D1 binds by position only).
func castPlaceholders(sql string, casts []string) (string, error) {
	if countCasts(casts) == 0 {
		return sql, nil
	}
	var b strings.Builder
	b.Grow(len(sql) + 24*len(casts))
	next := 1
	n := len(sql)
	for i := 0; i < n; {
		c := sql[i]
		switch {
		case c == '-' && i+1 < n && sql[i+1] == '-':
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				j = n - i
			}
			b.WriteString(sql[i : i+j])
			i += j
		case c == '/' && i+1 < n && sql[i+1] == '*':
			j := strings.Index(sql[i+2:], "*/")
			end := n
			if j >= 0 {
				end = i + 2 + j + 2
			}
			b.WriteString(sql[i:end])
			i = end
		case c == '\'' || c == '"' || c == '`' || c == '[':
			end := skipQuoted(sql, i)
			b.WriteString(sql[i:end])
			i = end
		case (c == ':' || c == '@' || c == '$') && i+1 < n && isIdentByte(sql[i+1]):
			return sql, nil
		case c == '?':
			j := i + 1
			for j < n && sql[j] >= '0' && sql[j] <= '9' {
				j++
			}
			num := next
			if j > i+1 {
				v, err := strconv.Atoi(sql[i+1 : j])
				if err != nil || v < 1 || v > backend.MaxParams {
					return "", fmt.Errorf("parameter %s: %w", sql[i:j], backend.ErrTooLarge)
				}
				num = v
			}
			if num >= next {
				next = num + 1
			}
			if num-1 < len(casts) && casts[num-1] != "" {
				fmt.Fprintf(&b, "CAST(?%d AS %s)", num, casts[num-1])
			} else {
				fmt.Fprintf(&b, "?%d", num)
			}
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

func skipQuoted(s string, i int) int {
	closer := s[i]
	if closer == '[' {
		closer = ']'
	}
	for j := i + 1; j < len(s); j++ {
		if s[j] == closer {
			if closer != ']' && j+1 < len(s) && s[j+1] == closer {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// ---------- responses ----------

type wireResponse struct {
	Version string            `json:"version"`
	Results []json.RawMessage `json:"results"`
	Error   *wireError        `json:"error"`
}

type wireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Index   *int   `json:"index"`
	Op      string `json:"op"`
}

type wireGet struct {
	Found      bool            `json:"found"`
	Value      *string         `json:"value"`
	ValueB64   *string         `json:"value_b64"`
	Metadata   json.RawMessage `json:"metadata"`
	Expiration int64           `json:"expiration"`
}

type wireGetMany struct {
	Keys   []string          `json:"keys"`
	Values map[string]string `json:"values"`
}

type wireList struct {
	Keys []struct {
		Name       string          `json:"name"`
		Metadata   json.RawMessage `json:"metadata"`
		Expiration int64           `json:"expiration"`
	} `json:"keys"`
	Cursor string `json:"cursor"`
}

type wireResult struct {
	Columns []string            `json:"columns"`
	Rows    [][]json.RawMessage `json:"rows"`
	Meta    struct {
		Changes     json.Number `json:"changes"`
		LastRowID   json.Number `json:"last_row_id"`
		RowsRead    json.Number `json:"rows_read"`
		RowsWritten json.Number `json:"rows_written"`
	} `json:"meta"`
}

type wireBatch struct {
	Results []wireResult `json:"results"`
}

func unmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}

// decodeResult decodes one op's result.
func decodeResult(op backend.Op, raw json.RawMessage) (backend.OpResult, error) {
	out := backend.OpResult{Kind: op.Kind}
	switch op.Kind {
	case backend.OpKVGet:
		var g wireGet
		if err := unmarshal(raw, &g); err != nil {
			return out, err
		}
		out.Found = g.Found
		if !g.Found {
			return out, nil
		}
		out.Entry.Key = op.Key
		switch {
		case g.Value != nil:
			out.Entry.Value = []byte(*g.Value)
		case g.ValueB64 != nil:
			v, err := base64.StdEncoding.DecodeString(*g.ValueB64)
			if err != nil {
				return out, fmt.Errorf("value_b64: %w", err)
			}
			out.Entry.Value = v
		default:
			out.Entry.Value = []byte{}
		}
		out.Entry.Metadata = metadata(g.Metadata)
		if g.Expiration > 0 {
			out.Entry.Expiration = time.Unix(g.Expiration, 0)
		}
	case backend.OpKVGetMany:
		var g wireGetMany
		if err := unmarshal(raw, &g); err != nil {
			return out, err
		}
		out.Keys = g.Keys
		if out.Keys == nil {
			out.Keys = op.Keys
		}
		out.Values = make(map[string][]byte, len(g.Values))
		for k, v := range g.Values {
			out.Values[k] = []byte(v)
		}
	case backend.OpKVList:
		var l wireList
		if err := unmarshal(raw, &l); err != nil {
			return out, err
		}
		out.Page.Cursor = l.Cursor
		out.Page.Keys = make([]backend.ListKey, len(l.Keys))
		for i, k := range l.Keys {
			out.Page.Keys[i] = backend.ListKey{Name: k.Name, Metadata: metadata(k.Metadata)}
			if k.Expiration > 0 {
				out.Page.Keys[i].Expiration = time.Unix(k.Expiration, 0)
			}
		}
	case backend.OpD1Query:
		var r wireResult
		if err := unmarshal(raw, &r); err != nil {
			return out, err
		}
		res, err := decodeD1(r)
		if err != nil {
			return out, err
		}
		out.Results = []*backend.Result{res}
	case backend.OpD1Batch:
		var b wireBatch
		if err := unmarshal(raw, &b); err != nil {
			return out, err
		}
		if len(b.Results) != len(op.Stmts) {
			return out, fmt.Errorf("%d results for %d statements", len(b.Results), len(op.Stmts))
		}
		for _, r := range b.Results {
			res, err := decodeD1(r)
			if err != nil {
				return out, err
			}
			out.Results = append(out.Results, res)
		}
	}
	return out, nil
}

func metadata(raw json.RawMessage) []byte {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return []byte(raw)
	}
	return b.Bytes()
}

func decodeD1(r wireResult) (*backend.Result, error) {
	res := &backend.Result{Columns: r.Columns, Rows: make([][]any, len(r.Rows))}
	if res.Columns == nil {
		res.Columns = []string{}
	}
	for j, row := range r.Rows {
		vals := make([]any, len(row))
		for k, cell := range row {
			v, err := decodeCell(cell)
			if err != nil {
				return nil, fmt.Errorf("row %d column %d: %w", j, k, err)
			}
			vals[k] = v
		}
		res.Rows[j] = vals
	}
	res.Changes = number(r.Meta.Changes)
	res.LastInsertID = number(r.Meta.LastRowID)
	res.RowsRead = number(r.Meta.RowsRead)
	res.RowsWritten = number(r.Meta.RowsWritten)
	return res, nil
}

func number(n json.Number) int64 {
	if i, err := n.Int64(); err == nil {
		return i
	}
	f, _ := n.Float64()
	return int64(f)
}

// decodeCell turns one cell into nil, int64, float64, string or []byte, as
// backend/cloudflare does for the REST API's cells: an integral number is
// an int64.
func decodeCell(cell json.RawMessage) (any, error) {
	var v any
	if err := unmarshal(cell, &v); err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case nil, string:
		return x, nil
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		return x.Float64()
	case map[string]any:
		s, ok := x["b64"].(string)
		if !ok {
			return nil, fmt.Errorf("cell %s is not a blob", cell)
		}
		return base64.StdEncoding.DecodeString(s)
	}
	return nil, fmt.Errorf("unexpected cell %s", cell)
}
