package runtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

// The spec's PAGE model.
const pageHCL = `
model "PAGE" {
  primary_key = "page_id"
  field "project_id" {
    type     = string
    required = true
  }
  field "url" {
    type       = string
    required   = true
    validation = "url"
  }
  field "title" { type = string }
  field "status" {
    type       = string
    default    = "pending"
    validation = ["pending", "processing", "completed", "failed"]
  }
  field "content" { type = text }
  field "extracted_data" { type = json }
  field "last_processed" { type = timestamp }
  kv {
    namespace   = "PAGES"
    key_pattern = "page:{id}"
  }
  d1 {
    table       = "page_meta"
    sync_fields = ["project_id", "url", "title", "status", "last_processed"]
  }
}
`

// openExample loads the PAGE model, applies it to a fresh local store (what
// `dmplan apply` does) and opens a Datastore on it.
func openExample(opts ...runtime.Option) (*runtime.Datastore, func()) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "dmplan-example")
	if err != nil {
		log.Fatal(err)
	}
	spec, diags := hclspec.LoadSources("nimbus", map[string][]byte{"page.dm.hcl": []byte(pageHCL)})
	if diags.HasErrors() {
		log.Fatal(diags)
	}
	store, err := local.Open(ctx, dir)
	if err != nil {
		log.Fatal(err)
	}
	live, err := backend.Inspect(ctx, store.D1(), store.KV())
	if err != nil {
		log.Fatal(err)
	}
	if _, err := applier.Apply(ctx, store, planner.Diff(spec, "local", live), applier.Options{}); err != nil {
		log.Fatal(err)
	}
	ds, err := runtime.Open(ctx, spec, store, opts...)
	if err != nil {
		log.Fatal(err)
	}
	return ds, func() { store.Close(); os.RemoveAll(dir) }
}

// Example is the spec's Basic Usage in Go.
func Example() {
	ctx := context.Background()
	datastore, done := openExample()
	defer done()

	userID := "user_42"
	authDatastore := datastore.Auth(userID)

	// Set data (the id is generated: a UUID v4).
	page := authDatastore.New("PAGE")
	page.SetAll(map[string]any{
		"title":      "My Page",
		"url":        "https://example.com",
		"content":    "<html>...</html>",
		"status":     "pending",
		"project_id": "proj_123",
		"user_id":    userID,
	})

	// Save: KV first, then D1.
	if err := page.Save(ctx); err != nil {
		log.Fatal(err)
	}

	// Get by id (another user's record would be runtime.ErrNotFound).
	existingPage, err := authDatastore.Get(ctx, "PAGE", page.ID())
	if err != nil {
		log.Fatal(err)
	}

	// Update.
	existingPage.Set("status", "completed")
	if err := existingPage.Save(ctx); err != nil {
		log.Fatal(err)
	}

	// Query D1 (filtered to the user, deleted records excluded).
	pages, err := authDatastore.Query("PAGE").
		Where("project_id", "proj_123").
		Where("status", "completed").
		List(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pages.Pagination.Total, pages.Data[0]["title"], pages.Data[0]["status"])

	_, err = datastore.Auth("someone_else").Get(ctx, "PAGE", page.ID())
	fmt.Println(errors.Is(err, runtime.ErrNotFound))
	// Output:
	// 1 My Page completed
	// true
}

// Pages come with their total from one D1 statement.
func ExampleQuery_List() {
	ctx := context.Background()
	datastore, done := openExample()
	defer done()
	user := datastore.Auth("user_42")

	data := make([]map[string]any, 156)
	for i := range data {
		data[i] = map[string]any{"project_id": "proj_123", "url": "https://example.com", "title": fmt.Sprintf("page %03d", i)}
	}
	if _, err := user.CreateMany(ctx, "PAGE", data); err != nil {
		log.Fatal(err)
	}

	res, err := user.Query("PAGE").
		Where("project_id", "proj_123").
		OrderBy("title", runtime.Asc).
		Limit(20).
		Offset(40).
		List(ctx)
	if err != nil {
		log.Fatal(err)
	}
	p, _ := json.Marshal(res.Pagination)
	fmt.Println(string(p))
	fmt.Println(len(res.Data), res.Data[0]["title"])
	// Output:
	// {"total":156,"limit":20,"offset":40,"page":3,"pages":8,"hasNext":true,"hasPrev":true}
	// 20 page 040
}

// Cursor pages read only their own rows at any depth: pass "" for the
// first page, then each page's NextCursor until it is empty. No total is
// counted unless Total asks for one.
func ExampleQuery_After() {
	ctx := context.Background()
	datastore, done := openExample()
	defer done()
	user := datastore.Auth("user_42")

	data := make([]map[string]any, 45)
	for i := range data {
		data[i] = map[string]any{"project_id": "proj_123", "url": "https://example.com", "title": fmt.Sprintf("page %03d", i)}
	}
	if _, err := user.CreateMany(ctx, "PAGE", data); err != nil {
		log.Fatal(err)
	}

	cursor := ""
	for {
		res, err := user.Query("PAGE").
			Where("project_id", "proj_123").
			OrderBy("title", runtime.Desc).
			Limit(20).
			After(cursor).
			List(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(len(res.Data), res.Data[0]["title"], res.Pagination.HasNext)
		if cursor = res.Pagination.NextCursor; cursor == "" {
			break
		}
	}
	// Output:
	// 20 page 044 true
	// 20 page 024 true
	// 5 page 004 false
}

// Hooks run around writes: after_update receives the changed fields.
func ExampleDatastore_Hook() {
	ctx := context.Background()
	datastore, done := openExample()
	defer done()

	err := datastore.Hook("PAGE", hclspec.AfterUpdate, func(ctx context.Context, ev *runtime.Event) error {
		if ev.Changes["status"] == "completed" {
			fmt.Println("page completed:", ev.Data["url"])
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	err = datastore.Hook("PAGE", hclspec.BeforeDelete, func(ctx context.Context, ev *runtime.Event) error {
		if ev.Old["status"] == "processing" {
			return errors.New("page is being processed")
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}

	user := datastore.Auth("user_42")
	page, err := user.Create(ctx, "PAGE", map[string]any{"project_id": "proj_123", "url": "https://example.com"})
	if err != nil {
		log.Fatal(err)
	}
	page.Set("status", "completed")
	if err := page.Save(ctx); err != nil {
		log.Fatal(err)
	}
	page.Set("status", "processing")
	if err := page.Save(ctx); err != nil {
		log.Fatal(err)
	}
	err = page.Delete(ctx)
	fmt.Println(errors.Is(err, runtime.ErrRejected))
	// Output:
	// page completed: https://example.com
	// true
}

// Deletes are soft: the record stays in KV and D1 with deleted_at set.
func ExampleRecord_Delete() {
	ctx := context.Background()
	datastore, done := openExample()
	defer done()
	user := datastore.Auth("user_42")

	page, err := user.Create(ctx, "PAGE", map[string]any{"project_id": "proj_123", "url": "https://example.com"})
	if err != nil {
		log.Fatal(err)
	}
	if err := page.Delete(ctx); err != nil {
		log.Fatal(err)
	}
	count := func(q *runtime.Query) int64 {
		n, err := q.Count(ctx)
		if err != nil {
			log.Fatal(err)
		}
		return n
	}
	fmt.Println(count(user.Query("PAGE")), count(user.Query("PAGE").IncludeDeleted()), count(user.Query("PAGE").OnlyDeleted()))

	if err := page.Restore(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println(count(user.Query("PAGE")), page.IsDeleted())
	// Output:
	// 0 1 1
	// 1 false
}

// An invalid record is refused with every failing field at once.
func ExampleValidationError() {
	ctx := context.Background()
	datastore, done := openExample()
	defer done()

	_, err := datastore.Auth("user_42").Create(ctx, "PAGE", map[string]any{"url": "not a url", "status": "done"})
	var ve *runtime.ValidationError
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			fmt.Printf("%s: %s\n", f.Field, f.Message)
		}
	}
	fmt.Println(errors.Is(err, runtime.ErrInvalid))
	// Output:
	// project_id: is required
	// url: must be a valid url
	// status: must be one of pending, processing, completed, failed
	// true
}
