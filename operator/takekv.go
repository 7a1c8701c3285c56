package operator

import (
	"context"
	"errors"
	"fmt"

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
	return take(ctx, ds, "kv", model, ids, func(r takeRecord) (string, error) {
		s := r.s
		if !r.inKV {
			st := backend.Stmt{SQL: "DELETE FROM " + s.Table() + " WHERE " + s.QuotedPrimaryKey() + " = ?", Args: []any{r.id}}
			if _, err := ds.D1().Query(ctx, st); err != nil {
				return "", fmt.Errorf("take kv %s %s: delete d1 row: %w", model, r.id, runtime.NotMigrated(err))
			}
			return TookRowRemoved, nil
		}
		row, problem := s.Project(r.id, r.raw)
		if problem != "" {
			return "", fmt.Errorf("take kv %s %s: %w: KV key %s: %s", model, r.id, runtime.ErrInvalid, r.key, problem)
		}
		if r.inD1 && sameRow(s, row, r.row) {
			return TookNothing, nil
		}
		if _, err := ds.D1().Batch(ctx, s.Upserts([][]any{row})); err != nil {
			if errors.Is(err, backend.ErrConstraint) {
				return "", fmt.Errorf("take kv %s %s: %w: D1 refuses the row: %s", model, r.id, backend.ErrConstraint, runtime.ConstraintName(err))
			}
			return "", fmt.Errorf("take kv %s %s: write d1 row: %w", model, r.id, runtime.NotMigrated(err))
		}
		if !r.inD1 {
			return TookRowCreated, nil
		}
		return TookRowRewritten, nil
	})
}

func sameRow(s *runtime.Storage, want, have []any) bool {
	for i := range s.Columns() {
		if !s.SameColumnValue(i, want[i], have[i]) {
			return false
		}
	}
	return true
}
