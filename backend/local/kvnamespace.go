package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/dmplan/dmplan/backend"
)

// Namespaces lists every namespace, by title.
func (k *KV) Namespaces(ctx context.Context) ([]backend.Namespace, error) {
	rows, err := k.db.QueryContext(ctx, `SELECT id, title FROM namespaces ORDER BY title`)
	if err != nil {
		return nil, fmt.Errorf("list namespaces: %w", err)
	}
	defer rows.Close()
	out := []backend.Namespace{}
	for rows.Next() {
		var ns backend.Namespace
		if err := rows.Scan(&ns.ID, &ns.Title); err != nil {
			return nil, fmt.Errorf("list namespaces: %w", err)
		}
		k.known.Store(ns.ID, struct{}{})
		out = append(out, ns)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list namespaces: %w", err)
	}
	return out, nil
}

// CreateNamespace creates a namespace with a generated id (32 hex digits,
// like Cloudflare's), or returns the one that already has the title.
func (k *KV) CreateNamespace(ctx context.Context, title string) (backend.Namespace, error) {
	if strings.TrimSpace(title) == "" {
		return backend.Namespace{}, errors.New("create namespace: empty title")
	}
	id := strings.ReplaceAll(uuid.NewString(), "-", "")
	k.writeMu.Lock()
	_, err := k.db.ExecContext(ctx, `INSERT INTO namespaces (id, title, created_at) VALUES (?, ?, ?) ON CONFLICT (title) DO NOTHING`,
		id, title, k.now().UTC().Format(time.RFC3339Nano))
	k.writeMu.Unlock()
	if err != nil {
		return backend.Namespace{}, fmt.Errorf("create namespace %s: %w", title, err)
	}
	ns := backend.Namespace{Title: title}
	if err := k.db.QueryRowContext(ctx, `SELECT id FROM namespaces WHERE title = ?`, title).Scan(&ns.ID); err != nil {
		return backend.Namespace{}, fmt.Errorf("create namespace %s: %w", title, err)
	}
	k.known.Store(ns.ID, struct{}{})
	return ns, nil
}

// checkNamespace returns an error wrapping backend.ErrNamespaceNotFound
// unless the namespace id exists. Known ids are remembered: namespaces are
// never deleted.
func (k *KV) checkNamespace(ctx context.Context, ns string) error {
	if _, ok := k.known.Load(ns); ok {
		return nil
	}
	var one int
	err := k.db.QueryRowContext(ctx, `SELECT 1 FROM namespaces WHERE id = ?`, ns).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("namespace %q: %w", ns, backend.ErrNamespaceNotFound)
	}
	if err != nil {
		return fmt.Errorf("namespace %q: %w", ns, err)
	}
	k.known.Store(ns, struct{}{})
	return nil
}
