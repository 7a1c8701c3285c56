package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dmplan/dmplan/backend"
)

type d1 Store

var _ backend.D1 = (*d1)(nil)

// one runs a single op and returns its result, with the op's own error
// (not wrapped in a PipelineError) prefixed by what.
func (s *Store) one(ctx context.Context, what string, op backend.Op, withExpiration bool) (backend.OpResult, error) {
	if backend.IsMarkedIdempotent(ctx) {
		op.Idempotent = true
	}
	res, err := s.pipeline(ctx, []backend.Op{op}, withExpiration)
	if err != nil {
		var pe *backend.PipelineError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return backend.OpResult{}, fmt.Errorf("%s: %w", what, err)
	}
	return res[0], nil
}

// Query runs one statement in one request. Statements that write are sent
// once unless ctx is marked with backend.WithIdempotent.
func (d *d1) Query(ctx context.Context, st backend.Stmt) (*backend.Result, error) {
	res, err := (*Store)(d).one(ctx, "d1 query", backend.Op{Kind: backend.OpD1Query, Stmt: st}, false)
	if err != nil {
		return nil, err
	}
	return res.Results[0], nil
}

// Batch runs the statements atomically in one request. A batch over one
// request's limits (1,000 statements, MaxRequestBytes) is split, each
// part atomic on its own, and an error names the part that failed and
// that the earlier parts were committed.
func (d *d1) Batch(ctx context.Context, sts []backend.Stmt) ([]*backend.Result, error) {
	if len(sts) == 0 {
		return nil, nil
	}
	var ops []backend.Op
	for from := 0; from < len(sts); {
		to, size := from, 0
		for to < len(sts) && to-from < maxRequestStmts {
			sz := stmtSize(sts[to])
			if to > from && size+sz > MaxRequestBytes/2 {
				break
			}
			size += sz
			to++
		}
		ops = append(ops, backend.Op{Kind: backend.OpD1Batch, Stmts: sts[from:to], Idempotent: backend.IsMarkedIdempotent(ctx)})
		from = to
	}
	res, err := (*Store)(d).Pipeline(ctx, ops)
	if err != nil {
		var pe *backend.PipelineError
		if errors.As(err, &pe) {
			if len(ops) > 1 {
				return nil, fmt.Errorf("d1 batch part %d of %d (earlier parts were committed): %w", pe.Index+1, len(ops), pe.Err)
			}
			err = pe.Err
		}
		return nil, fmt.Errorf("d1 batch: %w", err)
	}
	out := make([]*backend.Result, 0, len(sts))
	for _, r := range res {
		out = append(out, r.Results...)
	}
	return out, nil
}

func stmtSize(st backend.Stmt) int {
	n := len(st.SQL) + 32
	for _, a := range st.Args {
		switch v := a.(type) {
		case string:
			n += len(v)*2 + 8
		case []byte:
			n += len(v)*4/3 + 16
		default:
			n += 32
		}
	}
	return n
}

type kv Store

var _ backend.KV = (*kv)(nil)

// Get reads one key with its metadata and expiration (the expiration
// costs a second KV call in the Worker, a list of the key; a pipelined
// OpKVGet skips it).
func (k *kv) Get(ctx context.Context, ns, key string) (backend.Entry, error) {
	res, err := (*Store)(k).one(ctx, "kv get", backend.Op{Kind: backend.OpKVGet, NS: ns, Key: key}, true)
	if err != nil {
		return backend.Entry{}, err
	}
	if !res.Found {
		return backend.Entry{}, fmt.Errorf("kv get %q: %w", key, backend.ErrKeyNotFound)
	}
	return res.Entry, nil
}

// GetMany reads the keys in one request per 1,000 keys (the Worker reads
// them 100 at a time). Bulk reads return values as text, as on the REST
// API: use it for text values.
func (k *kv) GetMany(ctx context.Context, ns string, keys []string) (map[string][]byte, error) {
	if len(keys) == 0 {
		return map[string][]byte{}, nil
	}
	res, err := (*Store)(k).one(ctx, "kv get many", backend.Op{Kind: backend.OpKVGetMany, NS: ns, Keys: dedupe(keys)}, false)
	if err != nil {
		return nil, err
	}
	return res.Values, nil
}

func dedupe(keys []string) []string {
	seen := make(map[string]bool, len(keys))
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// Put writes one entry.
func (k *kv) Put(ctx context.Context, ns string, e backend.Entry) error {
	if err := backend.CheckEntry(e, time.Now()); err != nil {
		return fmt.Errorf("kv put: %w", err)
	}
	_, err := (*Store)(k).one(ctx, "kv put", backend.Op{Kind: backend.OpKVPut, NS: ns, Entry: e}, false)
	return err
}

// PutMany writes the entries, 1,000 (or 16 MiB) per request; the Worker
// writes them in parallel. It is not atomic.
func (k *kv) PutMany(ctx context.Context, ns string, es []backend.Entry) error {
	if len(es) == 0 {
		return nil
	}
	now := time.Now()
	for _, e := range es {
		if err := backend.CheckEntry(e, now); err != nil {
			return fmt.Errorf("kv put many: %w", err)
		}
	}
	_, err := (*Store)(k).one(ctx, "kv put many", backend.Op{Kind: backend.OpKVPutMany, NS: ns, Entries: es}, false)
	return err
}

// Delete removes a key; a missing key is not an error.
func (k *kv) Delete(ctx context.Context, ns, key string) error {
	_, err := (*Store)(k).one(ctx, "kv delete", backend.Op{Kind: backend.OpKVDelete, NS: ns, Key: key}, false)
	return err
}

// DeleteMany removes keys, 1,000 per request.
func (k *kv) DeleteMany(ctx context.Context, ns string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := (*Store)(k).one(ctx, "kv delete many", backend.Op{Kind: backend.OpKVDeleteMany, NS: ns, Keys: keys}, false)
	return err
}

// List returns one page of keys with the prefix.
func (k *kv) List(ctx context.Context, ns, prefix, cursor string, limit int) (backend.ListPage, error) {
	if limit <= 0 || limit > backend.MaxListLimit {
		limit = backend.MaxListLimit
	}
	res, err := (*Store)(k).one(ctx, "kv list", backend.Op{Kind: backend.OpKVList, NS: ns, Prefix: prefix, Cursor: cursor, Limit: limit}, false)
	if err != nil {
		return backend.ListPage{}, err
	}
	return res.Page, nil
}

// Namespaces lists the namespaces bound to the gateway (one request: the
// gateway's health, so a redeploy with new namespaces is seen at once).
func (k *kv) Namespaces(ctx context.Context) ([]backend.Namespace, error) {
	h, err := (*Store)(k).Health(ctx)
	if err != nil {
		return nil, fmt.Errorf("kv namespaces: %w", err)
	}
	out := make([]backend.Namespace, len(h.Namespaces))
	for i, ns := range h.Namespaces {
		out[i] = backend.Namespace{ID: ns.ID, Title: ns.Title}
	}
	return out, nil
}

// CreateNamespace returns the bound namespace with the title when there is
// one; creating a namespace through the gateway is not possible
// (ErrNamespacesByApply).
func (k *kv) CreateNamespace(ctx context.Context, title string) (backend.Namespace, error) {
	nss, err := k.Namespaces(ctx)
	if err != nil {
		return backend.Namespace{}, err
	}
	for _, ns := range nss {
		if ns.Title == title {
			return ns, nil
		}
	}
	return backend.Namespace{}, fmt.Errorf("create kv namespace %q: %w", title, ErrNamespacesByApply)
}
