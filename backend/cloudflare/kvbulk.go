package cloudflare

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/cloudflare/cloudflare-go/v6/kv"
	"github.com/cloudflare/cloudflare-go/v6/option"

	"github.com/dmplan/dmplan/backend"
)

// bulkItem is one value of a bulk read with metadata.
type bulkItem struct {
	Value      string
	Metadata   []byte
	Expiration int64
}

// bulkGet reads up to MaxBulkGet keys in one request. The response is
// decoded from its raw JSON: the SDK's typed decoding drops every value when
// one key is missing. Missing keys are absent from the map.
func (k *KV) bulkGet(ctx context.Context, ns string, keys []string, withMetadata bool) (map[string]bulkItem, error) {
	var raw []byte
	err := k.s.call(ctx, "kv bulk get", idempotent, func(ctx context.Context) error {
		raw = nil
		var params kv.NamespaceBulkGetParams
		present(&params.AccountID, k.s.cfg.AccountID)
		present(&params.Keys, keys)
		present(&params.Type, kv.NamespaceBulkGetParamsTypeText)
		present(&params.WithMetadata, withMetadata)
		_, err := k.s.ns.BulkGet(ctx, ns, params, option.WithResponseBodyInto(&raw))
		if err != nil {
			return kvError(err, ns)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var env struct {
		Result struct {
			Values map[string]json.RawMessage `json:"values"`
		} `json:"result"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("decode kv bulk get response: %w", err)
	}
	out := make(map[string]bulkItem, len(env.Result.Values))
	for key, v := range env.Result.Values {
		if len(v) == 0 || bytes.Equal(v, []byte("null")) {
			continue
		}
		var item bulkItem
		if withMetadata {
			var m struct {
				Value      *string         `json:"value"`
				Metadata   json.RawMessage `json:"metadata"`
				Expiration json.Number     `json:"expiration"`
			}
			if err := json.Unmarshal(v, &m); err != nil {
				return nil, fmt.Errorf("decode kv bulk get value of %q: %w", key, err)
			}
			if m.Value == nil {
				continue
			}
			item.Value = *m.Value
			if len(m.Metadata) > 0 && !bytes.Equal(m.Metadata, []byte("null")) {
				item.Metadata = []byte(m.Metadata)
			}
			item.Expiration, _ = number(m.Expiration)
		} else if err := json.Unmarshal(v, &item.Value); err != nil {
			return nil, fmt.Errorf("decode kv bulk get value of %q: %w", key, err)
		}
		out[key] = item
	}
	return out, nil
}

// GetMany reads the keys in requests of at most MaxBulkGet keys. Bulk reads
// return values as text (a Cloudflare limit): use it for text values.
func (k *KV) GetMany(ctx context.Context, ns string, keys []string) (map[string][]byte, error) {
	keys = dedupe(keys)
	for _, key := range keys {
		if err := backend.CheckKey(key); err != nil {
			return nil, fmt.Errorf("kv get many: %w", err)
		}
	}
	out := make(map[string][]byte, len(keys))
	for start := 0; start < len(keys); start += backend.MaxBulkGet {
		end := min(start+backend.MaxBulkGet, len(keys))
		got, err := k.bulkGet(ctx, ns, keys[start:end], false)
		if err != nil {
			return nil, fmt.Errorf("kv get many: %w", err)
		}
		for key, item := range got {
			out[key] = []byte(item.Value)
		}
	}
	return out, nil
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

// bulkPair is one pair of a bulk write as the API takes it.
type bulkPair struct {
	Key        string          `json:"key"`
	Value      string          `json:"value"`
	Base64     bool            `json:"base64,omitempty"`
	Expiration int64           `json:"expiration,omitempty"`
	Metadata   json.RawMessage `json:"metadata,omitempty"`
}

// PutMany writes the entries in as few bulk requests as the limits allow
// (10,000 pairs and 100 MB per request). Every entry is checked before the
// first request. Values that are not valid UTF-8 are sent base64-encoded.
func (k *KV) PutMany(ctx context.Context, ns string, es []backend.Entry) error {
	encoded := make([][]byte, len(es))
	now := k.s.now()
	for i, e := range es {
		if err := backend.CheckEntry(e, now); err != nil {
			return fmt.Errorf("kv put many: %w", err)
		}
		p := bulkPair{Key: e.Key, Metadata: json.RawMessage(e.Metadata)}
		if utf8.Valid(e.Value) {
			p.Value = string(e.Value)
		} else {
			p.Value, p.Base64 = base64.StdEncoding.EncodeToString(e.Value), true
		}
		if !e.Expiration.IsZero() {
			p.Expiration = e.Expiration.Unix()
		}
		b, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("kv put many: encode %q: %w", e.Key, err)
		}
		encoded[i] = b
	}
	for start := 0; start < len(encoded); {
		end, size := start, 2
		for end < len(encoded) && end-start < backend.MaxBulkPut && size+len(encoded[end])+1 < backend.MaxBulkPutBytes {
			size += len(encoded[end]) + 1
			end++
		}
		if end == start {
			return fmt.Errorf("kv put many: entry %q does not fit one request: %w", es[start].Key, backend.ErrTooLarge)
		}
		if err := k.bulkPut(ctx, ns, encoded[start:end]); err != nil {
			if start > 0 {
				return fmt.Errorf("kv put many: entries %d-%d (earlier ones were written): %w", start+1, end, err)
			}
			return fmt.Errorf("kv put many: %w", err)
		}
		start = end
	}
	return nil
}

func (k *KV) bulkPut(ctx context.Context, ns string, items [][]byte) error {
	body := append([]byte{'['}, bytes.Join(items, []byte{','})...)
	body = append(body, ']')
	return k.s.call(ctx, "kv bulk put", idempotentWrite, func(ctx context.Context) error {
		var params kv.NamespaceBulkUpdateParams
		present(&params.AccountID, k.s.cfg.AccountID)
		res, err := k.s.ns.BulkUpdate(ctx, ns, params,
			option.WithRequestBody("application/json", body))
		if err != nil {
			return kvError(err, ns)
		}
		if len(res.UnsuccessfulKeys) > 0 {
			return fmt.Errorf("%d keys were not written (first %q)", len(res.UnsuccessfulKeys), res.UnsuccessfulKeys[0])
		}
		return nil
	})
}

// DeleteMany removes the keys in requests of at most MaxBulkDelete keys.
func (k *KV) DeleteMany(ctx context.Context, ns string, keys []string) error {
	keys = dedupe(keys)
	for _, key := range keys {
		if err := backend.CheckKey(key); err != nil {
			return fmt.Errorf("kv delete many: %w", err)
		}
	}
	for start := 0; start < len(keys); start += backend.MaxBulkDelete {
		chunk := keys[start:min(start+backend.MaxBulkDelete, len(keys))]
		err := k.s.call(ctx, "kv bulk delete", idempotentWrite, func(ctx context.Context) error {
			params := kv.NamespaceBulkDeleteParams{Body: chunk}
			present(&params.AccountID, k.s.cfg.AccountID)
			_, err := k.s.ns.BulkDelete(ctx, ns, params)
			if err != nil {
				return kvError(err, ns)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("kv delete many: %w", err)
		}
	}
	return nil
}
