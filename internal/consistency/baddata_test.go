package consistency

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
)

// TestBadStoredData puts values no Save would write into KV and D1, on
// each backend: reconcile and the runtime name the key, nothing panics,
// and the KV values stay byte for byte.
func TestBadStoredData(t *testing.T) {
	bad := map[string]string{
		"page:notjson":  `{"title": `,
		"page:array":    `["a"]`,
		"page:null":     `null`,
		"page:notitle":  `{"rank": 3}`,
		"page:badtypes": `{"title": 7, "rank": "high"}`,
		"page:wrongid":  `{"page_id": "other", "title": "x"}`,
		"page:badenum":  `{"title": "x", "status": "exploded"}`,
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			ctx := context.Background()
			be := k.open(t)
			spec := loadSpec(t, false)
			migrate(t, ctx, spec, be, applier.Options{})
			ds := open(t, ctx, spec, be)
			good, err := ds.System().Create(ctx, "PAGE", map[string]any{"page_id": "good", "title": "fine"})
			if err != nil {
				t.Fatal(err)
			}
			nss, err := be.KV().Namespaces(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var ns string
			for _, n := range nss {
				if n.Title == "cons-"+env+"-PAGE" {
					ns = n.ID
				}
			}
			for key, v := range bad {
				if err := be.KV().Put(ctx, ns, backend.Entry{Key: key, Value: []byte(v)}); err != nil {
					t.Fatal(err)
				}
			}
			// D1 rows of the wrong type: text in the integer column, a
			// number in a text column; and a row for a bad object.
			for _, st := range []string{
				`UPDATE page SET rank = 'not a number', title = 42 WHERE page_id = 'good'`,
				`INSERT INTO page (page_id, title, rank) VALUES ('notjson', x'00ff', 1.5)`,
			} {
				if _, err := be.D1().Query(ctx, backend.Stmt{SQL: st}); err != nil {
					t.Fatal(err)
				}
			}
			// Bad objects are what the runtime cannot read. It reads the
			// others (values of the wrong type or outside the enum are
			// kept by its updates), so their rows are missing, and a fix
			// writes them as stored, but for notitle: its title column is
			// NOT NULL, so D1 refuses it until someone sets the title.
			var want []string
			for key := range bad {
				kind := "bad_object"
				switch key {
				case "page:notitle", "page:badtypes", "page:badenum":
					kind = "missing_row"
				}
				want = append(want, "PAGE "+strings.TrimPrefix(key, "page:")+" "+kind)
			}
			want = append(want, "PAGE "+good.ID()+" stale_row")
			convergeLeaving(t, ctx, spec, be, want, []string{"PAGE notitle missing_row"})

			sys := ds.System()
			for _, id := range []string{"notjson", "array", "null", "wrongid"} {
				_, err := sys.Get(ctx, "PAGE", id)
				if err == nil || !strings.Contains(err.Error(), "KV key page:"+id) {
					t.Errorf("Get %s: %v; want an error naming the key", id, err)
				}
			}
			for _, id := range []string{"notitle", "badtypes", "badenum"} {
				if _, err := sys.Get(ctx, "PAGE", id); err != nil {
					t.Logf("Get %s: %v", id, err) // decodable objects may load; what matters is no panic
				}
			}
			res, err := sys.Query("PAGE").WithData().Limit(100).List(ctx)
			if err == nil {
				t.Errorf("hydrating the bad object's row succeeded: %d rows", len(res.Data))
			} else if !strings.Contains(err.Error(), "KV key page:notjson") {
				t.Errorf("query error does not name the key: %v", err)
			}
			if _, err := sys.Query("PAGE").Limit(100).List(ctx); err != nil {
				t.Errorf("D1-only query over wrong-typed rows: %v", err)
			}
		})
	}
}

// convergeLeaving is converge for drift a fix cannot repair: reconcile
// finds exactly want, and after a fix exactly the orphan rows, the bad
// objects and left remain, with the KV objects unchanged.
func convergeLeaving(t *testing.T, ctx context.Context, spec *hclspec.Spec, be backend.Backend, want, left []string) {
	t.Helper()
	ds := open(t, ctx, spec, be)
	rep, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{})
	if err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, drift(rep)); diff != "" {
		t.Errorf("drift found (-want +got):\n%s", diff)
	}
	before := kvAll(t, ctx, spec, be.KV())
	if _, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{Fix: true}); err != nil {
		t.Fatalf("reconcile fix: %v", err)
	}
	after, err := operator.Reconcile(ctx, ds, operator.ReconcileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	remain := append([]string{}, left...)
	for _, w := range want {
		if strings.HasSuffix(w, operator.DriftOrphanRow) || strings.HasSuffix(w, operator.DriftBadObject) {
			remain = append(remain, w)
		}
	}
	sort.Strings(remain)
	if diff := cmp.Diff(remain, drift(after)); diff != "" {
		t.Errorf("drift after fix (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, kvAll(t, ctx, spec, be.KV())); diff != "" {
		t.Errorf("KV changed by the fix (-before +after):\n%s", diff)
	}
}
