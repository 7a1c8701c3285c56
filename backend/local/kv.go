package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/dmplan/dmplan/backend"
)

var _ backend.KV = (*KV)(nil)

// kvChunk is how many keys one local bulk statement binds: well under
// SQLite's variable limit, and bigger than KV's 100 because a local round
// trip is cheap. It is a power of two, see getManyStmt.
const kvChunk = 512

const kvSchema = `
CREATE TABLE IF NOT EXISTS namespaces (
	id         TEXT PRIMARY KEY,
	title      TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
	ns         TEXT NOT NULL REFERENCES namespaces(id),
	key        TEXT NOT NULL,
	value      BLOB NOT NULL,
	metadata   BLOB,
	expiration INTEGER,
	PRIMARY KEY (ns, key)
) WITHOUT ROWID;
`

// Visibility condition: a key with an expiration at or before now is gone.
const visible = `(expiration IS NULL OR expiration > ?)`

// KV is the local Workers KV: one SQLite file holding namespaces and
// entries. Keys list in byte order; expired keys are invisible and purged
// when the store opens.
type KV struct {
	db  *sql.DB
	now func() time.Time

	writeMu sync.Mutex
	known   sync.Map // namespace id -> struct{}, ids seen to exist

	getStmt, putStmt, deleteStmt *sql.Stmt
	getMany                      sync.Map // bucket size -> *sql.Stmt
}

func newKV(ctx context.Context, db *sql.DB, now func() time.Time) (*KV, error) {
	if _, err := db.ExecContext(ctx, kvSchema); err != nil {
		return nil, fmt.Errorf("create kv schema: %w", err)
	}
	k := &KV{db: db, now: now}
	var err error
	if k.getStmt, err = db.PrepareContext(ctx, `SELECT value, metadata, expiration FROM entries WHERE ns = ? AND key = ? AND `+visible); err != nil {
		return nil, fmt.Errorf("prepare kv get: %w", err)
	}
	if k.putStmt, err = db.PrepareContext(ctx, `INSERT INTO entries (ns, key, value, metadata, expiration) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, metadata = excluded.metadata, expiration = excluded.expiration`); err != nil {
		return nil, fmt.Errorf("prepare kv put: %w", err)
	}
	if k.deleteStmt, err = db.PrepareContext(ctx, `DELETE FROM entries WHERE ns = ? AND key = ?`); err != nil {
		return nil, fmt.Errorf("prepare kv delete: %w", err)
	}
	k.writeMu.Lock()
	_, err = db.ExecContext(ctx, `DELETE FROM entries WHERE expiration IS NOT NULL AND expiration <= ?`, now().Unix())
	k.writeMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("purge expired kv keys: %w", err)
	}
	return k, nil
}

func (k *KV) close() error {
	for _, s := range []*sql.Stmt{k.getStmt, k.putStmt, k.deleteStmt} {
		if s != nil {
			s.Close()
		}
	}
	k.getMany.Range(func(_, v any) bool {
		v.(*sql.Stmt).Close()
		return true
	})
	return k.db.Close()
}

// Get returns the entry, or an error wrapping backend.ErrKeyNotFound.
func (k *KV) Get(ctx context.Context, ns, key string) (backend.Entry, error) {
	if err := checkKey(key); err != nil {
		return backend.Entry{}, err
	}
	var (
		e   = backend.Entry{Key: key}
		exp sql.NullInt64
	)
	err := k.getStmt.QueryRowContext(ctx, ns, key, k.now().Unix()).Scan(&e.Value, &e.Metadata, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		if err := k.checkNamespace(ctx, ns); err != nil {
			return backend.Entry{}, err
		}
		return backend.Entry{}, fmt.Errorf("get %q: %w", key, backend.ErrKeyNotFound)
	}
	if err != nil {
		return backend.Entry{}, fmt.Errorf("get %q: %w", key, err)
	}
	if e.Value == nil {
		e.Value = []byte{}
	}
	if exp.Valid {
		e.Expiration = time.Unix(exp.Int64, 0).UTC()
	}
	return e, nil
}

// GetMany returns the values of the keys that exist, in chunks of kvChunk
// keys per statement.
func (k *KV) GetMany(ctx context.Context, ns string, keys []string) (map[string][]byte, error) {
	for _, key := range keys {
		if err := checkKey(key); err != nil {
			return nil, err
		}
	}
	if err := k.checkNamespace(ctx, ns); err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(keys))
	now := k.now().Unix()
	for start := 0; start < len(keys); start += kvChunk {
		chunk := keys[start:min(start+kvChunk, len(keys))]
		stmt, size, err := k.getManyStmt(ctx, len(chunk))
		if err != nil {
			return nil, err
		}
		args := make([]any, 0, size+2)
		args = append(args, ns, now)
		for _, key := range chunk {
			args = append(args, key)
		}
		for len(args) < size+2 {
			args = append(args, chunk[len(chunk)-1]) // pad: a repeated key is harmless in IN
		}
		rows, err := stmt.QueryContext(ctx, args...)
		if err != nil {
			return nil, fmt.Errorf("get %d keys: %w", len(chunk), err)
		}
		for rows.Next() {
			var (
				key   string
				value []byte
			)
			if err := rows.Scan(&key, &value); err != nil {
				rows.Close()
				return nil, fmt.Errorf("get %d keys: %w", len(chunk), err)
			}
			if value == nil {
				value = []byte{}
			}
			out[key] = value
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("get %d keys: %w", len(chunk), err)
		}
	}
	return out, nil
}

// getManyStmt returns the prepared bulk read for n keys, rounded up to a
// power of two so a handful of statements serve every size.
func (k *KV) getManyStmt(ctx context.Context, n int) (*sql.Stmt, int, error) {
	size := 1
	for size < n {
		size *= 2
	}
	if v, ok := k.getMany.Load(size); ok {
		return v.(*sql.Stmt), size, nil
	}
	q := `SELECT key, value FROM entries WHERE ns = ? AND ` + visible + ` AND key IN (` + placeholders(size) + `)`
	stmt, err := k.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, 0, fmt.Errorf("prepare kv get of %d keys: %w", size, err)
	}
	if v, loaded := k.getMany.LoadOrStore(size, stmt); loaded {
		stmt.Close()
		return v.(*sql.Stmt), size, nil
	}
	return stmt, size, nil
}

// Put writes one entry after checking the key, value, metadata and
// expiration against KV's limits.
func (k *KV) Put(ctx context.Context, ns string, e backend.Entry) error {
	return k.PutMany(ctx, ns, []backend.Entry{e})
}

// PutMany writes entries, one transaction per backend.MaxBulkPut entries
// (or backend.MaxBulkPutBytes). Every entry is checked before any is
// written.
func (k *KV) PutMany(ctx context.Context, ns string, es []backend.Entry) error {
	now := k.now()
	for _, e := range es {
		if err := checkEntry(e, now); err != nil {
			return err
		}
	}
	if err := k.checkNamespace(ctx, ns); err != nil {
		return err
	}
	for start := 0; start < len(es); {
		end, size := start, 0
		for end < len(es) && end-start < backend.MaxBulkPut {
			n := len(es[end].Key) + len(es[end].Value) + len(es[end].Metadata)
			if end > start && size+n > backend.MaxBulkPutBytes {
				break
			}
			size += n
			end++
		}
		if err := k.putChunk(ctx, ns, es[start:end]); err != nil {
			return err
		}
		start = end
	}
	return nil
}

func (k *KV) putChunk(ctx context.Context, ns string, es []backend.Entry) error {
	k.writeMu.Lock()
	defer k.writeMu.Unlock()
	if len(es) == 1 {
		if _, err := k.putStmt.ExecContext(ctx, entryArgs(ns, es[0])...); err != nil {
			return fmt.Errorf("put %q: %w", es[0].Key, err)
		}
		return nil
	}
	tx, err := k.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("put %d keys: %w", len(es), err)
	}
	defer tx.Rollback()
	stmt := tx.StmtContext(ctx, k.putStmt)
	defer stmt.Close()
	for _, e := range es {
		if _, err := stmt.ExecContext(ctx, entryArgs(ns, e)...); err != nil {
			return fmt.Errorf("put %q: %w", e.Key, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("put %d keys: %w", len(es), err)
	}
	return nil
}

func entryArgs(ns string, e backend.Entry) []any {
	var md, exp any
	if e.Metadata != nil {
		md = e.Metadata
	}
	if !e.Expiration.IsZero() {
		exp = e.Expiration.Unix()
	}
	value := e.Value
	if value == nil {
		value = []byte{}
	}
	return []any{ns, e.Key, value, md, exp}
}

// Delete removes a key; a missing key is not an error.
func (k *KV) Delete(ctx context.Context, ns, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := k.checkNamespace(ctx, ns); err != nil {
		return err
	}
	k.writeMu.Lock()
	defer k.writeMu.Unlock()
	if _, err := k.deleteStmt.ExecContext(ctx, ns, key); err != nil {
		return fmt.Errorf("delete %q: %w", key, err)
	}
	return nil
}

// DeleteMany removes keys, kvChunk keys per statement, all in one
// transaction.
func (k *KV) DeleteMany(ctx context.Context, ns string, keys []string) error {
	for _, key := range keys {
		if err := checkKey(key); err != nil {
			return err
		}
	}
	if err := k.checkNamespace(ctx, ns); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	k.writeMu.Lock()
	defer k.writeMu.Unlock()
	tx, err := k.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete %d keys: %w", len(keys), err)
	}
	defer tx.Rollback()
	for start := 0; start < len(keys); start += kvChunk {
		chunk := keys[start:min(start+kvChunk, len(keys))]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, ns)
		for _, key := range chunk {
			args = append(args, key)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM entries WHERE ns = ? AND key IN (`+placeholders(len(chunk))+`)`, args...); err != nil {
			return fmt.Errorf("delete %d keys: %w", len(chunk), err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete %d keys: %w", len(keys), err)
	}
	return nil
}

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

// checkKey applies KV's key rules: not empty, not "." or "..", at most
// backend.MaxKeyBytes bytes.
func checkKey(key string) error {
	switch key {
	case "", ".", "..":
		return fmt.Errorf("key %q: %w", key, backend.ErrInvalidKey)
	}
	if len(key) > backend.MaxKeyBytes {
		return fmt.Errorf("key of %d bytes (limit %d): %w", len(key), backend.MaxKeyBytes, backend.ErrTooLarge)
	}
	return nil
}

// checkEntry applies KV's limits to an entry before it is written.
func checkEntry(e backend.Entry, now time.Time) error {
	if err := checkKey(e.Key); err != nil {
		return err
	}
	if len(e.Value) > backend.MaxValueBytes {
		return fmt.Errorf("value of %q holds %d bytes (limit %d): %w", e.Key, len(e.Value), backend.MaxValueBytes, backend.ErrTooLarge)
	}
	if len(e.Metadata) > backend.MaxMetadataBytes {
		return fmt.Errorf("metadata of %q holds %d bytes (limit %d): %w", e.Key, len(e.Metadata), backend.MaxMetadataBytes, backend.ErrTooLarge)
	}
	if e.Metadata != nil && !json.Valid(e.Metadata) {
		return fmt.Errorf("metadata of %q is not JSON", e.Key)
	}
	if !e.Expiration.IsZero() && e.Expiration.Before(now.Add(60*time.Second)) {
		return fmt.Errorf("expiration of %q at %s: %w", e.Key, e.Expiration.UTC().Format(time.RFC3339), backend.ErrInvalidExpiration)
	}
	return nil
}

func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}
