package operator

import (
	"context"
	"strings"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/runtime"
)

// fillPage writes one page of a backfill: the projection of every object
// with one multi-row upsert per backend.MaxParams parameters, which
// inserts a missing row whole and, for a row that exists, sets only the
// filled columns, and only where they differ:
//
//	INSERT INTO "t" (every column) VALUES (...), ...
//	ON CONFLICT ("pk") DO UPDATE SET "c" = excluded."c" WHERE "t"."c" IS NOT excluded."c"
//
// So D1 writes (and bills) one row per record whose columns change and
// none for a row already filled, with no read of the rows first. The
// page's progress statement (onPage) ends its last batch, after the rows:
// batches run in order and each is atomic, so a crash between two batches
// of a page leaves its progress unwritten, and a resumed run checks the
// page again. Every page records its progress, from the first, including
// a page with nothing to write.
func (s *scan) fillPage(ctx context.Context, cands []candidate, lastKey string) error {
	rows := make([][]any, len(cands))
	for i, c := range cands {
		rows[i] = c.row
	}
	sts := fillUpserts(s.m, s.fill, rows)
	if s.onPage != nil {
		st, err := s.onPage(lastKey, s.done)
		if err != nil {
			return err
		}
		sts = append(sts, st)
	}
	written := int64(0)
	for from := 0; from < len(sts); from += runtime.MaxBatchStatements {
		to := min(from+runtime.MaxBatchStatements, len(sts))
		res, err := s.ds.D1().Batch(ctx, sts[from:to])
		if err != nil {
			return s.writeError(rows, err)
		}
		for i, r := range res {
			if from+i < len(sts)-1 || s.onPage == nil {
				written += r.Changes
			}
		}
	}
	s.written += written
	if s.progress != nil {
		s.progress(s.snapshot())
	}
	return nil
}

// fillUpserts returns fillPage's statements for rows (whole projections),
// filling the columns cols (indexes in m.Columns()).
func fillUpserts(m *runtime.Storage, cols []int, rows [][]any) []backend.Stmt {
	if len(rows) == 0 {
		return nil
	}
	all := m.Columns()
	names := make([]string, len(all))
	for i, f := range all {
		names[i] = backend.QuoteIdent(f.Name)
	}
	set := make([]string, len(cols))
	differs := make([]string, len(cols))
	for j, i := range cols {
		set[j] = names[i] + " = excluded." + names[i]
		differs[j] = m.Table() + "." + names[i] + " IS NOT excluded." + names[i]
	}
	head := "INSERT INTO " + m.Table() + " (" + strings.Join(names, ", ") + ") VALUES "
	holders := "(?" + strings.Repeat(", ?", len(all)-1) + ")"
	tail := " ON CONFLICT (" + names[0] + ") DO UPDATE SET " + strings.Join(set, ", ") + " WHERE " + strings.Join(differs, " OR ")
	per := backend.MaxParams / len(all)
	var sts []backend.Stmt
	for from := 0; from < len(rows); from += per {
		chunk := rows[from:min(from+per, len(rows))]
		var b strings.Builder
		b.Grow(len(head) + len(chunk)*(len(holders)+2) + len(tail))
		b.WriteString(head)
		args := make([]any, 0, len(chunk)*len(all))
		for k, r := range chunk {
			if k > 0 {
				b.WriteString(", ")
			}
			b.WriteString(holders)
			args = append(args, r...)
		}
		b.WriteString(tail)
		sts = append(sts, backend.Stmt{SQL: b.String(), Args: args, Idempotent: true})
	}
	return sts
}
