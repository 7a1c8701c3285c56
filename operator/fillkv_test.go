package operator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

// usersDDL is a table another tool made, imported as a D1-only model.
const usersDDL = `CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, name TEXT,
	avatar BLOB, created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP)`

// usersSpec is model USER over usersDDL: D1-only (kv false), or with a KV
// side added (namespace USERS, key user:{id}) and a KV-only field bio.
func usersSpec(kv bool) *hclspec.Spec {
	f := func(name string, t hclspec.FieldType, req bool, sql hclspec.ColumnSQL) *hclspec.Field {
		return &hclspec.Field{Name: name, Type: t, Required: req, Synced: true, SQL: sql}
	}
	m := &hclspec.Model{Name: "USER", PrimaryKey: "id", Storage: hclspec.StorageD1, D1: hclspec.D1{Table: "users"},
		Fields: []*hclspec.Field{
			f("id", hclspec.Integer, true, hclspec.ColumnSQL{Autoincrement: true}),
			f("email", hclspec.String, true, hclspec.ColumnSQL{Unique: true}),
			f("name", hclspec.String, false, hclspec.ColumnSQL{}),
			f("avatar", hclspec.Blob, false, hclspec.ColumnSQL{}),
			f("created_at", hclspec.Timestamp, true, hclspec.ColumnSQL{Type: "DATETIME", Default: "CURRENT_TIMESTAMP"}),
		}}
	m.Fields[0].Primary = true
	for _, f := range m.Fields {
		m.D1.SyncFields = append(m.D1.SyncFields, f.Name)
	}
	if kv {
		m.Storage = hclspec.StorageD1KV
		m.KV = hclspec.KV{Namespace: "USERS", KeyPattern: "user:{id}", Binding: "USERS"}
		m.Fields = append(m.Fields, &hclspec.Field{Name: "bio", Type: hclspec.Text})
	}
	return &hclspec.Spec{Project: hclspec.Project{Name: "adopt"}, Models: []*hclspec.Model{m}}
}

// seedUsers makes usersDDL with n rows on be.
func seedUsers(t *testing.T, be backend.Backend, n int) {
	t.Helper()
	ctx := context.Background()
	if _, err := be.D1().Query(ctx, backend.Stmt{SQL: usersDDL}); err != nil {
		t.Fatal(err)
	}
	for from := 1; from <= n; from += 500 {
		to := min(from+499, n)
		if _, err := be.D1().Query(ctx, backend.Stmt{SQL: `WITH RECURSIVE c(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM c WHERE i < ?)
			INSERT INTO users (id, email, name, avatar) SELECT i, 'u' || i || '@example.com', 'user ' || i, CASE WHEN i % 2 = 0 THEN x'00ff' END FROM c`,
			Args: []any{from, to}}); err != nil {
			t.Fatal(err)
		}
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// fillBackends are the stores the fill tests run on.
func fillBackends(t *testing.T) map[string]func(t *testing.T) backend.Backend {
	out := map[string]func(t *testing.T) backend.Backend{
		"local": func(t *testing.T) backend.Backend {
			s, err := local.Open(context.Background(), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
	if !testing.Short() {
		out["workerd"] = func(t *testing.T) backend.Backend {
			h := cftest.Shared(t)
			acct := h.NewAccount(t)
			h.NewDatabase(t, acct, "adopt")
			s, err := cloudflare.Open(context.Background(), cloudflare.Config{AccountID: acct, APIToken: h.Token, Database: "adopt",
				BaseURL: h.BaseURL, Getenv: func(string) string { return "" }, Environment: "local", RequestTimeout: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	return out
}

// kvKeys lists every key of a namespace.
func kvKeys(t *testing.T, be backend.Backend, ns string) map[string]bool {
	t.Helper()
	keys := map[string]bool{}
	cursor := ""
	for {
		page, err := be.KV().List(context.Background(), ns, "", cursor, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range page.Keys {
			keys[k.Name] = true
		}
		if page.Cursor == "" {
			return keys
		}
		cursor = page.Cursor
	}
}

// TestFillKV: a D1-only table gets its KV side. The fill is interrupted
// after three pages, resumes after the last page it recorded, leaves the
// object a runtime already wrote alone, and then the dual-write runtime
// works on the table's records.
func TestFillKV(t *testing.T) {
	for name, open := range fillBackends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			be := open(t)
			n := 1234
			if name == "workerd" {
				n = 345
			}
			seedUsers(t, be, n)
			spec := usersSpec(true)
			ns, err := be.KV().CreateNamespace(ctx, spec.NamespaceTitle("local", "USERS"))
			if err != nil {
				t.Fatal(err)
			}
			// A record the runtime wrote before the fill reached it.
			newer := []byte(`{"id":5,"email":"u5@example.com","name":"newer","bio":"mine","avatar":null,"created_at":"2026-01-01T00:00:00.000Z"}`)
			if err := be.KV().Put(ctx, ns.ID, backend.Entry{Key: "user:5", Value: newer}); err != nil {
				t.Fatal(err)
			}
			ds, err := runtime.Open(ctx, spec, be, runtime.WithEnvironment("local"), runtime.WithLogger(quiet()))
			if err != nil {
				t.Fatal(err)
			}
			stop := make(chan struct{})
			res, err := operator.FillKV(ctx, ds, operator.FillKVOptions{Model: "USER", RunID: "plan-1", PageSize: 100, Stop: stop,
				Progress: func(p operator.Progress) {
					if p.Done == 300 {
						close(stop)
					}
				}})
			if !errors.Is(err, applier.ErrInterrupted) || res.Checked != 300 || res.Written != 299 || res.Kept != 1 {
				t.Fatalf("interrupted fill: %+v, %v; want 300 rows checked, 299 put, 1 kept, ErrInterrupted", res, err)
			}
			if got := len(kvKeys(t, be, ns.ID)); got != 300 {
				t.Fatalf("%d KV keys after 3 pages, want 300", got)
			}
			pending, err := operator.PendingBackfills(ctx, be.D1())
			if err != nil {
				t.Fatal(err)
			}
			if len(pending) != 1 || pending[0].Target != planner.FillKVProgressTarget("users") || pending[0].Done != 300 {
				t.Fatalf("pending = %+v, want the fill of users after 300 rows", pending)
			}
			res, err = operator.FillKV(ctx, ds, operator.FillKVOptions{Model: "USER", RunID: "plan-2", PageSize: 100})
			if err != nil {
				t.Fatal(err)
			}
			if res.ResumedAfter != "300" || res.Checked != int64(n-300) || res.Written != int64(n-300) {
				t.Fatalf("resumed fill: %+v, want %d rows after key 300", res, n-300)
			}
			t.Logf("resumed fill of %d rows: %d D1 rows read, %d written", res.Checked, res.Cost.RowsRead, res.Cost.RowsWritten)
			if got := len(kvKeys(t, be, ns.ID)); got != n {
				t.Fatalf("%d KV keys, want %d", got, n)
			}
			if pending, err = operator.PendingBackfills(ctx, be.D1()); err != nil || len(pending) != 0 {
				t.Fatalf("pending after the fill: %+v, %v", pending, err)
			}
			// Run again: everything is there, nothing is put.
			if res, err = operator.FillKV(ctx, ds, operator.FillKVOptions{Model: "USER", RunID: "plan-3", PageSize: 1000}); err != nil || res.Written != 0 || res.Kept != int64(n) {
				t.Fatalf("fill of a filled table: %+v, %v; want nothing put", res, err)
			}

			sys := ds.System()
			u5, err := sys.Get(ctx, "USER", "5")
			if err != nil || u5.Get("name") != "newer" || u5.Get("bio") != "mine" {
				t.Fatalf("user 5 = %v, %v: the runtime's object must be kept", u5.Data(), err)
			}
			u8, err := sys.Get(ctx, "USER", "8")
			if err != nil {
				t.Fatal(err)
			}
			if u8.Get("id") != int64(8) || u8.Get("name") != "user 8" || string(u8.Get("avatar").([]byte)) != "\x00\xff" {
				t.Errorf("user 8 from KV = %v", u8.Data())
			}
			if _, err := time.Parse(runtime.TimeFormat, u8.Get("created_at").(string)); err != nil {
				t.Errorf("user 8 created_at %v: %v", u8.Get("created_at"), err)
			}
			u8.Set("bio", "hello")
			u8.Set("name", "eight")
			if err := u8.Save(ctx); err != nil {
				t.Fatal(err)
			}
			raw, err := be.D1().Query(ctx, backend.Stmt{SQL: "SELECT name FROM users WHERE id = 8"})
			if err != nil || raw.Rows[0][0] != "eight" {
				t.Fatalf("users row 8 after a dual write: %v, %v", raw, err)
			}
			created, err := sys.Create(ctx, "USER", map[string]any{"id": n + 1, "email": "new@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			if created.ID() != fmt.Sprint(n+1) {
				t.Errorf("created id %q", created.ID())
			}
			if _, err := sys.Create(ctx, "USER", map[string]any{"email": "noid@example.com"}); !errors.Is(err, runtime.ErrInvalid) {
				t.Errorf("create without an integer id on a d1+kv model: %v, want a validation error", err)
			}
			list, err := sys.Query("USER").Where("name", "eight").WithData().List(ctx)
			if err != nil || len(list.Data) != 1 || list.Data[0]["bio"] != "hello" {
				t.Fatalf("query with data: %+v, %v", list, err)
			}
		})
	}
}

// TestFillKVConcurrentWriters: the dual-write runtime creates and updates
// records while the fill runs; none of their objects is replaced by a
// copy of the row (their KV-only field bio would be lost), and at the end
// every row has an object that agrees with it.
func TestFillKVConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	store, err := local.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	const n = 2000
	seedUsers(t, store, n)
	spec := usersSpec(true)
	if _, err := store.KV().CreateNamespace(ctx, spec.NamespaceTitle("local", "USERS")); err != nil {
		t.Fatal(err)
	}
	ds, err := runtime.Open(ctx, spec, store, runtime.WithEnvironment("local"), runtime.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	written := map[int]bool{} // records the writers saved, with bio set
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				id := n + 1 + w*10000 + i // new records, past the table's end
				if _, err := ds.System().Create(ctx, "USER", map[string]any{"id": id, "email": fmt.Sprint("w", id, "@example.com"), "bio": "mine"}); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				written[id] = true
				mu.Unlock()
			}
		}()
	}
	res, err := operator.FillKV(ctx, ds, operator.FillKVOptions{Model: "USER", RunID: "plan-1", PageSize: 50})
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fill: %+v; the writers created %d records meanwhile", res, len(written))
	m, err := ds.Storage("USER")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := m.Namespace(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := store.D1().Query(ctx, backend.Stmt{SQL: "SELECT " + m.SelectColumns() + m.From() + " ORDER BY t.id"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows.Rows) != n+len(written) {
		t.Fatalf("%d rows, want %d", len(rows.Rows), n+len(written))
	}
	for _, row := range rows.Rows {
		id := m.RowID(row)
		key, _ := m.Key(id)
		got, err := store.KV().Get(ctx, ns, key)
		if err != nil {
			t.Fatalf("row %s has no object: %v", id, err)
		}
		var obj map[string]any
		if err := json.Unmarshal(got.Value, &obj); err != nil {
			t.Fatal(err)
		}
		var idn int
		fmt.Sscan(id, &idn)
		if written[idn] && obj["bio"] != "mine" {
			t.Fatalf("record %s written by the runtime during the fill lost its KV-only field: %v", id, obj)
		}
		if obj["email"] != row[1] {
			t.Fatalf("object of %s disagrees with its row: %v vs %v", id, obj, row)
		}
	}
}

// TestFillKVRefusesD1Only: a model without a KV side has nothing to fill.
func TestFillKVRefusesD1Only(t *testing.T) {
	ctx := context.Background()
	store, err := local.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	seedUsers(t, store, 3)
	ds, err := runtime.Open(ctx, usersSpec(false), store, runtime.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := operator.FillKV(ctx, ds, operator.FillKVOptions{Model: "USER"}); !errors.Is(err, runtime.ErrInvalid) {
		t.Fatalf("fill of a D1-only model: %v, want ErrInvalid", err)
	}
}

// TestReconcileIntegerKeys: reconcile of a model with an integer key
// (an imported table given its KV side) merges the KV listing, in key
// text order (user:1, user:10, user:100, user:11 ...), with the rows: no
// false drift, and the one orphan row and the one missing row are found.
func TestReconcileIntegerKeys(t *testing.T) {
	ctx := context.Background()
	store, err := local.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	seedUsers(t, store, 120)
	spec := usersSpec(true)
	if _, err := store.KV().CreateNamespace(ctx, spec.NamespaceTitle("local", "USERS")); err != nil {
		t.Fatal(err)
	}
	ds, err := runtime.Open(ctx, spec, store, runtime.WithEnvironment("local"), runtime.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := operator.FillKV(ctx, ds, operator.FillKVOptions{Model: "USER"}); err != nil {
		t.Fatal(err)
	}
	clean, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{PageSize: 7})
	if err != nil {
		t.Fatal(err)
	}
	if r := clean.Models[0]; r.Objects != 120 || r.Rows != 120 || r.Missing != 0 || r.Orphans != 0 || len(r.Drift) != 0 {
		t.Fatalf("reconcile after the fill: %+v, want 120 objects and rows in sync", r)
	}
	// Row 130 without an object (an orphan) and object 55 without its row.
	if _, err := store.D1().Query(ctx, backend.Stmt{SQL: "INSERT INTO users (id, email) VALUES (130, 'o@example.com')"}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.D1().Query(ctx, backend.Stmt{SQL: "DELETE FROM users WHERE id = 55"}); err != nil {
		t.Fatal(err)
	}
	rep, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{PageSize: 7})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Models[0]
	if r.Orphans != 1 || r.Missing != 1 || len(r.Drift) != 2 {
		t.Fatalf("reconcile: %+v, want orphan 130 and missing 55", r)
	}
	for _, d := range r.Drift {
		if (d.Kind == operator.DriftOrphanRow) != (d.ID == "130") || (d.Kind == operator.DriftMissingRow) != (d.ID == "55") {
			t.Errorf("drift %+v", d)
		}
	}
}
