package operator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dmplan/dmplan/runtime"
)

// takeRecord is what both sides hold for one id TakeD1 or TakeKV is
// asked to settle.
type takeRecord struct {
	s       *runtime.Storage
	ns      string // the model's KV namespace id
	id, key string
	raw     []byte // the KV object, when inKV
	inKV    bool
	row     []any // the D1 row, when inD1
	inD1    bool
}

// take is the part TakeD1 and TakeKV share: it checks the ids, reads
// their D1 rows and KV objects in bulk (one D1 read and one bulk KV read
// per 100 ids), then settles each id held by either side with settle,
// which returns the outcome (TookNothing when it changed nothing) or an
// error that stops the run. An id neither side holds is TookNoRecord. Each
// outcome is logged as operation "take_<side>"; errors start "take <side>".
func take(ctx context.Context, ds *runtime.Datastore, side, model string, ids []string, settle func(r takeRecord) (string, error)) ([]TakeD1Result, error) {
	start := time.Now()
	s, err := ds.Storage(model)
	if err != nil {
		return nil, fmt.Errorf("take %s: %w", side, err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("take %s %s: %w: no ids", side, model, runtime.ErrInvalid)
	}
	ns, err := s.Namespace(ctx)
	if err != nil {
		return nil, fmt.Errorf("take %s %s: %w", side, model, err)
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		if keys[i], err = s.Key(id); err != nil || id == "" {
			return nil, fmt.Errorf("take %s %s: id %q: %w", side, model, id, errors.Join(runtime.ErrInvalid, err))
		}
	}
	rows, err := s.Rows(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("take %s %s: read d1 rows: %w", side, model, runtime.NotMigrated(err))
	}
	vals, err := ds.KV().GetMany(ctx, ns, keys)
	if err != nil {
		return nil, fmt.Errorf("take %s %s: kv get many: %w", side, model, runtime.NotMigrated(err))
	}
	out := make([]TakeD1Result, 0, len(ids))
	for i, id := range ids {
		res := TakeD1Result{ID: id, Key: keys[i], Outcome: TookNoRecord}
		r := takeRecord{s: s, ns: ns, id: id, key: keys[i]}
		r.raw, r.inKV = vals[keys[i]]
		r.row, r.inD1 = rows[id]
		if r.inKV || r.inD1 {
			if res.Outcome, err = settle(r); err != nil {
				return out, err
			}
		}
		ds.LogOp(ctx, "take_"+side, model, id, start, res.Outcome, nil)
		out = append(out, res)
	}
	return out, nil
}
