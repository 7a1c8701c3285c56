package local

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend"
)

// The benchmarks compare the Store with hand-written database/sql on the
// same driver, DSN and file: "store" against "database_sql" (plain
// db.QueryRowContext/ExecContext, as most code is written) and
// "database_sql_prepared" (a statement prepared once).

const (
	benchRows   = 1000
	benchSelect = `SELECT page_id, project_id, status, title, updated_at FROM page_meta WHERE page_id = ?`
	benchUpsert = `INSERT INTO page_meta (page_id, project_id, status, title, updated_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (page_id) DO UPDATE SET project_id = excluded.project_id, status = excluded.status, title = excluded.title, updated_at = excluded.updated_at`
)

// benchSetup opens a store with page_meta holding benchRows rows, and a
// plain *sql.DB on the same file.
func benchSetup(b *testing.B) (*Store, *sql.DB) {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	sts := []backend.Stmt{{SQL: `CREATE TABLE page_meta (page_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending', title TEXT, updated_at TEXT)`}}
	for i := range benchRows {
		sts = append(sts, backend.Stmt{SQL: benchUpsert, Args: benchArgs(i)})
	}
	if _, err := s.D1().Batch(ctx, sts); err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("sqlite", DSN(filepath.Join(dir, D1File), 10*time.Second))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return s, db
}

func benchArgs(i int) []any {
	return []any{fmt.Sprintf("page_%04d", i), "proj_1", "pending", fmt.Sprintf("Page %d", i), "2026-11-27T14:50:08.123Z"}
}

func BenchmarkQueryByPK(b *testing.B) {
	s, db := benchSetup(b)
	ctx := context.Background()
	ids := make([]any, benchRows)
	for i := range ids {
		ids[i] = fmt.Sprintf("page_%04d", i)
	}
	b.Run("store", func(b *testing.B) {
		d := s.D1()
		b.ReportAllocs()
		defer reportCPU(b, cpuTime())
		for i := 0; b.Loop(); i++ {
			res, err := d.Query(ctx, backend.Stmt{SQL: benchSelect, Args: []any{ids[i%benchRows]}})
			if err != nil || len(res.Rows) != 1 {
				b.Fatalf("Query: %v", err)
			}
		}
	})
	b.Run("database_sql", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b, cpuTime())
		for i := 0; b.Loop(); i++ {
			var id, project, status, title, updated sql.NullString
			if err := db.QueryRowContext(ctx, benchSelect, ids[i%benchRows]).Scan(&id, &project, &status, &title, &updated); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("database_sql_prepared", func(b *testing.B) {
		stmt, err := db.PrepareContext(ctx, benchSelect)
		if err != nil {
			b.Fatal(err)
		}
		defer stmt.Close()
		b.ReportAllocs()
		defer reportCPU(b, cpuTime())
		for i := 0; b.Loop(); i++ {
			var id, project, status, title, updated sql.NullString
			if err := stmt.QueryRowContext(ctx, ids[i%benchRows]).Scan(&id, &project, &status, &title, &updated); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkUpsert(b *testing.B) {
	s, db := benchSetup(b)
	ctx := context.Background()
	args := make([][]any, benchRows)
	for i := range args {
		args[i] = benchArgs(i)
		args[i][2] = "completed"
	}
	b.Run("store", func(b *testing.B) {
		d := s.D1()
		b.ReportAllocs()
		defer reportCPU(b, cpuTime())
		for i := 0; b.Loop(); i++ {
			res, err := d.Query(ctx, backend.Stmt{SQL: benchUpsert, Args: args[i%benchRows]})
			if err != nil || res.Changes != 1 {
				b.Fatalf("Query: %v", err)
			}
		}
	})
	b.Run("database_sql", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b, cpuTime())
		for i := 0; b.Loop(); i++ {
			if _, err := db.ExecContext(ctx, benchUpsert, args[i%benchRows]...); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("database_sql_prepared", func(b *testing.B) {
		stmt, err := db.PrepareContext(ctx, benchUpsert)
		if err != nil {
			b.Fatal(err)
		}
		defer stmt.Close()
		b.ReportAllocs()
		defer reportCPU(b, cpuTime())
		for i := 0; b.Loop(); i++ {
			if _, err := stmt.ExecContext(ctx, args[i%benchRows]...); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkKV compares a KV Get and Put with the same statements written
// by hand on the KV file.
func BenchmarkKV(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ns, err := s.KV().CreateNamespace(ctx, "PAGES")
	if err != nil {
		b.Fatal(err)
	}
	value := []byte(`{"page_id":"page_0001","title":"Page 1","status":"pending","content":"` + string(make([]byte, 0, 64)) + `"}`)
	if err := s.KV().Put(ctx, ns.ID, backend.Entry{Key: "page:1", Value: value}); err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("sqlite", DSN(filepath.Join(dir, KVFile), 10*time.Second))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.Run("get/store", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b, cpuTime())
		for b.Loop() {
			if _, err := s.KV().Get(ctx, ns.ID, "page:1"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get/database_sql", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b, cpuTime())
		for b.Loop() {
			var v, md []byte
			var exp sql.NullInt64
			if err := db.QueryRowContext(ctx, `SELECT value, metadata, expiration FROM entries WHERE ns = ? AND key = ? AND `+visible, ns.ID, "page:1", time.Now().Unix()).Scan(&v, &md, &exp); err != nil {
				b.Fatal(err)
			}
		}
	})
	var keys []string
	var keyArgs []any
	for i := range 20 {
		k := fmt.Sprintf("page:%d", i)
		if err := s.KV().Put(ctx, ns.ID, backend.Entry{Key: k, Value: value}); err != nil {
			b.Fatal(err)
		}
		keys = append(keys, k)
		keyArgs = append(keyArgs, k)
	}
	b.Run("getmany20/store", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b, cpuTime())
		for b.Loop() {
			if got, err := s.KV().GetMany(ctx, ns.ID, keys); err != nil || len(got) != 20 {
				b.Fatal(err)
			}
		}
	})
	b.Run("getmany20/database_sql", func(b *testing.B) {
		q := `SELECT key, value FROM entries WHERE ns = ? AND ` + visible + ` AND key IN (` + placeholders(len(keys)) + `)`
		b.ReportAllocs()
		defer reportCPU(b, cpuTime())
		for b.Loop() {
			rows, err := db.QueryContext(ctx, q, append([]any{ns.ID, time.Now().Unix()}, keyArgs...)...)
			if err != nil {
				b.Fatal(err)
			}
			got := map[string][]byte{}
			for rows.Next() {
				var k string
				var v []byte
				if err := rows.Scan(&k, &v); err != nil {
					b.Fatal(err)
				}
				got[k] = v
			}
			rows.Close()
			if len(got) != 20 {
				b.Fatal(len(got))
			}
		}
	})
	b.Run("put/store", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b, cpuTime())
		for b.Loop() {
			if err := s.KV().Put(ctx, ns.ID, backend.Entry{Key: "page:1", Value: value}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("put/database_sql", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b, cpuTime())
		for b.Loop() {
			if _, err := db.ExecContext(ctx, `INSERT INTO entries (ns, key, value, metadata, expiration) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, metadata = excluded.metadata, expiration = excluded.expiration`, ns.ID, "page:1", value, nil, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
