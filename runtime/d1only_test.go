package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
)

// d1OnlySchema is what another tool (wrangler migrations, drizzle) made:
// an AUTOINCREMENT key, a UNIQUE column, a BLOB, defaults D1 fills
// (CURRENT_TIMESTAMP into a DATETIME column), a composite key WITHOUT
// ROWID, and a text-keyed table with timestamps and soft delete.
var d1OnlySchema = []string{
	`CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, name TEXT,
		avatar BLOB, active BOOLEAN NOT NULL DEFAULT 1, created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP)`,
	`CREATE TABLE memberships (org_id INTEGER NOT NULL, user_id INTEGER NOT NULL, role TEXT NOT NULL DEFAULT 'member',
		PRIMARY KEY (org_id, user_id)) WITHOUT ROWID`,
	`CREATE TABLE notes (slug TEXT PRIMARY KEY, body TEXT, created_at DATETIME, updated_at DATETIME, deleted_at DATETIME)`,
}

// d1OnlySpec declares the models of d1OnlySchema as `dmplan import` does
// (storage = "d1", options off unless the table has them).
func d1OnlySpec() *hclspec.Spec {
	f := func(name string, t hclspec.FieldType, req bool, sql hclspec.ColumnSQL) *hclspec.Field {
		return &hclspec.Field{Name: name, Type: t, Required: req, Synced: true, SQL: sql}
	}
	model := func(name, table string, pks []string, opts hclspec.Options, fields ...*hclspec.Field) *hclspec.Model {
		m := &hclspec.Model{Name: name, PrimaryKey: pks[0], Options: opts, Fields: fields, Storage: hclspec.StorageD1,
			D1: hclspec.D1{Table: table}}
		if len(pks) > 1 {
			m.PrimaryKeys = pks
			m.D1.WithoutRowid = true
		}
		for _, f := range fields {
			m.D1.SyncFields = append(m.D1.SyncFields, f.Name)
			for _, p := range pks {
				f.Primary = f.Primary || f.Name == p
			}
		}
		return m
	}
	return &hclspec.Spec{Project: hclspec.Project{Name: "adopt"}, Models: []*hclspec.Model{
		model("MEMBERSHIP", "memberships", []string{"org_id", "user_id"}, hclspec.Options{},
			f("org_id", hclspec.Integer, true, hclspec.ColumnSQL{}),
			f("user_id", hclspec.Integer, true, hclspec.ColumnSQL{}),
			f("role", hclspec.String, true, hclspec.ColumnSQL{Default: "'member'"})),
		model("NOTE", "notes", []string{"slug"}, hclspec.Options{Timestamps: true, SoftDelete: true},
			f("slug", hclspec.String, true, hclspec.ColumnSQL{}),
			f("body", hclspec.Text, false, hclspec.ColumnSQL{}),
			f("created_at", hclspec.Timestamp, false, hclspec.ColumnSQL{Type: "DATETIME"}),
			f("updated_at", hclspec.Timestamp, false, hclspec.ColumnSQL{Type: "DATETIME"}),
			f("deleted_at", hclspec.Timestamp, false, hclspec.ColumnSQL{Type: "DATETIME"})),
		model("USER", "users", []string{"id"}, hclspec.Options{},
			f("id", hclspec.Integer, true, hclspec.ColumnSQL{Autoincrement: true}),
			f("email", hclspec.String, true, hclspec.ColumnSQL{Unique: true}),
			f("name", hclspec.String, false, hclspec.ColumnSQL{}),
			f("avatar", hclspec.Blob, false, hclspec.ColumnSQL{}),
			f("active", hclspec.Boolean, true, hclspec.ColumnSQL{Type: "BOOLEAN", Default: "1"}),
			f("created_at", hclspec.Timestamp, true, hclspec.ColumnSQL{Type: "DATETIME", Default: "CURRENT_TIMESTAMP"})),
	}}
}

// d1OnlyBackends are the stores the D1-only tests run on: a local SQLite
// directory, and D1 on workerd (the harness) unless -short.
func d1OnlyBackends(t *testing.T) map[string]func(t *testing.T) backend.Backend {
	out := map[string]func(t *testing.T) backend.Backend{
		"local": func(t *testing.T) backend.Backend {
			store, err := local.Open(context.Background(), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { store.Close() })
			return store
		},
	}
	if !testing.Short() {
		out["workerd"] = func(t *testing.T) backend.Backend {
			h := cftest.Shared(t)
			acct := h.NewAccount(t)
			h.NewDatabase(t, acct, "adopt")
			store, err := cloudflare.Open(context.Background(), cloudflare.Config{AccountID: acct, APIToken: h.Token, Database: "adopt",
				BaseURL: h.BaseURL, Getenv: func(string) string { return "" }, Environment: "local", RequestTimeout: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			return store
		}
	}
	return out
}

// openD1Only makes d1OnlySchema on be and opens a Datastore on it behind a
// call counter.
func openD1Only(t *testing.T, be backend.Backend, opts ...runtime.Option) (*runtime.Datastore, *faultBackend) {
	t.Helper()
	ctx := context.Background()
	for _, sql := range d1OnlySchema {
		if _, err := be.D1().Query(ctx, backend.Stmt{SQL: sql}); err != nil {
			t.Fatal(err)
		}
	}
	fb := newFault(be)
	opts = append([]runtime.Option{runtime.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, opts...)
	ds, err := runtime.Open(ctx, d1OnlySpec(), fb, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return ds, fb
}

// calls returns the D1 requests and KV calls counted so far.
func (f *faultBackend) calls() (d1, kv int) {
	f.d1.mu.Lock()
	d1 = f.d1.queries + f.d1.batchs
	f.d1.mu.Unlock()
	f.kv.mu.Lock()
	kv = f.kv.puts + f.kv.putManys + f.kv.gets + f.kv.getManys + f.kv.lists
	f.kv.mu.Unlock()
	return d1, kv
}

// TestD1OnlyCRUD: every operation on D1-only models is D1 requests only
// (no KV call, not even Open's namespace listing), one per operation, and
// the records hold what D1 filled in.
func TestD1OnlyCRUD(t *testing.T) {
	for name, open := range d1OnlyBackends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			ds, fb := openD1Only(t, open(t))
			sys := ds.System()
			// step runs one operation and checks it took want D1 requests.
			step := func(what string, want int, fn func() error) {
				t.Helper()
				d0, k0 := fb.calls()
				if err := fn(); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				d1, k1 := fb.calls()
				if d1-d0 != want || k1 != k0 {
					t.Fatalf("%s: %d D1 requests and %d KV calls, want %d and 0", what, d1-d0, k1-k0, want)
				}
			}
			if _, kv := fb.calls(); kv != 0 {
				t.Fatalf("Open made %d KV calls, want 0", kv)
			}

			// An AUTOINCREMENT key, a DEFAULT 1 and a CURRENT_TIMESTAMP come
			// back from D1 with the create.
			avatar := []byte{0, 1, 2, 0xfe, 0xff}
			var u *runtime.Record
			step("create user", 1, func() (err error) {
				u, err = sys.Create(ctx, "USER", map[string]any{"email": "ada@example.com", "name": "Ada", "avatar": avatar})
				return err
			})
			id, ok := u.Get("id").(int64)
			if !ok || id < 1 || u.ID() != fmt.Sprint(id) {
				t.Fatalf("id = %#v (ID %q), want the int64 D1 assigned", u.Get("id"), u.ID())
			}
			if u.Get("active") != true {
				t.Errorf("active = %#v, want true (the column's DEFAULT 1)", u.Get("active"))
			}
			created, _ := u.Get("created_at").(string)
			if _, err := time.Parse(runtime.TimeFormat, created); err != nil {
				t.Errorf("created_at = %q: D1's CURRENT_TIMESTAMP should read as a runtime timestamp: %v", created, err)
			}
			if !bytes.Equal(u.Get("avatar").([]byte), avatar) {
				t.Errorf("avatar = %v, want %v", u.Get("avatar"), avatar)
			}

			var got *runtime.Record
			step("get user", 1, func() (err error) { got, err = sys.Get(ctx, "USER", u.ID()); return err })
			for _, f := range []string{"id", "email", "name", "avatar", "active", "created_at"} {
				if !runtime.EqualValues(got.Get(f), u.Get(f)) {
					t.Errorf("get: %s = %#v, want %#v", f, got.Get(f), u.Get(f))
				}
			}
			var meter runtime.Meter
			step("get user by key", 1, func() (err error) {
				got, err = sys.GetKey(runtime.WithMeter(ctx, &meter), "USER", runtime.Key{"id": id})
				return err
			})
			if c := meter.Cost(); c.RowsRead != 1 || c.RowsWritten != 0 {
				t.Errorf("get by key cost %+v, want 1 row read", c)
			}
			var wmeter runtime.Meter
			step("create user 2", 1, func() error {
				_, err := sys.Create(runtime.WithMeter(ctx, &wmeter), "USER", map[string]any{"email": "grace@example.com"})
				return err
			})
			t.Logf("create cost %+v", wmeter.Cost())
			if c := wmeter.Cost(); c.RowsWritten < 1 {
				t.Errorf("create cost %+v, want its row written", c)
			}

			// An update writes its changed columns only; the DATETIME
			// column keeps SQLite's text form.
			got.Set("name", "Ada L.")
			step("update user", 1, func() error { return got.Save(ctx) })
			raw, err := fb.d1.D1.Query(ctx, backend.Stmt{SQL: "SELECT name, created_at = datetime(created_at), typeof(avatar) FROM users WHERE id = ?", Args: []any{id}})
			if err != nil {
				t.Fatal(err)
			}
			if row := raw.Rows[0]; row[0] != "Ada L." || row[1] != int64(1) || row[2] != "blob" {
				t.Errorf("users row = %v, want the new name, SQLite's datetime text, a blob", row)
			}

			// Constraints are ConstraintError (ErrConflict), nothing written.
			err = nil
			step("duplicate email", 1, func() error {
				_, err = sys.Create(ctx, "USER", map[string]any{"email": "ada@example.com"})
				return nil
			})
			var ce *runtime.ConstraintError
			if !errors.As(err, &ce) || !errors.Is(err, runtime.ErrConflict) || len(ce.Fields) != 1 || ce.Fields[0] != "email" {
				t.Fatalf("duplicate email: %v, want a ConstraintError naming email", err)
			}
			if !strings.Contains(err.Error(), "another record holds the same email; nothing was written") {
				t.Errorf("duplicate email: %q", err)
			}
			step("taken id", 1, func() error {
				_, err = sys.Create(ctx, "USER", map[string]any{"id": id, "email": "other@example.com"})
				return nil
			})
			if !errors.Is(err, runtime.ErrConflict) {
				t.Fatalf("create with a taken id: %v, want ErrConflict", err)
			}

			// A composite key: every part chosen by the caller.
			var mem *runtime.Record
			step("create membership", 1, func() (err error) {
				mem, err = sys.Create(ctx, "MEMBERSHIP", map[string]any{"org_id": 1, "user_id": id})
				return err
			})
			if mem.Get("role") != "member" || mem.ID() != "1/"+fmt.Sprint(id) {
				t.Errorf("membership = %v (ID %q), want role member from the column default", mem.Data(), mem.ID())
			}
			if _, err := sys.Create(ctx, "MEMBERSHIP", map[string]any{"org_id": 1}); !errors.Is(err, runtime.ErrInvalid) {
				t.Errorf("membership without user_id: %v, want a validation error", err)
			}
			if _, err := sys.Get(ctx, "MEMBERSHIP", "1"); !errors.Is(err, runtime.ErrInvalid) {
				t.Errorf("Get of a composite key: %v, want ErrInvalid naming GetKey", err)
			}
			if _, err := sys.GetKey(ctx, "MEMBERSHIP", runtime.Key{"org_id": 1}); !errors.Is(err, runtime.ErrInvalid) {
				t.Errorf("GetKey without user_id: %v, want ErrInvalid", err)
			}
			step("update membership by key", 2, func() error {
				_, err := sys.UpdateKey(ctx, "MEMBERSHIP", runtime.Key{"org_id": 1, "user_id": id}, map[string]any{"role": "admin"})
				return err
			})
			step("get membership by key", 1, func() (err error) {
				mem, err = sys.GetKey(ctx, "MEMBERSHIP", runtime.Key{"org_id": int64(1), "user_id": id})
				return err
			})
			if mem.Get("role") != "admin" {
				t.Errorf("role = %v, want admin", mem.Get("role"))
			}
			step("delete membership", 2, func() error {
				return sys.DeleteKey(ctx, "MEMBERSHIP", runtime.Key{"org_id": 1, "user_id": id})
			})
			if _, err := sys.GetKey(ctx, "MEMBERSHIP", runtime.Key{"org_id": 1, "user_id": id}); !errors.Is(err, runtime.ErrNotFound) {
				t.Errorf("deleted membership: %v, want ErrNotFound", err)
			}

			// Timestamps and soft delete work as on any model.
			var n *runtime.Record
			step("create note", 1, func() (err error) {
				n, err = sys.Create(ctx, "NOTE", map[string]any{"slug": "hello", "body": "hi"})
				return err
			})
			if n.Get("created_at") == nil || n.Get("deleted_at") != nil {
				t.Errorf("note = %v, want created_at set and deleted_at null", n.Data())
			}
			step("soft delete note", 2, func() error { return sys.Delete(ctx, "NOTE", "hello") })
			if _, err := sys.Get(ctx, "NOTE", "hello"); !errors.Is(err, runtime.ErrNotFound) {
				t.Errorf("soft-deleted note: %v, want ErrNotFound", err)
			}
			step("restore note", 2, func() error { return sys.Restore(ctx, "NOTE", "hello") })
			step("hard delete user", 2, func() error { return sys.Delete(ctx, "USER", u.ID()) })
			if _, err := sys.Get(ctx, "USER", u.ID()); !errors.Is(err, runtime.ErrNotFound) {
				t.Errorf("deleted user: %v, want ErrNotFound", err)
			}
			if _, err := sys.Get(ctx, "USER", "not-a-number"); !errors.Is(err, runtime.ErrNotFound) {
				t.Errorf("Get of a non-integer id: %v, want ErrNotFound", err)
			}
		})
	}
}

// TestD1OnlyQueryCompositeKeyset: keyset pages over a composite key visit
// every row once, with D1 requests only.
func TestD1OnlyQueryCompositeKeyset(t *testing.T) {
	for name, open := range d1OnlyBackends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			ds, fb := openD1Only(t, open(t))
			sys := ds.System()
			var data []map[string]any
			for org := 1; org <= 3; org++ {
				for user := 1; user <= 4; user++ {
					data = append(data, map[string]any{"org_id": org, "user_id": user, "role": fmt.Sprint("r", user%2)})
				}
			}
			if _, err := sys.CreateMany(ctx, "MEMBERSHIP", data); err != nil {
				t.Fatal(err)
			}
			d0, _ := fb.calls()
			seen := map[string]bool{}
			cursor, pages := "", 0
			for {
				q := sys.Query("MEMBERSHIP").OrderBy("role", runtime.Asc).Limit(5).WithData().After(cursor)
				res, err := q.List(ctx)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				for _, r := range res.Data {
					k := fmt.Sprint(r["org_id"], "/", r["user_id"])
					if seen[k] {
						t.Fatalf("row %s on two pages", k)
					}
					seen[k] = true
				}
				if cursor = res.Pagination.NextCursor; cursor == "" {
					break
				}
			}
			if len(seen) != 12 || pages != 3 {
				t.Errorf("%d rows on %d pages, want 12 on 3", len(seen), pages)
			}
			d1, kv := fb.calls()
			if kv != 0 || d1-d0 < pages {
				t.Errorf("%d D1 requests and %d KV calls for %d pages, want D1 only", d1-d0, kv, pages)
			}
		})
	}
}

// TestD1OnlyConcurrentWriters: several writers creating at once get
// distinct keys from D1, and concurrent updates of different fields of
// one record both stay (an update writes its changed columns only).
func TestD1OnlyConcurrentWriters(t *testing.T) {
	for name, open := range d1OnlyBackends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			ds, _ := openD1Only(t, open(t))
			const writers, each = 6, 10
			ids := make(chan int64, writers*each)
			var wg sync.WaitGroup
			errs := make(chan error, writers)
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						r, err := ds.System().Create(ctx, "USER", map[string]any{"email": fmt.Sprintf("u%d-%d@example.com", w, i)})
						if err != nil {
							errs <- err
							return
						}
						ids <- r.Get("id").(int64)
					}
				}()
			}
			wg.Wait()
			close(ids)
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			seen := map[int64]bool{}
			for id := range ids {
				if seen[id] {
					t.Fatalf("id %d given twice", id)
				}
				seen[id] = true
			}
			if len(seen) != writers*each {
				t.Fatalf("%d ids, want %d", len(seen), writers*each)
			}
			// Two writers load the same record, each changes one field.
			a, err := ds.System().Get(ctx, "USER", "1")
			if err != nil {
				t.Fatal(err)
			}
			b, err := ds.System().Get(ctx, "USER", "1")
			if err != nil {
				t.Fatal(err)
			}
			a.Set("name", "from a")
			b.Set("avatar", []byte("from b"))
			if err := a.Save(ctx); err != nil {
				t.Fatal(err)
			}
			if err := b.Save(ctx); err != nil {
				t.Fatal(err)
			}
			if b.Get("name") != "from a" {
				t.Errorf("b's save read back name %v: want a's change kept", b.Get("name"))
			}
			got, err := ds.System().Get(ctx, "USER", "1")
			if err != nil {
				t.Fatal(err)
			}
			if got.Get("name") != "from a" || string(got.Get("avatar").([]byte)) != "from b" {
				t.Errorf("after both saves: %v, want both changes", got.Data())
			}
		})
	}
}

// TestD1OnlyStoredTimestamps: what another writer left in a DATETIME
// column reads without error: SQLite's date text as a runtime timestamp,
// anything else as stored.
func TestD1OnlyStoredTimestamps(t *testing.T) {
	ctx := context.Background()
	store, err := local.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ds, _ := openD1Only(t, store)
	tests := []struct{ stored, want string }{
		{"2026-01-02 03:04:05", "2026-01-02T03:04:05.000Z"},
		{"2026-01-02 03:04:05.678", "2026-01-02T03:04:05.678Z"},
		{"2026-01-02", "2026-01-02T00:00:00.000Z"},
		{"2026-01-02T03:04:05.000Z", "2026-01-02T03:04:05.000Z"},
		{"yesterday", "yesterday"},
	}
	for i, tc := range tests {
		if _, err := store.D1().Query(ctx, backend.Stmt{SQL: "INSERT INTO users (id, email, created_at) VALUES (?, ?, ?)",
			Args: []any{i + 1, fmt.Sprint("t", i), tc.stored}}); err != nil {
			t.Fatal(err)
		}
		r, err := ds.System().Get(ctx, "USER", fmt.Sprint(i+1))
		if err != nil {
			t.Fatalf("%q: %v", tc.stored, err)
		}
		if r.Get("created_at") != tc.want {
			t.Errorf("%q reads as %v, want %s", tc.stored, r.Get("created_at"), tc.want)
		}
		// The record stays saveable: an untouched stale value is kept.
		r.Set("name", "n")
		if err := r.Save(ctx); err != nil {
			t.Errorf("%q: save: %v", tc.stored, err)
		}
	}
}

// TestD1OnlyHooks: a before hook's change is validated and written; the
// after hook sees the row D1 returned, its assigned key included.
func TestD1OnlyHooks(t *testing.T) {
	ctx := context.Background()
	store, err := local.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var after any
	ds, _ := openD1Only(t, store,
		runtime.WithHook("USER", "before_create", func(ctx context.Context, ev *runtime.Event) error {
			ev.Data["name"] = "hooked"
			return nil
		}),
		runtime.WithHook("USER", "after_create", func(ctx context.Context, ev *runtime.Event) error {
			after = ev.Data["id"]
			return nil
		}))
	r, err := ds.System().Create(ctx, "USER", map[string]any{"email": "h@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Get("name") != "hooked" || after != r.Get("id") || after == nil {
		t.Errorf("record %v, after hook saw id %v", r.Data(), after)
	}
}

// d1OnlyHCL declares d1OnlySchema's tables as `dmplan import` writes them.
const d1OnlyHCL = `
project "adopt" {}

model "USER" {
  storage     = "d1"
  primary_key = "id"
  options {
    timestamps    = false
    soft_delete   = false
    user_tracking = false
    auth          = false
  }
  field "id" {
    type          = integer
    autoincrement = true
  }
  field "email" {
    type     = string
    required = true
    unique   = true
  }
  field "name" { type = string }
  field "avatar" { type = blob }
  field "active" {
    type        = boolean
    required    = true
    sql_type    = "BOOLEAN"
    sql_default = "1"
  }
  field "created_at" {
    type        = timestamp
    required    = true
    sql_type    = "DATETIME"
    sql_default = "CURRENT_TIMESTAMP"
  }
  d1 { table = "users" }
}

model "MEMBERSHIP" {
  storage     = "d1"
  primary_key = ["org_id", "user_id"]
  options {
    timestamps    = false
    soft_delete   = false
    user_tracking = false
    auth          = false
  }
  field "org_id" {
    type     = integer
    required = true
  }
  field "user_id" {
    type     = integer
    required = true
  }
  field "role" {
    type        = string
    required    = true
    sql_default = "'member'"
  }
  d1 {
    table         = "memberships"
    without_rowid = true
  }
}
`

// TestD1OnlyFromHCL: the models hclspec decodes from the adoption
// language work with the runtime as the hand-built ones do.
func TestD1OnlyFromHCL(t *testing.T) {
	ctx := context.Background()
	spec, diags := hclspec.LoadSources("adopt", map[string][]byte{"adopt.dm.hcl": []byte(d1OnlyHCL)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	store, err := local.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, sql := range d1OnlySchema[:2] {
		if _, err := store.D1().Query(ctx, backend.Stmt{SQL: sql}); err != nil {
			t.Fatal(err)
		}
	}
	fb := newFault(store)
	ds, err := runtime.Open(ctx, spec, fb, runtime.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	if err := ds.Check(ctx); err != nil {
		t.Fatal(err)
	}
	sys := ds.System()
	u, err := sys.Create(ctx, "USER", map[string]any{"email": "ada@example.com", "avatar": "AAH/"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Get("id") != int64(1) || u.Get("active") != true || !bytes.Equal(u.Get("avatar").([]byte), []byte{0, 1, 0xff}) || u.Get("created_at") == nil {
		t.Errorf("user = %v", u.Data())
	}
	if _, err := sys.Create(ctx, "MEMBERSHIP", map[string]any{"org_id": 7, "user_id": u.Get("id")}); err != nil {
		t.Fatal(err)
	}
	m, err := sys.GetKey(ctx, "MEMBERSHIP", runtime.Key{"org_id": 7, "user_id": 1})
	if err != nil || m.Get("role") != "member" || m.ID() != "7/1" {
		t.Fatalf("membership = %v, %v", m, err)
	}
	if _, kv := fb.calls(); kv != 0 {
		t.Errorf("%d KV calls, want none", kv)
	}
}

// TestD1OnlySaveManyConflict: SaveMany of a D1-only model is one batch
// per 100 records, each one transaction: a refused record (a UNIQUE
// email here) writes none of its batch.
func TestD1OnlySaveManyConflict(t *testing.T) {
	ctx := context.Background()
	store, err := local.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ds, fb := openD1Only(t, store)
	sys := ds.System()
	recs, err := sys.CreateMany(ctx, "USER", []map[string]any{{"email": "a@example.com"}, {"email": "b@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if recs[0].Get("id") == nil || recs[0].Get("id") == recs[1].Get("id") || recs[1].Get("created_at") == nil {
		t.Fatalf("created %v and %v: want D1's ids and defaults", recs[0].Data(), recs[1].Data())
	}
	d0, _ := fb.calls()
	_, err = sys.CreateMany(ctx, "USER", []map[string]any{{"email": "c@example.com"}, {"email": "a@example.com"}})
	var ce *runtime.ConstraintError
	if !errors.As(err, &ce) || !errors.Is(err, runtime.ErrConflict) {
		t.Fatalf("CreateMany with a taken email: %v, want a ConstraintError", err)
	}
	if d1, kv := fb.calls(); d1-d0 != 1 || kv != 0 {
		t.Errorf("%d D1 requests and %d KV calls, want one batch", d1-d0, kv)
	}
	if n, err := sys.Query("USER").Count(ctx); err != nil || n != 2 {
		t.Errorf("%d users after the refused batch (%v), want 2: c@ must not be written", n, err)
	}
}

// TestD1OnlyRequiredIsNotNull: on a D1-only model required is NOT NULL,
// so an empty string is a value (as the table's other writers have it);
// nil is still refused.
func TestD1OnlyRequiredIsNotNull(t *testing.T) {
	ctx := context.Background()
	store, err := local.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ds, _ := openD1Only(t, store)
	r, err := ds.System().Create(ctx, "USER", map[string]any{"email": ""})
	if err != nil || r.Get("email") != "" {
		t.Fatalf("create with an empty required string: %v, %v", r, err)
	}
	if _, err := ds.System().Create(ctx, "USER", map[string]any{"name": "x"}); !errors.Is(err, runtime.ErrInvalid) {
		t.Fatalf("create without email: %v, want ErrInvalid", err)
	}
}

// TestD1OnlyQueryDatetime: a DATETIME column holds SQLite's date text, so
// a query's timestamp value (as records read it) is compared in that form:
// equality finds the record, a range keeps the rows it should, and cursor
// pages ordered by the column visit every row once and end.
func TestD1OnlyQueryDatetime(t *testing.T) {
	for name, open := range d1OnlyBackends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			be := open(t)
			ds, _ := openD1Only(t, be)
			sys := ds.System()
			times := []string{"2026-03-01T10:00:00Z", "2026-03-01T10:00:00Z", "2026-03-02T09:30:00.250Z", "2026-03-03T00:00:00Z"}
			for i, ts := range times {
				if _, err := sys.Create(ctx, "USER", map[string]any{"email": fmt.Sprint("u", i), "created_at": ts}); err != nil {
					t.Fatal(err)
				}
			}
			// Another writer's rows, in SQLite's own text.
			for i, ts := range []string{"2026-03-01 10:00:00", "2026-03-02 12:00:00"} {
				if _, err := be.D1().Query(ctx, backend.Stmt{SQL: "INSERT INTO users (email, created_at) VALUES (?, ?)",
					Args: []any{fmt.Sprint("w", i), ts}}); err != nil {
					t.Fatal(err)
				}
			}
			r, err := sys.Get(ctx, "USER", "1")
			if err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				name string
				q    *runtime.Query
				want int
			}{
				{"equal to a value read", sys.Query("USER").Where("created_at", r.Get("created_at")), 3},
				{"equal, RFC 3339 with offset", sys.Query("USER").Where("created_at", "2026-03-01T11:00:00+01:00"), 3},
				{"in", sys.Query("USER").WhereIn("created_at", "2026-03-01T10:00:00.000Z", "2026-03-03T00:00:00.000Z"), 4},
				{"at or after", sys.Query("USER").WhereOp("created_at", ">=", "2026-03-02T09:30:00.250Z"), 3},
				{"after", sys.Query("USER").WhereOp("created_at", ">", "2026-03-01T10:00:00.000Z"), 3},
				{"before", sys.Query("USER").WhereOp("created_at", "<", "2026-03-02T12:00:00Z"), 4},
			}
			for _, tc := range tests {
				res, err := tc.q.List(ctx)
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if len(res.Data) != tc.want {
					t.Errorf("%s: %d rows, want %d (%s)", tc.name, len(res.Data), tc.want, fmt.Sprint(tc.q.SQL()))
				}
			}
			for _, dir := range []runtime.Direction{runtime.Asc, runtime.Desc} {
				seen := map[any]bool{}
				cursor := ""
				for pages := 0; ; pages++ {
					if pages > 6 {
						t.Fatalf("order %v: cursor pages never end (seen %v)", dir, seen)
					}
					res, err := sys.Query("USER").OrderBy("created_at", dir).Limit(2).After(cursor).List(ctx)
					if err != nil {
						t.Fatal(err)
					}
					for _, d := range res.Data {
						if seen[d["id"]] {
							t.Fatalf("order %v: row %v on two pages", dir, d["id"])
						}
						seen[d["id"]] = true
					}
					if cursor = res.Pagination.NextCursor; cursor == "" {
						break
					}
				}
				if len(seen) != 6 {
					t.Errorf("order %v: %d rows paged, want 6", dir, len(seen))
				}
			}
		})
	}
}

// TestD1OnlyMissingKeyReportedOnce: a create without a part of its key
// (composite) or without an integer key D1 cannot assign lists each
// missing key field once, with the reason.
func TestD1OnlyMissingKeyReportedOnce(t *testing.T) {
	ctx := context.Background()
	store, err := local.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ds, _ := openD1Only(t, store)
	tests := []struct {
		model string
		data  map[string]any
		want  []string
	}{
		{"MEMBERSHIP", map[string]any{"org_id": 1}, []string{"user_id"}},
		{"MEMBERSHIP", map[string]any{"role": "x"}, []string{"org_id", "user_id"}},
	}
	for _, tc := range tests {
		_, err := ds.System().Create(ctx, tc.model, tc.data)
		var ve *runtime.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("%s %v: %v, want a ValidationError", tc.model, tc.data, err)
		}
		var got []string
		for _, fe := range ve.Fields {
			got = append(got, fe.Field)
			if !strings.Contains(fe.Message, "primary key") {
				t.Errorf("%s: %s: %q does not say it is part of the key", tc.model, fe.Field, fe.Message)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s %v: fields %v, want %v (%v)", tc.model, tc.data, got, tc.want, err)
		}
	} // In a batch each record's missing parts are listed once too.
	_, err = ds.System().CreateMany(ctx, "MEMBERSHIP", []map[string]any{{"org_id": 1}, {"user_id": 2}, {"org_id": 3, "user_id": 3}})
	var ve *runtime.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("CreateMany: %v, want a ValidationError", err)
	}
	var got []string
	for _, fe := range ve.Fields {
		got = append(got, fmt.Sprint(fe.Index, ":", fe.Field))
	}
	if want := "[0:user_id 1:org_id]"; fmt.Sprint(got) != want {
		t.Errorf("CreateMany: fields %v, want %s", got, want)
	}
}

// TestD1OnlyConflictNamesNewRecord: a create whose key D1 would assign
// has no id when D1 refuses it; the error says it was a new record
// rather than printing an empty id.
func TestD1OnlyConflictNamesNewRecord(t *testing.T) {
	ctx := context.Background()
	store, err := local.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ds, _ := openD1Only(t, store)
	sys := ds.System()
	if _, err := sys.Create(ctx, "USER", map[string]any{"email": "a@x.io"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"create", func() error {
			_, err := sys.Create(ctx, "USER", map[string]any{"email": "a@x.io"})
			return err
		}, "save USER (new record): runtime: conflict: D1 refused the write (UNIQUE constraint failed: users.email)"},
		{"create many", func() error {
			_, err := sys.CreateMany(ctx, "USER", []map[string]any{{"email": "b@x.io"}, {"email": "a@x.io"}})
			return err
		}, "save USER (2 new records): runtime: conflict: D1 refused the write (UNIQUE constraint failed: users.email)"},
	}
	for _, tc := range tests {
		err := tc.run()
		var ce *runtime.ConstraintError
		if !errors.As(err, &ce) {
			t.Fatalf("%s: %v, want a ConstraintError", tc.name, err)
		}
		if !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: %q\nwant it to start %q", tc.name, err, tc.want)
		}
	}
}

// ticketsHCL is a table with date defaults, given a KV side.
const ticketsHCL = `
project "adopt" {}

model "TICKET" {
  primary_key = "id"
  options {
    timestamps    = false
    soft_delete   = false
    user_tracking = false
    auth          = false
  }
  field "id" { type = integer }
  field "day" {
    type        = timestamp
    sql_type    = "DATE"
    sql_default = "CURRENT_DATE"
  }
  field "due" {
    type        = timestamp
    sql_type    = "TIMESTAMP"
    sql_default = "(datetime('now', '+1 day'))"
  }
  kv { key_pattern = "ticket:{id}" }
  d1 {
    table       = "tickets"
    sync_fields = ["day", "due"]
  }
}
`

// TestSQLDefaultDatesWithKVSide: on a model with a KV side the runtime
// evaluates a date sql_default before the write: CURRENT_DATE gives
// today's midnight as a timestamp (not text validation refuses), the DATE
// column holds SQLite's bare date as CURRENT_DATE writes it, and a query
// with the value read back finds the row.
func TestSQLDefaultDatesWithKVSide(t *testing.T) {
	for name, open := range d1OnlyBackends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			spec, diags := hclspec.LoadSources("adopt", map[string][]byte{"t.dm.hcl": []byte(ticketsHCL)})
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			be := open(t)
			if _, err := be.D1().Query(ctx, backend.Stmt{SQL: `CREATE TABLE tickets (id INTEGER PRIMARY KEY,
				day DATE DEFAULT CURRENT_DATE, due TIMESTAMP DEFAULT (datetime('now', '+1 day')))`}); err != nil {
				t.Fatal(err)
			}
			if _, err := be.KV().CreateNamespace(ctx, spec.NamespaceTitle("local", "TICKET")); err != nil {
				t.Fatal(err)
			}
			ds, err := runtime.Open(ctx, spec, be, runtime.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
			if err != nil {
				t.Fatal(err)
			}
			sys := ds.System()
			r, err := sys.Create(ctx, "TICKET", map[string]any{"id": 1})
			if err != nil {
				t.Fatal(err)
			}
			day, _ := r.Get("day").(string)
			if !strings.HasSuffix(day, "T00:00:00.000Z") {
				t.Errorf("day = %v, want today's midnight", r.Get("day"))
			}
			if due, _ := r.Get("due").(string); len(due) != len("2006-01-02T15:04:05.000Z") || due <= day {
				t.Errorf("due = %v, want a timestamp after %s", r.Get("due"), day)
			}
			res, err := be.D1().Query(ctx, backend.Stmt{SQL: "SELECT day = date('now'), length(day) FROM tickets WHERE id = 1"})
			if err != nil || len(res.Rows) != 1 || fmt.Sprint(res.Rows[0]) != "[1 10]" {
				t.Errorf("D1 day column: %v %v, want today's bare date", res, err)
			}
			got, err := sys.Get(ctx, "TICKET", "1")
			if err != nil || got.Get("day") != day {
				t.Errorf("get: %v %v", got, err)
			}
			list, err := sys.Query("TICKET").Where("day", day).List(ctx)
			if err != nil || len(list.Data) != 1 {
				t.Errorf("where day = %s: %v %v", day, list, err)
			}
		})
	}
}
