package cloudflare

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/cloudflare/cloudflare-go/v6/d1"
	"github.com/cloudflare/cloudflare-go/v6/option"

	"github.com/dmplan/dmplan/backend"
)

// MaxBatchBytes bounds the JSON body of one D1 request. D1 documents no
// request-size limit for /raw (only 100 KB per statement and 30 s per call);
// this keeps a request well inside what the API gateway accepts. A Batch
// larger than this is split, and atomicity then holds per request.
const MaxBatchBytes = 32 << 20

// DB is the D1 side of a Store.
type DB struct{ s *Store }

var _ backend.D1 = (*DB)(nil)

// wireStmt is one statement as the /raw endpoint takes it. Params are JSON
// typed: numbers and null go as JSON numbers and null, not strings.
type wireStmt struct {
	SQL    string `json:"sql"`
	Params []any  `json:"params"`
}

// Query runs one statement in one request.
func (d *DB) Query(ctx context.Context, st backend.Stmt) (*backend.Result, error) {
	res, err := d.run(ctx, []backend.Stmt{st}, false)
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// Batch runs the statements atomically in one request (see MaxBatchBytes).
func (d *DB) Batch(ctx context.Context, sts []backend.Stmt) ([]*backend.Result, error) {
	if len(sts) == 0 {
		return nil, nil
	}
	return d.run(ctx, sts, true)
}

func (d *DB) run(ctx context.Context, sts []backend.Stmt, batch bool) ([]*backend.Result, error) {
	if d.s.dbID == "" {
		return nil, ErrNoDatabase
	}
	wire := make([]wireStmt, len(sts))
	sf := idempotent // reads only, or writes marked by the caller
	for i, st := range sts {
		info, err := backend.CheckStmt(st)
		if err != nil {
			if batch {
				return nil, fmt.Errorf("d1 batch statement %d: %w", i+1, err)
			}
			return nil, fmt.Errorf("d1 query: %w", err)
		}
		switch {
		case info.Writes && !st.Idempotent && !isMarkedIdempotent(ctx):
			sf = unsafe
		case info.Writes && sf == idempotent:
			sf = idempotentWrite
		}
		params, err := wireParams(st.Args)
		if err != nil {
			return nil, fmt.Errorf("d1 statement %d: %w", i+1, err)
		}
		wire[i] = wireStmt{SQL: st.SQL, Params: params}
	}
	parts, err := splitBatch(wire, batch, MaxBatchBytes)
	if err != nil {
		return nil, err
	}
	out := make([]*backend.Result, 0, len(sts))
	done := 0
	for p, body := range parts {
		n := body.n
		res, err := d.post(ctx, body.data, sts[done:done+n], sf)
		if err != nil {
			if len(parts) > 1 {
				return nil, fmt.Errorf("d1 batch part %d of %d (statements %d-%d; earlier parts were committed): %w",
					p+1, len(parts), done+1, done+n, err)
			}
			return nil, err
		}
		out = append(out, res...)
		done += n
	}
	return out, nil
}

type batchPart struct {
	data []byte
	n    int
}

// splitBatch encodes the statements into as few request bodies as
// MaxBatchBytes allows: one, unless the batch is huge.
func splitBatch(wire []wireStmt, batch bool, maxBytes int) ([]batchPart, error) {
	if !batch {
		b, err := json.Marshal(wire[0])
		if err != nil {
			return nil, fmt.Errorf("encode d1 statement: %w", err)
		}
		return []batchPart{{data: b, n: 1}}, nil
	}
	encoded := make([][]byte, len(wire))
	for i, w := range wire {
		b, err := json.Marshal(w)
		if err != nil {
			return nil, fmt.Errorf("encode d1 statement %d: %w", i+1, err)
		}
		encoded[i] = b
	}
	var parts []batchPart
	start := 0
	size := 0
	for i, b := range encoded {
		if i > start && size+len(b)+1 > maxBytes-len(`{"batch":[]}`) {
			parts = append(parts, joinBatch(encoded[start:i]))
			start, size = i, 0
		}
		size += len(b) + 1
	}
	parts = append(parts, joinBatch(encoded[start:]))
	return parts, nil
}

func joinBatch(items [][]byte) batchPart {
	var buf bytes.Buffer
	buf.WriteString(`{"batch":[`)
	for i, b := range items {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(b)
	}
	buf.WriteString(`]}`)
	return batchPart{data: buf.Bytes(), n: len(items)}
}

// wireParams converts Go arguments to JSON-typed D1 parameters.
func wireParams(args []any) ([]any, error) {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case nil:
			out[i] = nil
		case string:
			out[i] = v
		case int64:
			out[i] = v
		case int:
			out[i] = int64(v)
		case int32:
			out[i] = int64(v)
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("parameter %d: %v cannot be sent to D1", i+1, v)
			}
			out[i] = v
		case float32:
			out[i] = float64(v)
		case bool:
			if v {
				out[i] = int64(1)
			} else {
				out[i] = int64(0)
			}
		case []byte:
			// D1 takes a BLOB as an array of byte values, the form its
			// Worker binding uses on the wire.
			nums := make([]int, len(v))
			for j, c := range v {
				nums[j] = int(c)
			}
			out[i] = nums
		default:
			return nil, fmt.Errorf("parameter %d: unsupported type %T", i+1, a)
		}
	}
	return out, nil
}

// rawResponse is the /raw envelope, decoded with UseNumber.
type rawResponse struct {
	Result []struct {
		Results struct {
			Columns []string            `json:"columns"`
			Rows    [][]json.RawMessage `json:"rows"`
		} `json:"results"`
		Meta struct {
			Changes     json.Number `json:"changes"`
			LastRowID   json.Number `json:"last_row_id"`
			RowsRead    json.Number `json:"rows_read"`
			RowsWritten json.Number `json:"rows_written"`
		} `json:"meta"`
		Success bool `json:"success"`
	} `json:"result"`
}

func (d *DB) post(ctx context.Context, body []byte, sts []backend.Stmt, sf safety) ([]*backend.Result, error) {
	var params d1.DatabaseRawParams
	present(&params.AccountID, d.s.cfg.AccountID)
	var raw []byte
	err := d.s.call(ctx, "d1 query", sf, func(ctx context.Context) error {
		raw = nil
		_, err := d.s.db.Raw(ctx, d.s.dbID, params,
			option.WithRequestBody("application/json", body), option.WithResponseBodyInto(&raw))
		if err != nil {
			return d1Error(err, sts)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return decodeRaw(raw, len(sts))
}

func decodeRaw(raw []byte, want int) ([]*backend.Result, error) {
	var env rawResponse
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&env); err != nil {
		return nil, fmt.Errorf("decode d1 response: %w", err)
	}
	if len(env.Result) != want {
		return nil, fmt.Errorf("decode d1 response: %d results for %d statements", len(env.Result), want)
	}
	out := make([]*backend.Result, want)
	for i, r := range env.Result {
		res := &backend.Result{Columns: r.Results.Columns, Rows: make([][]any, len(r.Results.Rows))}
		if res.Columns == nil {
			res.Columns = []string{}
		}
		for j, row := range r.Results.Rows {
			vals := make([]any, len(row))
			for k, cell := range row {
				v, err := decodeValue(cell)
				if err != nil {
					return nil, fmt.Errorf("decode d1 row %d column %d: %w", j, k, err)
				}
				vals[k] = v
			}
			res.Rows[j] = vals
		}
		res.Changes, _ = number(r.Meta.Changes)
		res.LastInsertID, _ = number(r.Meta.LastRowID)
		res.RowsRead, _ = number(r.Meta.RowsRead)
		res.RowsWritten, _ = number(r.Meta.RowsWritten)
		out[i] = res
	}
	return out, nil
}

func number(n json.Number) (int64, bool) {
	if n == "" {
		return 0, false
	}
	if i, err := n.Int64(); err == nil {
		return i, true
	}
	f, err := n.Float64()
	if err != nil {
		return 0, false
	}
	return int64(f), true
}

// decodeValue turns one JSON cell into nil, int64, float64, string or
// []byte (D1 sends a BLOB as an array of byte values).
func decodeValue(cell json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(cell))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
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
	case []any:
		b := make([]byte, len(x))
		for i, e := range x {
			n, ok := e.(json.Number)
			if !ok {
				return nil, fmt.Errorf("blob element %d is %T", i, e)
			}
			c, err := n.Int64()
			if err != nil || c < 0 || c > 255 {
				return nil, fmt.Errorf("blob element %d is %s", i, n)
			}
			b[i] = byte(c)
		}
		return b, nil
	default:
		return string(cell), nil
	}
}
