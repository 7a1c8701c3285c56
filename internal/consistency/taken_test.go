package consistency

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/runtime"
)

// TestCreateFindsRow: on both backends, a create with a caller-chosen id
// whose INSERT finds the id's D1 row (KV had no object, so the taken-id
// check passed) sorts out whose row it is. A row equal to the one the
// create writes is the same statement replayed (a retried request): the
// create succeeds. Any other row is another write's: the create is
// ErrConflict, its own object never stays in KV, and KV gets the object
// of the row. Create and CreateMany alike.
func TestCreateFindsRow(t *testing.T) {
	clock := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			ctx := context.Background()
			slow, be, spec := raceBackend(t, k, 0)
			ds, err := runtime.Open(ctx, spec, slow, runtime.WithEnvironment(env), runtime.WithLogger(quiet),
				runtime.WithClock(func() time.Time { return clock }))
			if err != nil {
				t.Fatal(err)
			}
			insert := func(id, email, title string) {
				t.Helper()
				ts := runtime.FormatTime(clock)
				if _, err := be.D1().Query(ctx, backend.Stmt{
					SQL:  `INSERT INTO acct (acct_id, email, title, created_at, updated_at, deleted_at) VALUES (?, ?, ?, ?, ?, NULL)`,
					Args: []any{id, email, title, ts, ts},
				}); err != nil {
					t.Fatal(err)
				}
			}
			// Replayed: the row is the one this create writes.
			insert("same", "same@example.com", "t")
			if _, err := ds.System().Create(ctx, "ACCT", map[string]any{"acct_id": "same", "email": "same@example.com", "title": "t", "note": "n"}); err != nil {
				t.Errorf("create over its own row: %v", err)
			}
			if obj, ok := stored(t, ctx, ds, "same"); !ok || obj["note"] != "n" {
				t.Errorf("same: KV holds %v", obj)
			}
			// Another write's row, for Create and for CreateMany.
			insert("other", "other@example.com", "theirs")
			insert("other2", "other2@example.com", "theirs")
			_, err = ds.System().Create(ctx, "ACCT", map[string]any{"acct_id": "other", "email": "mine@example.com", "title": "mine", "note": "mine"})
			if !errors.Is(err, runtime.ErrConflict) {
				t.Errorf("create over another row: %v", err)
			}
			_, err = ds.System().CreateMany(ctx, "ACCT", []map[string]any{
				{"acct_id": "fresh", "email": "fresh@example.com", "title": "fresh"},
				{"acct_id": "other2", "email": "mine2@example.com", "title": "mine", "note": "mine"},
			})
			if !errors.Is(err, runtime.ErrConflict) {
				t.Errorf("create many over another row: %v", err)
			}
			for _, id := range []string{"other", "other2"} {
				obj, _ := stored(t, ctx, ds, id)
				if r := row(t, ctx, be, id); obj["title"] != "theirs" || obj["note"] != nil || r["title"] != "theirs" {
					t.Errorf("%s: KV holds %v, D1 %v; want the row's write, never the loser's", id, obj, r)
				}
			}
			if obj, ok := stored(t, ctx, ds, "fresh"); !ok || obj["title"] != "fresh" {
				t.Errorf("fresh, created beside the conflict: %v", obj)
			}
		})
	}
}
