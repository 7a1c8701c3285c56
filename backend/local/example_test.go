package local_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
)

func ExampleOpen() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "dmplan-example")
	defer os.RemoveAll(dir)

	store, err := local.Open(ctx, dir) // dir/d1.sqlite and dir/kv.sqlite
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	// D1: one atomic batch, then a query with bound parameters.
	_, err = store.D1().Batch(ctx, []backend.Stmt{
		{SQL: `CREATE TABLE page_meta (page_id TEXT PRIMARY KEY, status TEXT NOT NULL)`},
		{SQL: `INSERT INTO page_meta (page_id, status) VALUES (?, ?), (?, ?)`, Args: []any{"p1", "pending", "p2", "completed"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	res, err := store.D1().Query(ctx, backend.Stmt{SQL: `SELECT page_id FROM page_meta WHERE status = ?`, Args: []any{"completed"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Maps())

	// KV: namespaces are created by title and used by id.
	ns, err := store.KV().CreateNamespace(ctx, "PAGES")
	if err != nil {
		log.Fatal(err)
	}
	if err := store.KV().Put(ctx, ns.ID, backend.Entry{Key: "page:p2", Value: []byte(`{"status":"completed"}`)}); err != nil {
		log.Fatal(err)
	}
	e, err := store.KV().Get(ctx, ns.ID, "page:p2")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(e.Value))
	// Output:
	// [map[page_id:p2]]
	// {"status":"completed"}
}
