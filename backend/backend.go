package backend

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Platform limits shared by every backend. The local backend enforces them
// too, so a model that works locally does not fail on Cloudflare.
const (
	MaxParams         = 100              // bound parameters per D1 statement
	MaxStatementBytes = 100 * 1000       // bytes of SQL text per D1 statement
	MaxRowBytes       = 2 * 1000 * 1000  // bytes per D1 row, string or BLOB
	MaxColumns        = 100              // columns per D1 table
	MaxKeyBytes       = 512              // bytes per KV key
	MaxValueBytes     = 25 * 1024 * 1024 // bytes per KV value
	MaxMetadataBytes  = 1024             // bytes of serialized KV metadata
	MaxBulkPut        = 10000            // pairs per KV bulk write
	MaxBulkPutBytes   = 100 * 1000 * 1000
	MaxBulkGet        = 100   // keys per KV bulk read
	MaxBulkDelete     = 10000 // keys per KV bulk delete
	MaxListLimit      = 1000  // keys per KV list page
)

// Sentinel errors every backend returns (wrapped) so callers can branch with
// errors.Is.
var (
	// ErrKeyNotFound is returned by KV.Get when the key does not exist.
	ErrKeyNotFound = errors.New("backend: key not found")
	// ErrNamespaceNotFound is returned when a KV namespace id is unknown.
	ErrNamespaceNotFound = errors.New("backend: kv namespace not found")
	// ErrTooLarge is returned before any write when a key, value, metadata,
	// statement or row exceeds a platform limit.
	ErrTooLarge = errors.New("backend: over platform limit")
	// ErrInvalidKey is returned for empty keys and the reserved "." and "..".
	ErrInvalidKey = errors.New("backend: invalid kv key")
	// ErrTransactionStatement is returned for BEGIN, COMMIT, ROLLBACK,
	// SAVEPOINT and RELEASE, which D1 rejects; atomicity comes from Batch.
	ErrTransactionStatement = errors.New("backend: transaction statements are not allowed; use a batch")
	// ErrConstraint is wrapped by errors of statements that break a UNIQUE,
	// PRIMARY KEY, NOT NULL, CHECK or FOREIGN KEY constraint.
	ErrConstraint = errors.New("backend: constraint failed")
	// ErrNotAuthorized is returned for SQL that D1 refuses to run
	// (SQLITE_AUTH): table-valued pragma functions such as
	// pragma_table_info(...) in a SELECT, ATTACH and DETACH.
	ErrNotAuthorized = errors.New("backend: not authorized on D1")
	// ErrInvalidExpiration is returned for a KV expiration less than 60
	// seconds in the future, which Workers KV refuses.
	ErrInvalidExpiration = errors.New("backend: kv expiration must be at least 60 seconds ahead")
)

// BatchError reports which statement of a Batch failed. Backends that know
// the failing statement return it (wrapped or as is); nothing in the batch
// took effect.
type BatchError struct {
	Index int // 0-based position in the batch
	Err   error
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("batch statement %d: %v", e.Index+1, e.Err)
}

func (e *BatchError) Unwrap() error { return e.Err }

// Stmt is one SQL statement with positional parameters ("?" or "?NNN").
// Args hold nil, int64, float64, string, []byte or bool (stored as 0/1).
type Stmt struct {
	SQL  string
	Args []any
	// Idempotent says that running the statement twice leaves the same
	// state as running it once: an upsert of fixed values, a delete by
	// key, CREATE ... IF NOT EXISTS. A backend may then send it again
	// after a failure whose outcome it cannot know (an HTTP 5xx, a dropped
	// connection); a batch is replayed only when all its writes are
	// idempotent. Reads are always safe to replay; other writes are sent
	// once and such a failure says the outcome is unknown.
	Idempotent bool
}

// Result is what one statement returned. Values in Rows are nil, int64,
// float64, string or []byte, whatever the backend.
type Result struct {
	Columns []string
	Rows    [][]any
	// Changes is the number of rows the statement inserted, updated or deleted.
	Changes int64
	// LastInsertID is the rowid of the last inserted row, when any.
	LastInsertID int64
	// RowsRead and RowsWritten are D1's billed units for the statement
	// (index rows included): the gateway and the REST backend report D1's
	// meta; the local backend, which cannot reach SQLite's counters,
	// reports the rows returned and the rows changed, a lower bound (see
	// Cost).
	RowsRead, RowsWritten int64
}

// Maps returns the rows as column-name keyed maps.
func (r *Result) Maps() []map[string]any {
	out := make([]map[string]any, len(r.Rows))
	for i, row := range r.Rows {
		m := make(map[string]any, len(r.Columns))
		for j, c := range r.Columns {
			if j < len(row) {
				m[c] = row[j]
			}
		}
		out[i] = m
	}
	return out
}

// D1 is a D1 database: SQLite semantics, no interactive transactions.
type D1 interface {
	// Query runs one statement and returns its rows.
	Query(ctx context.Context, st Stmt) (*Result, error)
	// Batch runs statements atomically, in order, in one round trip: either
	// all take effect or none does. Results are in statement order.
	Batch(ctx context.Context, sts []Stmt) ([]*Result, error)
}

// Entry is one KV pair. Metadata is serialized JSON (at most 1024 bytes) or
// nil. Expiration, when not zero, is the absolute time the key expires.
type Entry struct {
	Key        string
	Value      []byte
	Metadata   []byte
	Expiration time.Time
}

// ListPage is one page of a key listing. Cursor is empty when the listing is
// complete; a page may be empty while Cursor is not.
type ListPage struct {
	Keys   []ListKey
	Cursor string
}

// ListKey is one key of a listing, with its metadata and expiration.
type ListKey struct {
	Name       string
	Metadata   []byte
	Expiration time.Time
}

// Namespace is a KV namespace: its id (what the other KV calls take) and its
// title (what humans and dmplan name it by).
type Namespace struct {
	ID    string
	Title string
}

// KV is Workers KV. Every call takes the namespace id.
type KV interface {
	// Get returns the entry, or an error wrapping ErrKeyNotFound.
	Get(ctx context.Context, ns, key string) (Entry, error)
	// GetMany returns the values of the keys that exist; missing keys are
	// absent from the map. Callers may pass any number of keys; the
	// backend splits them into requests of at most MaxBulkGet.
	GetMany(ctx context.Context, ns string, keys []string) (map[string][]byte, error)
	// Put writes one entry.
	Put(ctx context.Context, ns string, e Entry) error
	// PutMany writes entries; the backend splits them within MaxBulkPut
	// and MaxBulkPutBytes. It is not atomic across requests.
	PutMany(ctx context.Context, ns string, es []Entry) error
	// Delete removes a key; deleting a missing key is not an error.
	Delete(ctx context.Context, ns, key string) error
	// DeleteMany removes keys in bulk.
	DeleteMany(ctx context.Context, ns string, keys []string) error
	// List returns keys with the prefix, in byte order, after cursor, at
	// most limit (0 means MaxListLimit) per page.
	List(ctx context.Context, ns, prefix, cursor string, limit int) (ListPage, error)
	// Namespaces lists every namespace.
	Namespaces(ctx context.Context) ([]Namespace, error)
	// CreateNamespace creates a namespace with the title and returns it.
	// Creating a title that exists returns the existing namespace.
	CreateNamespace(ctx context.Context, title string) (Namespace, error)
}

// Backend is a D1 database and the KV store of the same account.
type Backend interface {
	D1() D1
	KV() KV
	// Describe names the target for humans: "local .dmplan/d1.sqlite",
	// "cloudflare database nimbus". It never holds secrets or account ids.
	Describe() string
	Close() error
}
