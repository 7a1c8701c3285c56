package backend_test

import (
	"context"
	"fmt"
	"log"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
)

func ExampleInspect() {
	ctx := context.Background()
	store, err := local.OpenMemory(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	_, err = store.D1().Batch(ctx, []backend.Stmt{
		{SQL: `CREATE TABLE page_meta (page_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, status TEXT DEFAULT 'pending')`},
		{SQL: `CREATE INDEX by_project ON page_meta (project_id, status)`},
		{SQL: `CREATE TABLE d1_migrations (id INTEGER PRIMARY KEY)`}, // wrangler's: ignored
	})
	if err != nil {
		log.Fatal(err)
	}
	schema, err := backend.Inspect(ctx, store.D1(), store.KV())
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range schema.Tables {
		fmt.Println("table", t.Name)
		for _, c := range t.Columns {
			fmt.Printf("  %s %s notnull=%v default=%q pk=%v\n", c.Name, c.Type, c.NotNull, c.Default, c.PK)
		}
		for _, ix := range t.Indexes {
			fmt.Println("  index", ix.Name, ix.Columns)
		}
	}
	// Output:
	// table page_meta
	//   page_id TEXT notnull=false default="" pk=true
	//   project_id TEXT notnull=true default="" pk=false
	//   status TEXT notnull=false default="'pending'" pk=false
	//   index by_project [project_id status]
}
