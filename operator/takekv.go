package operator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/runtime"
)

// What TakeKV did to one record (TakeD1Result.Outcome).
const (
	// TookRowRewritten: the D1 row was rewritten from the KV object.
	TookRowRewritten = "rewrote_d1_row"
	// TookRowCreated: D1 had no row; it was written from the KV object.
	TookRowCreated = "created_d1_row"
	// TookRowRemoved: KV has no object for the id, so the D1 row was
	// deleted (as -prune-orphans would).
	TookRowRemoved = "removed_d1_row"
)

// TakeKV makes the D1 rows of the ids agree with their KV objects,
// whatever the rows hold: the other side of TakeD1, for a record whose
// KV object and D1 row are two different creates (Drift.OtherCreate) when
// the person keeps the KV object. For each id the row is written from the
// object with the projection and upsert Save uses; with no KV object the
// row is deleted. KV is never written. A row D1 refuses for a constraint
// is an error naming it (nothing is written for that id). Run it when the
// records' writers are quiet.
//
// It costs one D1 read and one bulk KV read per 100 ids, then one D1
// write per record that differs.
func TakeKV(ctx context.Context, ds *runtime.Datastore, model string, ids []string) ([]TakeD1Result, error) {
	start := time.Now()
	s, err := ds.Storage(model)
	if err != nil {
		return nil, fmt.Errorf("take kv: %w", err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("take kv %s: %w: no ids", model, runtime.ErrInvalid)
	}
	ns, err := s.Namespace(ctx)
	if err != nil {
		return nil, fmt.Errorf("take kv %s: %w", model, err)
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		if keys[i], err = s.Key(id); err != nil || id == "" {
			return nil, fmt.Errorf("take kv %s: id %q: %w", model, id, errors.Join(runtime.ErrInvalid, err))
		}
	}
	rows, err := s.Rows(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("take kv %s: read d1 rows: %w", model, runtime.NotMigrated(err))
	}
	vals, err := ds.KV().GetMany(ctx, ns, keys)
	if err != nil {
		return nil, fmt.Errorf("take kv %s: kv get many: %w", model, runtime.NotMigrated(err))
	}
	out := make([]TakeD1Result, 0, len(ids))
	for i, id := range ids {
		res := TakeD1Result{ID: id, Key: keys[i], Outcome: TookNothing}
		raw, inKV := vals[keys[i]]
		have, inD1 := rows[id]
		switch {
		case !inD1 && !inKV:
			res.Outcome = TookNoRecord
		case !inKV:
			st := backend.Stmt{SQL: "DELETE FROM " + s.Table() + " WHERE " + s.QuotedPrimaryKey() + " = ?", Args: []any{id}}
			if _, err := ds.D1().Query(ctx, st); err != nil {
				return out, fmt.Errorf("take kv %s %s: delete d1 row: %w", model, id, runtime.NotMigrated(err))
			}
			res.Outcome = TookRowRemoved
		default:
			row, problem := s.Project(id, raw)
			if problem != "" {
				return out, fmt.Errorf("take kv %s %s: %w: KV key %s: %s", model, id, runtime.ErrInvalid, keys[i], problem)
			}
			if inD1 && sameRow(s, row, have) {
				break
			}
			if _, err := ds.D1().Batch(ctx, s.Upserts([][]any{row})); err != nil {
				if errors.Is(err, backend.ErrConstraint) {
					return out, fmt.Errorf("take kv %s %s: %w: D1 refuses the row: %s", model, id, backend.ErrConstraint, runtime.ConstraintName(err))
				}
				return out, fmt.Errorf("take kv %s %s: write d1 row: %w", model, id, runtime.NotMigrated(err))
			}
			res.Outcome = TookRowRewritten
			if !inD1 {
				res.Outcome = TookRowCreated
			}
		}
		ds.LogOp(ctx, "take_kv", model, id, start, res.Outcome, nil)
		out = append(out, res)
	}
	return out, nil
}

func sameRow(s *runtime.Storage, want, have []any) bool {
	for i := range s.Columns() {
		if !s.SameColumnValue(i, want[i], have[i]) {
			return false
		}
	}
	return true
}
