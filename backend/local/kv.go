package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

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
// entries. Keys list in byte order; expired keys are invisible, and purged
// from the file by the first write after the store opens (so a read-only
// user such as dmplan plan never takes the write lock or scans entries).
type KV struct {
	db  *sql.DB
	now func() time.Time

	writeMu sync.Mutex
	purged  bool     // expired keys were purged; guarded by writeMu
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
	return k, nil
}

// lockWrites takes the write lock and, on the first write since the store
// opened, purges expired keys.
func (k *KV) lockWrites(ctx context.Context) error {
	k.writeMu.Lock()
	if k.purged {
		return nil
	}
	if _, err := k.db.ExecContext(ctx, `DELETE FROM entries WHERE expiration IS NOT NULL AND expiration <= ?`, k.now().Unix()); err != nil {
		k.writeMu.Unlock()
		return fmt.Errorf("purge expired kv keys: %w", err)
	}
	k.purged = true
	return nil
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
	if err := backend.CheckKey(key); err != nil {
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
		if err := backend.CheckKey(key); err != nil {
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
		if err := backend.CheckEntry(e, now); err != nil {
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
	if err := k.lockWrites(ctx); err != nil {
		return err
	}
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
	if err := backend.CheckKey(key); err != nil {
		return err
	}
	if err := k.checkNamespace(ctx, ns); err != nil {
		return err
	}
	if err := k.lockWrites(ctx); err != nil {
		return err
	}
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
		if err := backend.CheckKey(key); err != nil {
			return err
		}
	}
	if err := k.checkNamespace(ctx, ns); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	if err := k.lockWrites(ctx); err != nil {
		return err
	}
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
