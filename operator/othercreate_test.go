package operator_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/runtime"
)

// TestReconcileOtherCreateIsADecision: process A's create of id x is
// acknowledged (KV object and D1 row); process B's create of x passed its
// taken-id check, overwrote A's KV object and was killed before its
// INSERT (which D1 would have refused). -fix must not copy B's
// never-acknowledged object over A's row: created_at tells the two
// creates apart, so reconcile names the record as a decision with both
// commands, and each command converges.
func TestReconcileOtherCreateIsADecision(t *testing.T) {
	for _, keep := range []string{"d1", "kv"} {
		t.Run("keep_"+keep, func(t *testing.T) {
			e := setup(t)
			if _, err := e.ds.System().Create(e.ctx, "PUBLIC", map[string]any{"public_id": "x", "name": "from A"}); err != nil {
				t.Fatal(err)
			}
			// B's object: its own create of x, a little later.
			raw := e.kvValue(t, "PUBLIC", "public:x")
			var obj map[string]any
			if err := json.Unmarshal(raw, &obj); err != nil {
				t.Fatal(err)
			}
			later := e.clock.Now().Add(3 * time.Second).UTC().Format(time.RFC3339Nano)
			obj["name"], obj["created_at"], obj["updated_at"] = "from B", later, later
			b, _ := json.Marshal(obj)
			e.putRaw(t, "PUBLIC", "public:x", string(b))

			for _, fix := range []bool{false, true} {
				rep, err := operator.Reconcile(e.ctx, e.ds, operator.ReconcileOptions{Models: []string{"PUBLIC"}, Fix: fix})
				if err != nil {
					t.Fatal(err)
				}
				d := driftOf(t, rep, "PUBLIC")
				if len(d) != 1 || d[0].ID != "x" || d[0].Kind != operator.DriftStaleRow || !d[0].OtherCreate || d[0].Fixed ||
					!strings.Contains(d[0].Problem, "created_at differs") {
					t.Fatalf("fix=%v: drift = %+v, want x named as another create, not fixed", fix, d)
				}
				if rep.Unrepaired() != 1 || len(rep.Refused()["PUBLIC"]) != 1 {
					t.Errorf("fix=%v: unrepaired %d, decisions %v", fix, rep.Unrepaired(), rep.Refused())
				}
				if row := e.d1Row(t, "public", "public_id", "x"); row["name"] != "from A" {
					t.Fatalf("fix=%v: D1 row = %v, want A's acknowledged row kept", fix, row)
				}
			}

			want := "from A"
			if keep == "d1" {
				res, err := operator.TakeD1(e.ctx, e.ds, "PUBLIC", []string{"x"})
				if err != nil || len(res) != 1 || res[0].Outcome != operator.TookRewritten {
					t.Fatalf("take d1: %+v %v", res, err)
				}
			} else {
				want = "from B"
				res, err := operator.TakeKV(e.ctx, e.ds, "PUBLIC", []string{"x"})
				if err != nil || len(res) != 1 || res[0].Outcome != operator.TookRowRewritten {
					t.Fatalf("take kv: %+v %v", res, err)
				}
			}
			rep, err := operator.Reconcile(e.ctx, e.ds, operator.ReconcileOptions{Models: []string{"PUBLIC"}})
			if err != nil || rep.Drifted() {
				t.Fatalf("after take-%s: %+v %v", keep, driftOf(t, rep, "PUBLIC"), err)
			}
			r, err := e.ds.System().Get(e.ctx, "PUBLIC", "x")
			if err != nil || r.Get("name") != want {
				t.Errorf("after take-%s: %v %v, want name %q", keep, r.Data(), err, want)
			}
			if row := e.d1Row(t, "public", "public_id", "x"); row["name"] != want {
				t.Errorf("after take-%s: D1 row %v", keep, row)
			}
		})
	}
}

// TestReconcileSameCreatedAtStillFixes: a stale row with the same
// created_at instant (written in another form, as a JS Worker might) is
// a partial write of an update, and -fix still rewrites it; TakeKV of an
// id without a KV object removes the row.
func TestReconcileSameCreatedAtStillFixes(t *testing.T) {
	e := setup(t)
	if _, err := e.ds.System().Create(e.ctx, "PUBLIC", map[string]any{"public_id": "y", "name": "old"}); err != nil {
		t.Fatal(err)
	}
	raw := e.kvValue(t, "PUBLIC", "public:y")
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		t.Fatal(err)
	}
	ts, _ := time.Parse(time.RFC3339Nano, obj["created_at"].(string))
	obj["name"], obj["created_at"] = "new", ts.In(time.FixedZone("", 2*3600)).Format(time.RFC3339Nano)
	b, _ := json.Marshal(obj)
	e.putRaw(t, "PUBLIC", "public:y", string(b))
	rep, err := operator.Reconcile(e.ctx, e.ds, operator.ReconcileOptions{Fix: true, Models: []string{"PUBLIC"}})
	if err != nil || rep.Unrepaired() != 0 {
		t.Fatalf("fix: %+v %v", driftOf(t, rep, "PUBLIC"), err)
	}
	if row := e.d1Row(t, "public", "public_id", "y"); row["name"] != "new" {
		t.Errorf("D1 row = %v, want KV's update", row)
	}

	e.exec(t, `INSERT INTO public (public_id, name) VALUES ('ghost', 'g')`)
	res, err := operator.TakeKV(e.ctx, e.ds, "PUBLIC", []string{"ghost", "y", "nobody"})
	if err != nil || len(res) != 3 || res[0].Outcome != operator.TookRowRemoved || res[1].Outcome != operator.TookNothing || res[2].Outcome != operator.TookNoRecord {
		t.Fatalf("take kv: %+v %v", res, err)
	}
	if e.d1Row(t, "public", "public_id", "ghost") != nil {
		t.Error("ghost row kept")
	}
	if _, err := operator.TakeKV(e.ctx, e.ds, "PUBLIC", nil); !errors.Is(err, runtime.ErrInvalid) {
		t.Errorf("no ids: %v, want ErrInvalid", err)
	}
}
