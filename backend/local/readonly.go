package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"
)

// OpenReadOnly opens the store in dir for reading and writes nothing to
// dir: no file is created, switched to WAL or migrated, and every write
// fails. dmplan plan, show and history use it, since looking at a target
// must not change it. dir/d1.sqlite must exist (the error then wraps
// os.ErrNotExist); a missing dir/kv.sqlite, or one without the KV tables,
// reads as a KV with no namespaces.
//
// SQLite keeps the -wal and -shm files of a WAL database only while a
// connection is open: a reader creates them when they are missing and
// removes them when it closes, as it must to see a concurrent writer's
// commits. The database files themselves are left as they were.
func OpenReadOnly(ctx context.Context, dir string, opts ...Option) (*Store, error) {
	cfg := newConfig(opts)
	d1Path := filepath.Join(dir, D1File)
	if _, err := os.Stat(d1Path); err != nil {
		return nil, fmt.Errorf("open %s: %w", d1Path, err)
	}
	sqlDB, err := openReader(ctx, d1Path, cfg)
	if err != nil {
		return nil, err
	}
	kvDB, err := openKVReader(ctx, filepath.Join(dir, KVFile), cfg)
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	return newStore(ctx, "local "+d1Path, sqlDB, kvDB, cfg)
}

// OpenReadOnlyOrEmpty is OpenReadOnly for a target that may not exist
// yet, or only in part: a missing dir/d1.sqlite reads as an empty D1 (in
// memory), a missing dir/kv.sqlite as a KV with no namespaces. It writes
// nothing to dir either. A D1 file lost while the KV file is kept is read
// as that: tables to create, and the namespaces and objects KV holds.
func OpenReadOnlyOrEmpty(ctx context.Context, dir string, opts ...Option) (*Store, error) {
	d1Path := filepath.Join(dir, D1File)
	if _, err := os.Stat(d1Path); err == nil {
		return OpenReadOnly(ctx, dir, opts...)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("open %s: %w", d1Path, err)
	}
	cfg := newConfig(opts)
	sqlDB, err := openMemory()
	if err != nil {
		return nil, err
	}
	kvDB, err := openKVReader(ctx, filepath.Join(dir, KVFile), cfg)
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	return newStore(ctx, "local "+d1Path, sqlDB, kvDB, cfg)
}

// readerDSN opens an existing file for queries only: PRAGMA query_only
// makes every write fail, and transactions are deferred so none takes the
// write lock. mode is rw or ro: a read-write connection removes the -wal
// and -shm files it created when it closes; a read-only one cannot, so it
// is used only when the file cannot be opened for writing.
func readerDSN(path, mode string, busyTimeout time.Duration) string {
	q := url.Values{}
	q.Set("mode", mode)
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "query_only(1)")
	q.Add("_pragma", "foreign_keys(1)")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// openReader opens path with readerDSN and checks that it can be read.
func openReader(ctx context.Context, path string, cfg config) (*sql.DB, error) {
	var firstErr error
	for _, mode := range []string{"rw", "ro"} {
		db, err := sql.Open("sqlite", readerDSN(path, mode, cfg.busyTimeout))
		if err == nil {
			n := max(4, runtime.GOMAXPROCS(0))
			db.SetMaxOpenConns(n)
			db.SetMaxIdleConns(n)
			db.SetConnMaxIdleTime(0)
			var one int
			if err = db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&one); err == nil {
				return db, nil
			}
			db.Close()
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, fmt.Errorf("open %s for reading: %w", path, firstErr)
}

// openKVReader opens the KV file for reading, or an empty in-memory KV
// database when the file does not exist or holds no KV tables yet.
func openKVReader(ctx context.Context, path string, cfg config) (*sql.DB, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return openMemory()
	}
	db, err := openReader(ctx, path, cfg)
	if err != nil {
		return nil, err
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('namespaces', 'entries')").Scan(&n); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	if n < 2 {
		db.Close()
		return openMemory()
	}
	return db, nil
}
