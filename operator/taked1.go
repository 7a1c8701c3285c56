package operator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/runtime"
)

// What TakeD1 did to one record.
const (
	// TookRemoved: D1 has no row for the id, so the KV object was
	// deleted (a create D1 never accepted).
	TookRemoved = "removed_kv_object"
	// TookRewritten: the KV object was rewritten to agree with the row.
	TookRewritten = "rewrote_kv_object"
	// TookCreated: KV had no object; one was built from the row.
	TookCreated = "created_kv_object"
	// TookNothing: KV and D1 had nothing for the id, or already agreed.
	TookNothing = "unchanged"
)

// TakeD1Result is what TakeD1 did to one record.
type TakeD1Result struct {
	ID      string `json:"id"`
	Key     string `json:"key"`
	Outcome string `json:"outcome"`
}

// TakeD1 makes the KV objects of the ids agree with their D1 rows, the
// last writes D1 accepted: the decision a person takes for a record whose
// KV object D1 refuses (Drift.Refused), typically a save killed while it
// took back a refused write. For each id, with no D1 row the KV object is
// deleted; otherwise every synced field of the object gets the row's
// value (fields stored in KV only keep the object's values, since D1
// never had them). It writes KV, the one reconcile operation that does,
// and only for the ids given. Run it when the records' writers are quiet:
// a save between its reads and its writes is overwritten.
//
// It costs one D1 read and one bulk KV read per 100 ids, then one KV
// write per record.
func TakeD1(ctx context.Context, ds *runtime.Datastore, model string, ids []string) ([]TakeD1Result, error) {
	start := time.Now()
	s, err := ds.Storage(model)
	if err != nil {
		return nil, fmt.Errorf("take d1: %w", err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("take d1 %s: %w: no ids", model, runtime.ErrInvalid)
	}
	ns, err := s.Namespace(ctx)
	if err != nil {
		return nil, fmt.Errorf("take d1 %s: %w", model, err)
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		if keys[i], err = s.Key(id); err != nil || id == "" {
			return nil, fmt.Errorf("take d1 %s: id %q: %w", model, id, errors.Join(runtime.ErrInvalid, err))
		}
	}
	rows, err := s.Rows(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("take d1 %s: read d1 rows: %w", model, runtime.NotMigrated(err))
	}
	vals, err := ds.KV().GetMany(ctx, ns, keys)
	if err != nil {
		return nil, fmt.Errorf("take d1 %s: kv get many: %w", model, runtime.NotMigrated(err))
	}
	out := make([]TakeD1Result, 0, len(ids))
	for i, id := range ids {
		res := TakeD1Result{ID: id, Key: keys[i], Outcome: TookNothing}
		raw, inKV := vals[keys[i]]
		row, inD1 := rows[id]
		switch {
		case !inD1 && inKV:
			if err := ds.KV().Delete(ctx, ns, keys[i]); err != nil {
				return out, fmt.Errorf("take d1 %s %s: kv delete: %w", model, id, err)
			}
			res.Outcome = TookRemoved
		case inD1:
			var base []byte
			if inKV {
				base = raw
			}
			val, err := s.ObjectFromRow(base, row)
			if err != nil && base != nil {
				val, err = s.ObjectFromRow(nil, row) // the object is not valid JSON
			}
			if err != nil {
				return out, fmt.Errorf("take d1 %s %s: %w", model, id, err)
			}
			if inKV && string(val) == string(raw) {
				break
			}
			if err := ds.KV().Put(ctx, ns, backend.Entry{Key: keys[i], Value: val}); err != nil {
				return out, fmt.Errorf("take d1 %s %s: kv put: %w", model, id, err)
			}
			res.Outcome = TookRewritten
			if !inKV {
				res.Outcome = TookCreated
			}
		}
		ds.LogOp(ctx, "take_d1", model, id, start, res.Outcome, nil)
		out = append(out, res)
	}
	return out, nil
}
