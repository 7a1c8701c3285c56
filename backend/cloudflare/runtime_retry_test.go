package cloudflare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

const retrySpec = `project "rt" {}

model "NOTE" {
  options { user_tracking = false }
  field "title" { type = string }
  field "n" { type = integer }
  d1 { sync_fields = ["title", "n"] }
}

model "TOKEN" {
  options {
    user_tracking = false
    soft_delete   = false
  }
  field "label" { type = string }
  d1 { sync_fields = ["label"] }
}
`

// openRuntime applies spec on a fresh harness account and opens a
// Datastore on it.
func openRuntime(t *testing.T, src string) (*fixture, *runtime.Datastore) {
	t.Helper()
	f := newFixture(t)
	return f, openRuntimeOn(t, f, src)
}

// openRuntimeOn applies spec on f's account and opens a Datastore on it.
func openRuntimeOn(t *testing.T, f *fixture, src string) *runtime.Datastore {
	t.Helper()
	ctx := context.Background()
	spec, diags := hclspec.LoadSources("rt", map[string][]byte{"rt.dm.hcl": []byte(src)})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	live, err := backend.Inspect(ctx, f.s.D1(), f.s.KV())
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := applier.Apply(ctx, f.s, planner.Diff(spec, "test", live), applier.Options{Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	ds, err := runtime.Open(ctx, spec, f.s, runtime.WithEnvironment("test"), runtime.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestRuntimeD1WritesRetried: the runtime marks its D1 upserts and deletes
// by key idempotent, so one 5xx or lost answer on them is retried and the
// save succeeds with KV and D1 agreeing, instead of a partial write. The
// fault hits the D1 request that follows the KV write.
func TestRuntimeD1WritesRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, ds := openRuntime(t, retrySpec)
	sys := ds.System()
	// Resolve the namespaces before counting requests.
	warm, err := sys.Create(ctx, "NOTE", map[string]any{"title": "warm"})
	if err != nil {
		t.Fatal(err)
	}
	token, err := sys.Create(ctx, "TOKEN", map[string]any{"label": "gone soon"})
	if err != nil {
		t.Fatal(err)
	}
	d1Row := func(t *testing.T, table, pk, id string) map[string]any {
		t.Helper()
		res, err := f.s.D1().Query(ctx, backend.Stmt{SQL: "SELECT * FROM " + table + " WHERE " + pk + " = ?", Args: []any{id}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Rows) == 0 {
			return nil
		}
		return res.Maps()[0]
	}
	var created *runtime.Record
	tests := []struct {
		name  string
		fault cftest.Fault
		run   func() error
		check func(t *testing.T)
		want  []int // statuses served: the KV write, then D1
	}{
		{
			name:  "create: 500 on the upsert",
			fault: cftest.Fault{Status: 500, Count: 1, Skip: 1},
			run: func() (err error) {
				created, err = sys.Create(ctx, "NOTE", map[string]any{"title": "new", "n": 1})
				return err
			},
			check: func(t *testing.T) {
				if row := d1Row(t, "note", "note_id", created.ID()); row == nil || row["title"] != "new" {
					t.Errorf("D1 row %v", row)
				}
			},
			want: []int{200, 500, 200},
		},
		{
			name:  "update: the upsert ran and its answer was lost",
			fault: cftest.Fault{Drop: true, After: true, Count: 1, Skip: 1},
			run: func() error {
				warm.Set("title", "changed")
				return warm.Save(ctx)
			},
			check: func(t *testing.T) {
				if row := d1Row(t, "note", "note_id", warm.ID()); row == nil || row["title"] != "changed" {
					t.Errorf("D1 row %v", row)
				}
			},
			want: []int{200, 0, 200},
		},
		{
			name:  "soft delete: 503 on the upsert",
			fault: cftest.Fault{Status: 503, Count: 1, Skip: 1},
			run:   func() error { return warm.Delete(ctx) },
			check: func(t *testing.T) {
				if row := d1Row(t, "note", "note_id", warm.ID()); row == nil || row["deleted_at"] == nil {
					t.Errorf("D1 row %v", row)
				}
			},
			want: []int{200, 503, 200},
		},
		{
			name:  "hard delete: 502 on the D1 delete",
			fault: cftest.Fault{Status: 502, Count: 1, Skip: 1},
			run:   func() error { return token.Delete(ctx) },
			check: func(t *testing.T) {
				if row := d1Row(t, "token", "token_id", token.ID()); row != nil {
					t.Errorf("D1 row left: %v", row)
				}
			},
			want: []int{200, 502, 200},
		},
		{
			name:  "save many: 500 on the batch of upserts",
			fault: cftest.Fault{Status: 500, Count: 1, Skip: 1},
			run: func() error {
				_, err := sys.CreateMany(ctx, "NOTE", []map[string]any{{"title": "m1"}, {"title": "m2"}, {"title": "m3"}})
				return err
			},
			check: func(t *testing.T) {
				res, err := sys.Query("NOTE").WhereIn("title", "m1", "m2", "m3").List(ctx)
				if err != nil || res.Pagination.Total != 3 {
					t.Errorf("D1 rows: %v %v", res, err)
				}
			},
			want: []int{200, 500, 200},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.mark(t)
			tt.fault.Account = f.acct
			f.h.SetFault(t, tt.fault)
			if err := tt.run(); err != nil {
				var pw *runtime.PartialWriteError
				t.Fatalf("err = %v (partial write: %v), want success after a retry", err, errors.As(err, &pw))
			}
			reqs := f.requests(t)
			if d := cmp.Diff(tt.want, statuses(reqs)); d != "" {
				t.Errorf("requests served (-want +got):\n%s", d)
			}
			if len(reqs) == len(tt.want) && (!strings.Contains(reqs[1].Path, "/d1/") || !strings.Contains(reqs[2].Path, "/d1/")) {
				t.Errorf("the fault did not hit D1: %v", reqs)
			}
			tt.check(t)
		})
	}
	if n := len(f.waits.all()); n != len(tests) {
		t.Errorf("%d retry waits, want one per case: %v", n, f.waits.all())
	}
}

// TestRuntimeIntegerBeyondD1Refused: on D1 an integer beyond 2^53-1 would
// be rounded (D1's REST API and Workers hold numbers as doubles) while KV
// keeps it exact, a stale row no repair could clear; the runtime refuses
// the value before anything is written.
func TestRuntimeIntegerBeyondD1Refused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, ds := openRuntime(t, retrySpec)
	sys := ds.System()
	r, err := sys.Create(ctx, "NOTE", map[string]any{"title": "max", "n": int64(1<<53 - 1)})
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.s.D1().Query(ctx, backend.Stmt{SQL: "SELECT n FROM note WHERE note_id = ?", Args: []any{r.ID()}})
	if err != nil || len(res.Rows) != 1 || res.Rows[0][0] != int64(1<<53-1) {
		t.Fatalf("2^53-1 in D1: %v %v", res, err)
	}
	f.mark(t)
	_, err = sys.Create(ctx, "NOTE", map[string]any{"title": "over", "n": int64(1<<53 + 1)})
	var ve *runtime.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "n" {
		t.Fatalf("err = %v, want a ValidationError on n", err)
	}
	if reqs := f.requests(t); len(reqs) != 0 {
		t.Errorf("a refused create made requests: %v", reqs)
	}
}

// TestReconcileIntegerBeyondD1: a KV object holding an integer beyond
// 2^53-1 (written before the runtime refused them, or by another tool) has
// no D1 row that matches it on Cloudflare: D1 rounds the value. Reconcile
// reports it as a bad object naming the field, for a person to set, rather
// than "fixing" a stale row that is stale again on every run.
func TestReconcileIntegerBeyondD1(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, ds := openRuntime(t, retrySpec)
	r, err := ds.System().Create(ctx, "NOTE", map[string]any{"title": "big", "n": 1})
	if err != nil {
		t.Fatal(err)
	}
	nss, err := f.s.KV().Namespaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ns string
	for _, n := range nss {
		if strings.HasSuffix(n.Title, "-NOTE") || strings.Contains(strings.ToLower(n.Title), "note") {
			ns = n.ID
		}
	}
	if ns == "" {
		t.Fatalf("no NOTE namespace in %v", nss)
	}
	raw := `{"note_id":"` + r.ID() + `","title":"big","n":9007199254740993,"created_at":"2026-01-01T00:00:00.000Z","updated_at":"2026-01-01T00:00:00.000Z","deleted_at":null,"_auth":[]}`
	if err := f.s.KV().Put(ctx, ns, backend.Entry{Key: "note:" + r.ID(), Value: []byte(raw)}); err != nil {
		t.Fatal(err)
	}
	for run := 1; run <= 2; run++ {
		rep, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{Fix: true})
		if err != nil {
			t.Fatal(err)
		}
		var got []operator.Drift
		for _, m := range rep.Models {
			got = append(got, m.Drift...)
		}
		if len(got) != 1 || got[0].Kind != operator.DriftBadObject || got[0].Fixed ||
			!strings.HasPrefix(got[0].Problem, "n ") || !strings.Contains(got[0].Problem, "2^53-1") {
			t.Fatalf("run %d: drift %+v, want one bad_object on n", run, got)
		}
		if strings.Contains(got[0].Problem, "9007199254740993") {
			t.Errorf("problem %q holds the value", got[0].Problem)
		}
	}
}

// TestRuntimeWriteOutcomeUnknown: when every attempt of a save's or a
// delete's KV or D1 step loses its answer (the step may have run), the
// runtime reports a partial write naming the record, for `dmplan
// reconcile`, not a clean failure.
func TestRuntimeWriteOutcomeUnknown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, ds := openRuntime(t, retrySpec)
	sys := ds.System()
	rec, err := sys.Create(ctx, "NOTE", map[string]any{"title": "first"})
	if err != nil {
		t.Fatal(err)
	}
	token, err := sys.Create(ctx, "TOKEN", map[string]any{"label": "gone soon"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		fault cftest.Fault
		rec   *runtime.Record
		run   func() error
	}{
		{"save: kv put answer lost on every attempt", cftest.Fault{Drop: true, After: true, Count: 4}, rec, func() error {
			rec.Set("title", "kv lost")
			return rec.Save(ctx)
		}},
		{"save: 503 after the D1 upsert ran, every attempt", cftest.Fault{Status: 503, After: true, Count: 4, Skip: 1}, rec, func() error {
			rec.Set("title", "d1 lost")
			return rec.Save(ctx)
		}},
		{"soft delete: kv put answer lost on every attempt", cftest.Fault{Drop: true, After: true, Count: 4}, rec, func() error {
			return rec.Delete(ctx)
		}},
		{"hard delete: kv delete answer lost on every attempt", cftest.Fault{Drop: true, After: true, Count: 4}, token, func() error {
			return token.Delete(ctx)
		}},
		{"hard delete: D1 delete answer lost on every attempt", cftest.Fault{Drop: true, After: true, Count: 4, Skip: 1}, token, func() error {
			return token.Delete(ctx)
		}},
	}
	for _, tt := range tests {
		f.mark(t)
		tt.fault.Account = f.acct
		f.h.SetFault(t, tt.fault)
		err := tt.run()
		var pw *runtime.PartialWriteError
		if !errors.As(err, &pw) || len(pw.IDs) != 1 || pw.IDs[0] != tt.rec.ID() || !errors.Is(err, backend.ErrOutcomeUnknown) {
			t.Errorf("%s: err = %v, want a PartialWriteError naming %s and wrapping ErrOutcomeUnknown", tt.name, err, tt.rec.ID())
		}
		if !strings.Contains(fmt.Sprint(err), "dmplan reconcile") {
			t.Errorf("%s: err = %v, want it to name dmplan reconcile", tt.name, err)
		}
	}
}
