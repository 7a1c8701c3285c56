package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
)

// ReadOption changes what Get and Load accept.
type ReadOption func(*readConfig)

type readConfig struct{ deleted bool }

// IncludingDeleted makes Get return soft-deleted records too.
func IncludingDeleted() ReadOption { return func(c *readConfig) { c.deleted = true } }

// Get returns the record id of the model. A missing record, a deleted one
// (unless IncludingDeleted) and another user's record are all ErrNotFound.
func (h *Handle) Get(ctx context.Context, model, id string, opts ...ReadOption) (*Record, error) {
	var cfg readConfig
	for _, o := range opts {
		o(&cfg)
	}
	m, err := h.ds.model(model)
	if err != nil {
		return nil, err
	}
	r := &Record{h: h, m: m}
	if err := h.load(ctx, r, id, cfg.deleted, "get"); err != nil {
		return nil, err
	}
	return r, nil
}

// load reads record id into r; verb starts its errors ("get", "delete").
func (h *Handle) load(ctx context.Context, r *Record, id string, deleted bool, verb string) (err error) {
	m := r.m
	if m.d1only {
		args, err := m.idArgs(id)
		if err != nil {
			return fmt.Errorf("%s %s %s: %w", verb, m.name, id, err)
		}
		return h.loadD1(ctx, r, args, id, deleted, verb)
	}
	start := time.Now()
	ctx = opContext(ctx)
	defer func() { h.ds.logOp(ctx, "get", m.name, id, start, "found", err) }()
	data, err := h.fetch(ctx, m, id, deleted, verb)
	if err != nil {
		return err
	}
	r.stored(data)
	return nil
}

// fetch reads and decodes the KV object of id, applying the auth scope and
// the deleted filter.
func (h *Handle) fetch(ctx context.Context, m *model, id string, deleted bool, verb string) (map[string]any, error) {
	if err := h.checkScope(); err != nil {
		return nil, fmt.Errorf("%s %s %s: %w", verb, m.name, id, err)
	}
	if id == "" {
		return nil, fmt.Errorf("%s %s: empty id: %w", verb, m.name, ErrNotFound)
	}
	key, err := m.key(id)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", verb, m.name, ErrNotFound)
	}
	ns, err := m.namespace(ctx, h.ds.resolveNamespaces)
	if err != nil {
		return nil, fmt.Errorf("%s %s %s: %w", verb, m.name, id, err)
	}
	val, found, err := h.ds.kvGet(ctx, ns, key)
	if err != nil {
		return nil, fmt.Errorf("%s %s %s: kv get: %w", verb, m.name, id, notMigrated(err))
	}
	if !found {
		return nil, fmt.Errorf("%s %s %s: %w", verb, m.name, id, ErrNotFound)
	}
	data, err := decodeStored(m, val, id)
	if err != nil {
		return nil, fmt.Errorf("%s %s %s: KV key %s: %w (see dmplan reconcile)", verb, m.name, id, key, err)
	}
	if !h.canSee(m, data) || (!deleted && m.soft && data["deleted_at"] != nil) {
		return nil, fmt.Errorf("%s %s %s: %w", verb, m.name, id, ErrNotFound)
	}
	m.fillDefaults(data)
	return data, nil
}

// fillDefaults gives a stored object the default of every field it lacks:
// an object written before a field with a default existed reads as if it
// had the default (as SQLite's ADD COLUMN ... DEFAULT fills the column),
// so a required field added with a default does not make old records
// unsaveable. The default reaches KV with the record's next save.
func (m *model) fillDefaults(data map[string]any) {
	for _, f := range m.spec.Fields {
		if f.Default == nil {
			continue
		}
		if _, ok := data[f.Name]; !ok {
			data[f.Name] = cloneJSON(f.Default)
		}
	}
}

// decodeObject decodes a stored KV object, giving every field its
// canonical Go type. Integers are exact: the fast decode yields float64,
// and an integer field at or beyond 2^53 triggers an exact re-decode.
func decodeObject(m *model, raw []byte) (map[string]any, error) {
	var data map[string]any
	if err := json.Unmarshal(raw, &data); err != nil {
		return nil, fmt.Errorf("decode kv object: %w", err)
	}
	if data == nil {
		return nil, errors.New("decode kv object: not a JSON object")
	}
	m.decodeBlobs(data)
	for _, f := range m.ints {
		v, ok := data[f].(float64)
		if !ok {
			continue
		}
		if v >= maxExact || v <= -maxExact {
			return decodeExact(m, raw)
		}
		if v == math.Trunc(v) {
			data[f] = int64(v)
		}
	}
	return data, nil
}

// maxExact is 2^53: float64 holds every integer below it exactly.
const maxExact = 1 << 53

// decodeExact decodes with json.Number so large integers keep every digit.
func decodeExact(m *model, raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var data map[string]any
	if err := dec.Decode(&data); err != nil {
		return nil, fmt.Errorf("decode kv object: %w", err)
	}
	for k, v := range data {
		f := m.fields[k]
		if n, ok := v.(json.Number); ok && f != nil && f.Type == hclspec.Integer {
			if i, err := n.Int64(); err == nil {
				data[k] = i
				continue
			}
		}
		data[k] = plainNumbers(v)
	}
	m.decodeBlobs(data)
	return data, nil
}

// plainNumbers replaces json.Number with float64 inside a decoded value.
func plainNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = plainNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = plainNumbers(e)
		}
	}
	return v
}

// kvGet reads one KV object as a pipelined get: the value only, which on
// the gateway is one KV read (backend.KV.Get there also lists the key for
// its expiration, a costlier KV operation the runtime does not need).
func (ds *Datastore) kvGet(ctx context.Context, ns, key string) ([]byte, bool, error) {
	out, err := backend.RunOpsMetered(ctx, ds.b, []backend.Op{{Kind: backend.OpKVGet, NS: ns, Key: key}})
	if err != nil {
		return nil, false, opErr(err)
	}
	return out[0].Entry.Value, out[0].Found, nil
}
