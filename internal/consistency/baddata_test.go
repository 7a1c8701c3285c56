package consistency

import (
	"context"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
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
			var want []string
			for key := range bad {
				want = append(want, "PAGE "+strings.TrimPrefix(key, "page:")+" bad_object")
			}
			want = append(want, "PAGE "+good.ID()+" stale_row")
			converge(t, ctx, spec, be, want)

			sys := ds.System()
			for _, id := range []string{"notjson", "array", "null"} {
				_, err := sys.Get(ctx, "PAGE", id)
				if err == nil || !strings.Contains(err.Error(), "KV key page:"+id) {
					t.Errorf("Get %s: %v; want an error naming the key", id, err)
				}
			}
			for _, id := range []string{"notitle", "badtypes", "wrongid", "badenum"} {
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
