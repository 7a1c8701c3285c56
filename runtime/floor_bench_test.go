package runtime_test

// The raw dual-write floor of Save: what a write of the same object and
// row costs on the same driver and files with the least SQL, and the steps
// from it to the runtime, each a sub-benchmark of one benchmark so their
// ratios compare like with like. Run:
//
//	go test -run '^$' -bench 'SaveFloor' -benchtime 3000x -count 3 ./runtime
//
//   - floor: a plain INSERT of the KV object into a (key, value) table and
//     a plain INSERT of the 10-column row into a table without indexes;
//   - upsert: the same two tables written with INSERT ... ON CONFLICT DO
//     UPDATE, which makes a write safe to replay (backend.Stmt.Idempotent);
//   - upsert+kv-columns-*: the KV entries' columns (namespace, key, value,
//     metadata, expiration) without the foreign key, WITHOUT ROWID as the
//     local KV keeps them and in a rowid table;
//   - layout: the local KV's entries table (namespace, key, metadata,
//     expiration) and the model's table with its two indexes, still by
//     hand: the baseline of BenchmarkSave;
//   - runtime: Record.Save (validation, defaults, hooks, logging, metering).

import (
	"testing"
	"time"
)

func BenchmarkSaveFloor(b *testing.B) {
	re, be := newBench(b), newBench(b)
	u := re.ds.Auth("user_1")
	for _, ddl := range []struct {
		db  string
		sql string
	}{
		{"kv", `CREATE TABLE floor_kv (key TEXT PRIMARY KEY, value BLOB)`},
		{"d1", `CREATE TABLE floor_d1 (` + d1Cols + `, PRIMARY KEY ("page_id"))`},
		{"kv", `CREATE TABLE floor_kv_norowid (ns TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, metadata BLOB, expiration INTEGER, PRIMARY KEY (ns, key)) WITHOUT ROWID`},
		{"kv", `CREATE TABLE floor_kv_rowid (ns TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, metadata BLOB, expiration INTEGER, UNIQUE (ns, key))`},
	} {
		db := be.kv
		if ddl.db == "d1" {
			db = be.d1
		}
		if _, err := db.Exec(ddl.sql); err != nil {
			b.Fatal(err)
		}
	}
	floorKV := mustPrepare(b, be.kv, `INSERT INTO floor_kv (key, value) VALUES (?, ?)`)
	floorD1 := mustPrepare(b, be.d1, `INSERT INTO floor_d1 (`+d1Cols+`) VALUES `+row10)
	upKV := mustPrepare(b, be.kv, `INSERT INTO floor_kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
	upD1 := mustPrepare(b, be.d1, `INSERT INTO floor_d1 (`+d1Cols+`) VALUES `+row10+` ON CONFLICT ("page_id") DO UPDATE SET "project_id" = excluded."project_id", "url" = excluded."url", "title" = excluded."title", "status" = excluded."status", "last_processed" = excluded."last_processed", "user_id" = excluded."user_id", "created_at" = excluded."created_at", "updated_at" = excluded."updated_at", "deleted_at" = excluded."deleted_at"`)
	upNoRowid := mustPrepare(b, be.kv, `INSERT INTO floor_kv_norowid (ns, key, value, metadata, expiration) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, metadata = excluded.metadata, expiration = excluded.expiration`)
	upRowid := mustPrepare(b, be.kv, `INSERT INTO floor_kv_rowid (ns, key, value, metadata, expiration) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, metadata = excluded.metadata, expiration = excluded.expiration`)
	put := mustPrepare(b, be.kv, kvPutSQL)
	up := mustPrepare(b, be.d1, d1Upsert+row10+d1Tail)

	write := func(kv, d1 func(key string, val []byte, row []any) error) func(int) {
		return func(i int) {
			id, val, row := handRecord(benchData(i), "user_1", time.Now())
			if err := kv("page:"+id, val, row); err != nil {
				b.Fatal(err)
			}
			if err := d1("", nil, row); err != nil {
				b.Fatal(err)
			}
		}
	}
	variants := []struct {
		name string
		run  func(int)
	}{
		{"floor", write(
			func(k string, v []byte, _ []any) error { _, err := floorKV.Exec(k, v); return err },
			func(_ string, _ []byte, r []any) error { _, err := floorD1.Exec(r...); return err })},
		{"upsert", write(
			func(k string, v []byte, _ []any) error { _, err := upKV.Exec(k, v); return err },
			func(_ string, _ []byte, r []any) error { _, err := upD1.Exec(r...); return err })},
		// The KV entries' columns without the namespace foreign key, as
		// the local KV keeps them (WITHOUT ROWID) and in a rowid table.
		{"upsert+kv-columns-without-rowid", write(
			func(k string, v []byte, _ []any) error { _, err := upNoRowid.Exec(be.ns, k, v, nil, nil); return err },
			func(_ string, _ []byte, r []any) error { _, err := upD1.Exec(r...); return err })},
		{"upsert+kv-columns-rowid", write(
			func(k string, v []byte, _ []any) error { _, err := upRowid.Exec(be.ns, k, v, nil, nil); return err },
			func(_ string, _ []byte, r []any) error { _, err := upD1.Exec(r...); return err })},
		{"layout", write(
			func(k string, v []byte, _ []any) error { _, err := put.Exec(be.ns, k, v, nil, nil); return err },
			func(_ string, _ []byte, r []any) error { _, err := up.Exec(r...); return err })},
		{"runtime", func(i int) {
			r := u.New("PAGE")
			r.SetAll(benchData(i))
			if err := r.Save(re.ctx); err != nil {
				b.Fatal(err)
			}
		}},
	}
	fns := make([]func(int), len(variants))
	for i, v := range variants {
		fns[i] = v.run
	}
	warmUp(b, 300, fns...)
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime()
			for i := 0; b.Loop(); i++ {
				v.run(i)
			}
			reportCPU(b, cpu0)
		})
	}
}
