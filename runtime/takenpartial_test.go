package runtime_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/faulty"
	"github.com/dmplan/dmplan/runtime"
)

// TestTakenCreateInEarlierBatchThenPartial: a bulk create with chosen ids
// whose first D1 batch found one id taken by another write, and whose
// second batch then failed (a partial write), still gives that id back to
// the other write in KV and says so: KV never keeps a losing create's
// object.
func TestTakenCreateInEarlierBatchThenPartial(t *testing.T) {
	ctx, store, spec, _ := slugStore(t)
	ns := nsIDOf(t, ctx, store, spec, "PROJECT")
	// Another process's create of t00005: its D1 row is there, its KV
	// write not yet visible.
	if _, err := store.D1().Query(ctx, backend.Stmt{SQL: `INSERT INTO projects (project_id, name, slug) VALUES ('t00005', 'theirs', 'theirs')`}); err != nil {
		t.Fatal(err)
	}
	fb := faulty.Wrap(store)
	ds, err := runtime.Open(ctx, spec, fb)
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000 // more than one batch of multi-row INSERTs
	data := make([]map[string]any, n)
	for i := range data {
		data[i] = map[string]any{"project_id": fmt.Sprintf("t%05d", i), "name": "mine", "slug": fmt.Sprintf("s%05d", i)}
	}
	fb.FailNth(faulty.D1Batch, 2)
	_, err = ds.System().CreateMany(ctx, "PROJECT", data)
	if !errors.Is(err, runtime.ErrPartialWrite) || !errors.Is(err, runtime.ErrConflict) {
		t.Errorf("err = %v, want a partial write and the conflict of t00005", err)
	}
	e, err := store.KV().Get(ctx, ns, "project:t00005")
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(e.Value, &obj); err != nil || obj["name"] != "theirs" {
		t.Errorf("KV of t00005 = %s, want the other write's record (from its D1 row)", e.Value)
	}
}
