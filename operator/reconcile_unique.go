package operator

import (
	"context"
	"fmt"
	"strings"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
)

// explainMissing sets the problem of the missing rows among found whose
// unique values another D1 row now holds. That is what a writer's INSERT
// OR REPLACE leaves behind: it deletes every row its new row collides
// with on any unique index, another record's row included, so KV holds
// two objects with the value and D1 one row. It costs one D1 batch of
// SELECTs (one per missing record and unique index), only for a page with
// missing rows on a model with unique indexes, and only in reconcile.
func (s *scan) explainMissing(ctx context.Context, cands []candidate, found []Drift) error {
	if !s.refuseRows {
		return nil
	}
	var unique []*hclspec.Index
	for _, idx := range s.m.Spec().D1.Indexes {
		if idx.Unique {
			unique = append(unique, idx)
		}
	}
	if len(unique) == 0 {
		return nil
	}
	rows := map[string][]any{}
	for _, c := range cands {
		rows[c.id] = c.row
	}
	type probe struct {
		at  int // index in found
		idx *hclspec.Index
	}
	var probes []probe
	var sts []backend.Stmt
	pk := "t." + s.m.QuotedPrimaryKey()
	for i, d := range found {
		if d.Kind != DriftMissingRow {
			continue
		}
		row := rows[d.ID]
		for _, idx := range unique {
			if idx.OnlyLive() {
				// A deleted record's row is not in an index of the live
				// rows (unique = "live"): it collides with nothing there.
				if at, err := s.m.Column("deleted_at"); err == nil && row[at] != nil {
					continue
				}
			}
			conds, args := make([]string, 0, len(idx.Columns)+1), make([]any, 0, len(idx.Columns)+1)
			for i, c := range idx.Columns {
				at, err := s.m.Column(c)
				if err != nil || row[at] == nil {
					conds = nil // NULLs never collide in a unique index; an expression key is not probed
					break
				}
				cond := "t." + backend.QuoteIdent(c) + " = ?"
				if i < len(idx.Keys) && idx.Keys[i].Collate != "" {
					cond += " COLLATE " + idx.Keys[i].Collate // the index compares with it
				}
				conds = append(conds, cond)
				args = append(args, row[at])
			}
			if len(conds) == 0 {
				continue
			}
			if c := idx.Condition(); c != "" {
				conds = append(conds, "("+c+")") // the holder is a row of the partial index
			}
			probes = append(probes, probe{i, idx})
			sts = append(sts, backend.Stmt{
				SQL:  "SELECT " + pk + s.m.From() + " WHERE " + strings.Join(conds, " AND ") + " AND " + pk + " != ? LIMIT 1",
				Args: append(args, d.ID),
			})
		}
	}
	for from := 0; from < len(sts); from += runtime.MaxBatchStatements {
		to := min(from+runtime.MaxBatchStatements, len(sts))
		res, err := s.ds.D1().Batch(ctx, sts[from:to])
		if err != nil {
			return fmt.Errorf("look for rows holding the unique values of missing rows: %w", runtime.NotMigrated(err))
		}
		for i, r := range res {
			p := probes[from+i]
			if len(r.Rows) == 0 || len(r.Rows[0]) == 0 || found[p.at].Problem != "" {
				continue
			}
			cols := strings.Join(p.idx.Columns, ", ")
			found[p.at].Problem = fmt.Sprintf("record %v holds the same %s in D1 (unique index %s), so this record's row cannot be written "+
				"(a write of that record with INSERT OR REPLACE, which deletes the rows it collides with, leaves exactly this); "+
				"give one of the two records another %s and save it, then run `dmplan reconcile -fix`",
				s.m.ColumnValue(0, r.Rows[0][0]), cols, p.idx.Name, cols)
		}
	}
	return nil
}

// joinProblems joins two problem texts with "; ".
func joinProblems(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
