package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/dmplan/dmplan/backend"
)

// File names inside the store directory.
const (
	D1File = "d1.sqlite"
	KVFile = "kv.sqlite"
)

var _ backend.Backend = (*Store)(nil)

// Store is the embedded backend: a D1 database and a KV store, each in its
// own SQLite file. It is safe for many goroutines, and for several processes
// opening the same directory (writers wait on SQLite's busy timeout).
type Store struct {
	desc string
	db   *DB
	kv   *KV
}

// Option configures Open and OpenMemory.
type Option func(*config)

type config struct {
	busyTimeout time.Duration
	now         func() time.Time
}

// WithBusyTimeout sets how long a writer waits for another process holding
// the SQLite write lock (default 10s).
func WithBusyTimeout(d time.Duration) Option {
	return func(c *config) { c.busyTimeout = d }
}

// WithClock sets the clock KV expiration is measured against (default
// time.Now). Tests use it to let keys expire without waiting.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

func newConfig(opts []Option) config {
	c := config{busyTimeout: 10 * time.Second, now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// Open opens (creating when needed) the store in dir: dir/d1.sqlite and
// dir/kv.sqlite.
func Open(ctx context.Context, dir string, opts ...Option) (*Store, error) {
	cfg := newConfig(opts)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create store directory: %w", err)
	}
	d1Path := filepath.Join(dir, D1File)
	sqlDB, err := openFile(d1Path, cfg)
	if err != nil {
		return nil, err
	}
	kvDB, err := openFile(filepath.Join(dir, KVFile), cfg)
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	return newStore(ctx, "local "+d1Path, sqlDB, kvDB, cfg)
}

// OpenMemory opens a store held in memory, gone when closed. Each call gets
// its own databases. It is meant for tests.
func OpenMemory(ctx context.Context, opts ...Option) (*Store, error) {
	cfg := newConfig(opts)
	sqlDB, err := openMemory()
	if err != nil {
		return nil, err
	}
	kvDB, err := openMemory()
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	return newStore(ctx, "local (in memory)", sqlDB, kvDB, cfg)
}

func newStore(ctx context.Context, desc string, sqlDB, kvDB *sql.DB, cfg config) (*Store, error) {
	kv, err := newKV(ctx, kvDB, cfg.now)
	if err != nil {
		sqlDB.Close()
		kvDB.Close()
		return nil, err
	}
	return &Store{desc: desc, db: newDB(sqlDB), kv: kv}, nil
}

// DSN returns the modernc.org/sqlite data source name Open uses for a file:
// WAL journal, a busy timeout, foreign keys on (as D1 has them) and
// BEGIN IMMEDIATE for transactions, so two processes never deadlock on a
// lock upgrade. Benchmarks use it to compare against plain database/sql.
func DSN(path string, busyTimeout time.Duration) string { return dsn(path, busyTimeout, true) }

// dsn is DSN, with the journal_mode pragma only when wal.
func dsn(path string, busyTimeout time.Duration, wal bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busyTimeout.Milliseconds(), 10)+")")
	if wal {
		q.Add("_pragma", "journal_mode(WAL)")
	}
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// openFile opens (creating when needed) one SQLite file in WAL mode. Its
// connections set the busy timeout first and never the journal mode:
// switching a fresh file to WAL needs an exclusive lock for which SQLite
// does not wait, so two processes opening a fresh target at once could
// fail with SQLITE_BUSY. The switch is made once, by switchToWAL, which
// retries it within the busy timeout; the mode then persists in the file.
func openFile(path string, cfg config) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn(path, cfg.busyTimeout, false))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(0)
	if err := switchToWAL(db, cfg.busyTimeout); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// switchToWAL sets journal_mode=WAL, retrying while another connection
// (of this or another process) holds a lock, for at most busyTimeout.
func switchToWAL(db *sql.DB, busyTimeout time.Duration) error {
	deadline := time.Now().Add(busyTimeout)
	wait := time.Millisecond
	for {
		var mode string
		err := db.QueryRow("PRAGMA journal_mode=WAL").Scan(&mode)
		switch {
		case err == nil && strings.EqualFold(mode, "wal"):
			return nil
		case err == nil:
			// SQLite answers with the mode it kept when it could not
			// switch (another connection was using the file).
			err = fmt.Errorf("journal mode is %s, want wal", mode)
		case !isBusy(err):
			return fmt.Errorf("set journal_mode=WAL: %w", err)
		}
		if time.Now().Add(wait).After(deadline) {
			return fmt.Errorf("set journal_mode=WAL: still locked after the %s busy timeout: %w", busyTimeout, err)
		}
		time.Sleep(wait + time.Duration(rand.Int64N(int64(wait))))
		wait = min(2*wait, 50*time.Millisecond)
	}
}

const (
	sqliteBusy   = 5 // SQLITE_BUSY, the primary result code
	sqliteLocked = 6 // SQLITE_LOCKED
)

// isBusy reports whether err is SQLite's "database is locked".
func isBusy(err error) bool {
	var se sqliteError
	if !errors.As(err, &se) {
		return false
	}
	c := se.Code() & 0xff
	return c == sqliteBusy || c == sqliteLocked
}

func openMemory() (*sql.DB, error) {
	// One connection: every connection to ":memory:" is a new database.
	name := "file:" + uuid.NewString() + "?mode=memory&_pragma=foreign_keys(1)"
	db, err := sql.Open("sqlite", name)
	if err != nil {
		return nil, fmt.Errorf("open memory database: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open memory database: %w", err)
	}
	return db, nil
}

// D1 returns the D1 database.
func (s *Store) D1() backend.D1 { return s.db }

// KV returns the KV store.
func (s *Store) KV() backend.KV { return s.kv }

// DB returns the D1 database with its concrete type.
func (s *Store) DB() *DB { return s.db }

// Describe names the store: "local .dmplan/d1.sqlite".
func (s *Store) Describe() string { return s.desc }

// Close closes both databases.
func (s *Store) Close() error {
	return errors.Join(s.db.close(), s.kv.close())
}
