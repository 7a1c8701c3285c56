package operator

import (
	"context"
	"fmt"

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
	// TookNothing: KV and D1 already agreed.
	TookNothing = "unchanged"
	// TookNoRecord: neither KV nor D1 holds the id (a mistyped id?);
	// nothing was done.
	TookNoRecord = "no_record"
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
	return take(ctx, ds, "d1", model, ids, func(r takeRecord) (string, error) {
		if !r.inD1 {
			if err := ds.KV().Delete(ctx, r.ns, r.key); err != nil {
				return "", fmt.Errorf("take d1 %s %s: kv delete: %w", model, r.id, err)
			}
			return TookRemoved, nil
		}
		val, err := r.s.ObjectFromRow(r.raw, r.row)
		if err != nil && r.raw != nil {
			val, err = r.s.ObjectFromRow(nil, r.row) // the object is not valid JSON
		}
		if err != nil {
			return "", fmt.Errorf("take d1 %s %s: %w", model, r.id, err)
		}
		if r.inKV && string(val) == string(r.raw) {
			return TookNothing, nil
		}
		if err := ds.KV().Put(ctx, r.ns, backend.Entry{Key: r.key, Value: val}); err != nil {
			return "", fmt.Errorf("take d1 %s %s: kv put: %w", model, r.id, err)
		}
		if !r.inKV {
			return TookCreated, nil
		}
		return TookRewritten, nil
	})
}
