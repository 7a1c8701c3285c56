package cloudflare

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cloudflare/cloudflare-go/v6/kv"

	"github.com/dmplan/dmplan/backend"
)

// minListLimit is the smallest page the REST API serves.
const minListLimit = 10

// cursorPrefix marks a cursor of ours: a page of fewer than 10 keys was cut
// from an API page, and the cursor says where in that page to go on.
const cursorPrefix = "dmplan1."

// List returns one page of keys with the prefix, in byte order: one request.
// The API serves at least 10 keys a page; for a smaller limit List cuts the
// page and returns a cursor of its own that resumes inside it.
func (k *KV) List(ctx context.Context, ns, prefix, cursor string, limit int) (backend.ListPage, error) {
	if limit <= 0 || limit > backend.MaxListLimit {
		limit = backend.MaxListLimit
	}
	apiCursor, skip, err := parseCursor(cursor)
	if err != nil {
		return backend.ListPage{}, fmt.Errorf("kv list: %w", err)
	}
	keys, next, err := k.listPage(ctx, ns, prefix, apiCursor, max(limit, minListLimit))
	if err != nil {
		return backend.ListPage{}, err
	}
	if skip > len(keys) {
		skip = len(keys)
	}
	keys = keys[skip:]
	page := backend.ListPage{Keys: keys, Cursor: next}
	if len(keys) > limit {
		page.Keys = keys[:limit]
		page.Cursor = makeCursor(apiCursor, skip+limit)
	}
	return page, nil
}

func makeCursor(apiCursor string, skip int) string {
	return cursorPrefix + base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(skip)+":"+apiCursor))
}

func parseCursor(c string) (string, int, error) {
	if !strings.HasPrefix(c, cursorPrefix) {
		return c, 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(c, cursorPrefix))
	if err != nil {
		return "", 0, fmt.Errorf("malformed cursor")
	}
	n, rest, ok := strings.Cut(string(b), ":")
	skip, err := strconv.Atoi(n)
	if !ok || err != nil || skip < 0 {
		return "", 0, fmt.Errorf("malformed cursor")
	}
	return rest, skip, nil
}

func (k *KV) listPage(ctx context.Context, ns, prefix, cursor string, limit int) ([]backend.ListKey, string, error) {
	var params kv.NamespaceKeyListParams
	present(&params.AccountID, k.s.cfg.AccountID)
	present(&params.Limit, float64(limit))
	if prefix != "" {
		present(&params.Prefix, prefix)
	}
	if cursor != "" {
		present(&params.Cursor, cursor)
	}
	var keys []backend.ListKey
	var next string
	err := k.s.call(ctx, "kv list", idempotent, func(ctx context.Context) error {
		res, err := k.s.ns.Keys.List(ctx, ns, params)
		if err != nil {
			return kvError(err, ns)
		}
		keys = make([]backend.ListKey, 0, len(res.Result))
		for _, key := range res.Result {
			lk := backend.ListKey{Name: key.Name}
			if key.Expiration > 0 {
				lk.Expiration = time.Unix(int64(key.Expiration), 0)
			}
			if raw := key.JSON.Metadata.Raw(); raw != "" && raw != "null" {
				lk.Metadata = []byte(raw)
			} else if key.Metadata != nil {
				b, err := json.Marshal(key.Metadata)
				if err != nil {
					return err
				}
				lk.Metadata = b
			}
			keys = append(keys, lk)
		}
		next = res.ResultInfo.Cursor
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return keys, next, nil
}

// Namespaces lists every namespace of the account, page by page until a
// short page.
func (k *KV) Namespaces(ctx context.Context) ([]backend.Namespace, error) {
	const perPage = 100
	var out []backend.Namespace
	for page := 1; ; page++ {
		var got []kv.Namespace
		err := k.s.call(ctx, "kv list namespaces", idempotent, func(ctx context.Context) error {
			var params kv.NamespaceListParams
			present(&params.AccountID, k.s.cfg.AccountID)
			present(&params.Page, float64(page))
			present(&params.PerPage, float64(perPage))
			res, err := k.s.ns.List(ctx, params)
			if err != nil {
				return describe(err)
			}
			got = res.Result
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, n := range got {
			out = append(out, backend.Namespace{ID: n.ID, Title: n.Title})
		}
		if len(got) < perPage {
			return out, nil
		}
	}
}

func findTitle(nss []backend.Namespace, title string) (backend.Namespace, bool) {
	for _, n := range nss {
		if n.Title == title {
			return n, true
		}
	}
	return backend.Namespace{}, false
}

// CreateNamespace returns the namespace with the title, creating it when
// missing. Creation is sent once (see the package doc); after an ambiguous
// failure the list is read again.
func (k *KV) CreateNamespace(ctx context.Context, title string) (backend.Namespace, error) {
	if title == "" {
		return backend.Namespace{}, fmt.Errorf("kv create namespace: empty title")
	}
	// Create first: one request when the title is new. The list below is
	// read only when the create did not clearly succeed.
	var created backend.Namespace
	err := k.s.call(ctx, "kv create namespace "+strconv.Quote(title), unsafe, func(ctx context.Context) error {
		var params kv.NamespaceNewParams
		present(&params.AccountID, k.s.cfg.AccountID)
		present(&params.Title, title)
		res, err := k.s.ns.New(ctx, params)
		if err != nil {
			return describe(err)
		}
		created = backend.Namespace{ID: res.ID, Title: res.Title}
		return nil
	})
	if err == nil {
		return created, nil
	}
	// The namespace may exist anyway: it already had this title (Cloudflare
	// refuses the duplicate with code 10014), this request created it before
	// its answer was lost, or someone else created it meanwhile.
	if again, lerr := k.Namespaces(ctx); lerr == nil {
		if n, ok := findTitle(again, title); ok {
			return n, nil
		}
	}
	return backend.Namespace{}, err
}
