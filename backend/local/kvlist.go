package local

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/dmplan/dmplan/backend"
)

// List returns keys with the prefix in byte order, after the cursor, at most
// limit per page (0 or more than backend.MaxListLimit means
// backend.MaxListLimit). The cursor is opaque: the last key of the page,
// base64-encoded; it is empty when the listing is complete.
func (k *KV) List(ctx context.Context, ns, prefix, cursor string, limit int) (backend.ListPage, error) {
	if limit <= 0 || limit > backend.MaxListLimit {
		limit = backend.MaxListLimit
	}
	if err := k.checkNamespace(ctx, ns); err != nil {
		return backend.ListPage{}, err
	}
	after := ""
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil {
			return backend.ListPage{}, fmt.Errorf("list: invalid cursor %q", cursor)
		}
		after = string(b)
	}
	q := `SELECT key, metadata, expiration FROM entries WHERE ns = ? AND ` + visible + ` AND key > ? AND key >= ?`
	args := []any{ns, k.now().Unix(), after, prefix}
	if upper, ok := prefixEnd(prefix); ok {
		q += ` AND key < ?`
		args = append(args, upper)
	}
	q += ` ORDER BY key LIMIT ?`
	args = append(args, limit+1)
	rows, err := k.db.QueryContext(ctx, q, args...)
	if err != nil {
		return backend.ListPage{}, fmt.Errorf("list %q: %w", prefix, err)
	}
	defer rows.Close()
	page := backend.ListPage{Keys: []backend.ListKey{}}
	more := false
	for rows.Next() {
		if len(page.Keys) == limit {
			more = true
			break
		}
		var (
			lk  backend.ListKey
			exp sql.NullInt64
		)
		if err := rows.Scan(&lk.Name, &lk.Metadata, &exp); err != nil {
			return backend.ListPage{}, fmt.Errorf("list %q: %w", prefix, err)
		}
		if exp.Valid {
			lk.Expiration = time.Unix(exp.Int64, 0).UTC()
		}
		page.Keys = append(page.Keys, lk)
	}
	if err := rows.Err(); err != nil {
		return backend.ListPage{}, fmt.Errorf("list %q: %w", prefix, err)
	}
	if more {
		page.Cursor = base64.RawURLEncoding.EncodeToString([]byte(page.Keys[len(page.Keys)-1].Name))
	}
	return page, nil
}

// prefixEnd returns the smallest string greater than every string with the
// prefix, or false when there is none (empty prefix, or all 0xff bytes).
func prefixEnd(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}
