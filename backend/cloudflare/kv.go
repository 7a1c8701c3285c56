package cloudflare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cloudflare/cloudflare-go/v6/kv"
	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/cloudflare/cloudflare-go/v6/shared"

	"github.com/dmplan/dmplan/backend"
)

// KV is the Workers KV side of a Store.
type KV struct{ s *Store }

var _ backend.KV = (*KV)(nil)

// kvError maps KV API answers to the backend's sentinel errors.
func kvError(err error, ns string) error {
	var apiErr *apiError
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound {
		for _, e := range apiErr.Errors {
			if e.Code == 10013 || strings.Contains(strings.ToLower(e.Message), "namespace not found") {
				return fmt.Errorf("namespace %s: %w", ns, errors.Join(backend.ErrNamespaceNotFound, describe(err)))
			}
		}
	}
	return describe(err)
}

// Get reads one entry, its metadata and expiration included, in one
// request: a bulk read of one key with metadata. Bulk reads return text, so
// when the value holds U+FFFD (which an invalid UTF-8 byte would also become)
// the exact bytes are read again from the value endpoint.
func (k *KV) Get(ctx context.Context, ns, key string) (backend.Entry, error) {
	if err := backend.CheckKey(key); err != nil {
		return backend.Entry{}, fmt.Errorf("kv get: %w", err)
	}
	got, err := k.bulkGet(ctx, ns, []string{key}, true)
	if err != nil {
		return backend.Entry{}, fmt.Errorf("kv get %q: %w", key, err)
	}
	item, ok := got[key]
	if !ok {
		return backend.Entry{}, fmt.Errorf("kv get %q: %w", key, backend.ErrKeyNotFound)
	}
	e := backend.Entry{Key: key, Value: []byte(item.Value), Metadata: item.Metadata}
	if item.Expiration > 0 {
		e.Expiration = time.Unix(item.Expiration, 0)
	}
	if strings.ContainsRune(item.Value, '\uFFFD') {
		exact, exp, err := k.getValue(ctx, ns, key)
		if err != nil {
			return backend.Entry{}, err
		}
		e.Value = exact
		if !exp.IsZero() {
			e.Expiration = exp
		}
	}
	return e, nil
}

// getValue reads a value's exact bytes from the value endpoint.
func (k *KV) getValue(ctx context.Context, ns, key string) ([]byte, time.Time, error) {
	var data []byte
	var exp time.Time
	err := k.s.call(ctx, "kv get", idempotent, func(ctx context.Context) error {
		var params kv.NamespaceValueGetParams
		present(&params.AccountID, k.s.cfg.AccountID)
		resp, err := k.s.ns.Values.Get(ctx, ns, url.PathEscape(key), params)
		if err != nil {
			return kvError(err, ns)
		}
		defer resp.Body.Close()
		data, err = io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if v := resp.Header.Get("Expiration"); v != "" {
			if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs > 0 {
				exp = time.Unix(secs, 0)
			}
		}
		return nil
	})
	if statusOf(err) == http.StatusNotFound && !errors.Is(err, backend.ErrNamespaceNotFound) {
		return nil, time.Time{}, fmt.Errorf("kv get %q: %w", key, backend.ErrKeyNotFound)
	}
	return data, exp, err
}

// Put writes one entry in one request: multipart with the metadata as a JSON
// string when there is metadata, else the raw value as the body.
func (k *KV) Put(ctx context.Context, ns string, e backend.Entry) error {
	if err := backend.CheckEntry(e, k.s.now()); err != nil {
		return fmt.Errorf("kv put: %w", err)
	}
	var params kv.NamespaceValueUpdateParams
	present(&params.AccountID, k.s.cfg.AccountID)
	present(&params.Value, kv.NamespaceValueUpdateParamsValueUnion(shared.UnionString(string(e.Value))))
	if !e.Expiration.IsZero() {
		present(&params.Expiration, float64(e.Expiration.Unix()))
	}
	var opts []option.RequestOption
	if e.Metadata != nil {
		present(&params.Metadata, any(string(e.Metadata)))
	} else {
		opts = append(opts, option.WithRequestBody("application/octet-stream", e.Value))
	}
	return k.s.call(ctx, "kv put "+strconv.Quote(e.Key), idempotentWrite, func(ctx context.Context) error {
		_, err := k.s.ns.Values.Update(ctx, ns, url.PathEscape(e.Key), params, opts...)
		if err != nil {
			return kvError(err, ns)
		}
		return nil
	})
}

// Delete removes a key; a missing key is not an error.
func (k *KV) Delete(ctx context.Context, ns, key string) error {
	if err := backend.CheckKey(key); err != nil {
		return fmt.Errorf("kv delete: %w", err)
	}
	return k.s.call(ctx, "kv delete "+strconv.Quote(key), idempotentWrite, func(ctx context.Context) error {
		var params kv.NamespaceValueDeleteParams
		present(&params.AccountID, k.s.cfg.AccountID)
		_, err := k.s.ns.Values.Delete(ctx, ns, url.PathEscape(key), params)
		if err != nil && statusOf(err) == http.StatusNotFound {
			if err := kvError(err, ns); errors.Is(err, backend.ErrNamespaceNotFound) {
				return err
			}
			return nil
		}
		if err != nil {
			return kvError(err, ns)
		}
		return nil
	})
}
