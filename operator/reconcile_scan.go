package operator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
)

// scan streams one model's KV objects page by page, compares each with its
// D1 row and, with fix, rewrites the rows that differ. Reconcile and
// Backfill are both a scan.
//
// Its memory does not grow with the record count: it holds one page of
// keys, objects and rows at a time. Orphan rows are found by merging the
// KV listing with the D1 rows in the same order (see reconcile_merge.go).
type scan struct {
	ds  *runtime.Datastore
	m   *runtime.Storage
	fix bool
	// refuseRows (reconcile) reports the rows D1 refuses for a constraint
	// and writes the others; a backfill fails on them instead.
	refuseRows bool
	// prune deletes the orphan rows (reconcile PruneOrphans).
	prune    bool
	progress func(Progress)
	// stop, when closed, ends the scan between pages (backfill's Stop).
	stop     <-chan struct{}
	pageSize int
	rep      *ModelReconcile

	// fill, when set, makes the scan a backfill of these columns
	// (indexes in m.cols): every page is written without reading D1 first
	// (see fill.go), and orphan rows are not looked for.
	fill []int
	// after skips keys up to and including it (a resumed backfill).
	after string
	// onPage, when set, returns the progress statement of a page, given
	// its last key (backfill progress). It ends the page's last write
	// batch, after its rows.
	onPage func(lastKey string, done int64) (backend.Stmt, error)

	// mg is the state of the merge of the D1 rows into a reconcile (see
	// reconcile_merge.go).
	mg merge

	start   time.Time
	total   int64
	done    int64
	written int64
}

type listed struct{ id, key string }

type candidate struct {
	id, key string
	row     []any
}

func (s *scan) run(ctx context.Context) error {
	ns, err := s.m.Namespace(ctx)
	if err != nil {
		return err
	}
	s.start, s.total = time.Now(), -1
	if s.progress != nil {
		res, err := s.ds.D1().Query(ctx, backend.Stmt{SQL: "SELECT COUNT(*)" + s.m.From()})
		if err != nil {
			return fmt.Errorf("count d1 rows: %w", runtime.NotMigrated(err))
		}
		if len(res.Rows) == 1 && len(res.Rows[0]) == 1 {
			if n, ok := res.Rows[0][0].(int64); ok {
				s.total = n
			}
		}
	}
	size := s.pageSize
	if size <= 0 || size > backend.MaxListLimit {
		size = backend.MaxListLimit
	}
	prefix := s.m.Spec().KV.Prefix()
	cursor := ""
	for {
		page, err := s.ds.KV().List(ctx, ns, prefix, cursor, size)
		if err != nil {
			return fmt.Errorf("list kv keys: %w", runtime.NotMigrated(err))
		}
		var keys []listed
		for _, k := range page.Keys {
			if s.after != "" && k.Name <= s.after {
				continue
			}
			if id, ok := s.m.IDFromKey(k.Name); ok {
				keys = append(keys, listed{id, k.Name})
			}
		}
		if len(keys) > 0 {
			if err := s.page(ctx, ns, keys); err != nil {
				return err
			}
		}
		if page.Cursor == "" {
			break
		}
		select {
		case <-s.stop:
			return fmt.Errorf("%w after %d records", applier.ErrInterrupted, s.done)
		default:
		}
		cursor = page.Cursor
	}
	if s.fill == nil {
		if err := s.mergeTail(ctx, ns); err != nil {
			return err
		}
		s.flushOrphans()
	}
	return nil
}

// page checks one page of keys: one bulk KV read, one D1 read of the
// page's rows and, when rows must be written, the writes.
func (s *scan) page(ctx context.Context, ns string, keys []listed) error {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.key
	}
	vals, err := s.ds.KV().GetMany(ctx, ns, names)
	if err != nil {
		return fmt.Errorf("kv get many: %w", runtime.NotMigrated(err))
	}
	var cands []candidate
	for _, k := range keys {
		raw, ok := vals[k.key]
		if !ok {
			continue // deleted since it was listed
		}
		s.done++
		s.rep.Objects++
		row, problem := s.m.Project(k.id, raw)
		if problem != "" {
			s.rep.add(Drift{Kind: DriftBadObject, ID: k.id, Key: k.key, Problem: problem})
			continue
		}
		cands = append(cands, candidate{k.id, k.key, row})
	}
	if s.fill != nil {
		return s.fillPage(ctx, cands, keys[len(keys)-1].key)
	}
	live, err := s.mergePage(ctx, ns, keys, vals, cands)
	if err != nil {
		return err
	}
	var writes [][]any
	var found []Drift
	for _, c := range cands {
		d := Drift{ID: c.id, Key: c.key}
		if have, ok := live[c.id]; !ok {
			d.Kind = DriftMissingRow
		} else if cols := s.differ(c.row, have); len(cols) > 0 {
			d.Kind, d.Columns = DriftStaleRow, cols
			if s.refuseRows && s.otherCreate(c.row, have) {
				// Not a partial write of an update (updates keep
				// created_at): a person decides, -fix never picks.
				d.OtherCreate = true
				d.Problem = "created_at differs: the KV object and the D1 row are two different creates of this id (a create that lost the id to the row's and was killed before its D1 step?); not rewritten"
				found = append(found, d)
				continue
			}
		} else {
			continue
		}
		found = append(found, d)
		writes = append(writes, c.row)
	}
	if err := s.explainMissing(ctx, cands, found); err != nil {
		return err
	}
	var werr error
	var refused map[string]string
	var wrote map[string]bool
	if s.fix && len(writes) > 0 {
		refused, wrote, werr = s.write(ctx, writes)
	}
	for _, d := range found {
		if d.OtherCreate {
			s.rep.add(d)
			continue
		}
		if why, ok := refused[d.ID]; ok {
			d.Problem, d.Refused = joinProblems(d.Problem, why), true
		} else {
			d.Fixed = s.fix && (wrote[d.ID] || (werr == nil && wrote == nil))
		}
		s.rep.add(d)
	}
	if werr != nil {
		return werr
	}
	if s.progress != nil {
		s.progress(s.snapshot())
	}
	return nil
}

// rows reads the D1 rows of the candidates in one batch of SELECTs, by
// primary key.
func (s *scan) rows(ctx context.Context, cands []candidate) (map[string][]any, error) {
	out := make(map[string][]any, len(cands))
	if len(cands) == 0 {
		return out, nil
	}
	m := s.m
	ids := make([]any, len(cands))
	for i, c := range cands {
		ids[i] = c.id
	}
	res, err := s.ds.D1().Batch(ctx, byIDs("SELECT "+m.SelectColumns()+m.From()+" WHERE t."+m.QuotedPrimaryKey(), ids))
	if err != nil {
		return nil, fmt.Errorf("read d1 rows: %w", runtime.NotMigrated(err))
	}
	for _, r := range res {
		for _, row := range r.Rows {
			if len(row) != len(m.Columns()) {
				return nil, fmt.Errorf("read d1 rows: row of %d columns, want %d", len(row), len(m.Columns()))
			}
			if id := m.RowID(row); id != "" {
				out[id] = row
			}
		}
	}
	return out, nil
}

// otherCreate reports whether the projection and the D1 row hold
// different created_at instants, both set: the runtime never changes
// created_at after a create, so they are two creates of the id, not an
// update whose D1 step did not land. A model without timestamps has no
// such signal.
func (s *scan) otherCreate(want, have []any) bool {
	for i, f := range s.m.Columns() {
		if f.BuiltIn && f.Name == hclspec.FieldCreatedAt {
			return want[i] != nil && have[i] != nil && !s.m.SameColumnValue(i, want[i], have[i])
		}
	}
	return false
}

// differ returns the columns whose D1 value is not the projection's.
func (s *scan) differ(want, have []any) []string {
	var cols []string
	for i := range s.m.Columns() {
		if !s.m.SameColumnValue(i, want[i], have[i]) {
			cols = append(cols, s.m.Columns()[i].Name)
		}
	}
	return cols
}

// write upserts rows in batches of runtime.MaxBatchStatements statements. When
// reconcile's fix (refuseRows) meets a constraint the rows break (two
// KV objects with the same value of a unique column, say), it writes them
// again in halves until the refused rows are alone (see writeSplit), so
// one conflict does not keep every other row unrepaired. refused maps the
// id of each row D1 refused to why; wrote holds the ids written on that
// path, which count as fixed even when a later error stops the page.
func (s *scan) write(ctx context.Context, rows [][]any) (refused map[string]string, wrote map[string]bool, err error) {
	sts := s.m.Upserts(rows)
	for from := 0; from < len(sts); from += runtime.MaxBatchStatements {
		to := min(from+runtime.MaxBatchStatements, len(sts))
		if _, err := s.ds.D1().Batch(ctx, sts[from:to]); err != nil {
			if s.refuseRows && errors.Is(err, backend.ErrConstraint) {
				refused, wrote = map[string]string{}, map[string]bool{}
				err := s.writeSplit(ctx, rows, refused, wrote)
				return refused, wrote, err
			}
			return nil, nil, s.writeError(rows, err)
		}
	}
	s.written += int64(len(rows))
	return nil, nil, nil
}

// writeSplit writes rows, halving a batch D1 refuses for a constraint
// until each refused row is alone: about 2k·log2(n) requests for k refused
// rows among n, not one per row. Batches are atomic, so a refused batch
// wrote nothing, and rows written before are written again unchanged.
func (s *scan) writeSplit(ctx context.Context, rows [][]any, refused map[string]string, wrote map[string]bool) error {
	if len(rows) == 0 {
		return nil
	}
	sts := s.m.Upserts(rows)
	var err error
	if len(sts) <= runtime.MaxBatchStatements {
		if _, err = s.ds.D1().Batch(ctx, sts); err == nil {
			s.written += int64(len(rows))
			for _, r := range rows {
				wrote[fmt.Sprint(r[0])] = true
			}
			return nil
		}
		if !errors.Is(err, backend.ErrConstraint) {
			return s.writeError(rows, err)
		}
		if len(rows) == 1 {
			refused[fmt.Sprint(rows[0][0])] = "not rewritten, D1 refuses the row: " + runtime.ConstraintName(err)
			return nil
		}
	}
	half := len(rows) / 2
	if err := s.writeSplit(ctx, rows[:half], refused, wrote); err != nil {
		return err
	}
	return s.writeSplit(ctx, rows[half:], refused, wrote)
}

func (s *scan) writeError(rows [][]any, err error) error {
	ids := make([]string, 0, 5)
	for _, r := range rows[:min(5, len(rows))] {
		ids = append(ids, fmt.Sprint(r[0]))
	}
	more := ""
	if len(rows) > 5 {
		more = fmt.Sprintf(" and %d more", len(rows)-5)
	}
	return fmt.Errorf("rewrite d1 rows of %s %s%s: %w", s.m.Model(), strings.Join(ids, ", "), more, runtime.NotMigrated(err))
}

// pruneRows deletes the orphan rows, 100 ids per DELETE, in batches of
// MaxBatchStatements statements, marking those deleted as fixed.
func (s *scan) pruneRows(ctx context.Context, orphans []Drift) error {
	m := s.m
	ids := make([]any, len(orphans))
	for i, d := range orphans {
		ids[i] = d.ID
	}
	sts := byIDs("DELETE FROM "+m.Table()+" WHERE "+m.QuotedPrimaryKey(), ids)
	for from := 0; from < len(sts); from += runtime.MaxBatchStatements {
		to := min(from+runtime.MaxBatchStatements, len(sts))
		if _, err := s.ds.D1().Batch(ctx, sts[from:to]); err != nil {
			return fmt.Errorf("delete orphan rows: %w", runtime.NotMigrated(err))
		}
		for i := from * backend.MaxParams; i < min(to*backend.MaxParams, len(orphans)); i++ {
			orphans[i].Fixed = true
		}
	}
	return nil
}

// byIDs returns head + " IN (?, ...)" over ids, one statement per
// backend.MaxParams ids: statement i holds ids[i*MaxParams:].
func byIDs(head string, ids []any) []backend.Stmt {
	var sts []backend.Stmt
	for from := 0; from < len(ids); from += backend.MaxParams {
		to := min(from+backend.MaxParams, len(ids))
		chunk := ids[from:to:to]
		sts = append(sts, backend.Stmt{SQL: head + " IN (?" + strings.Repeat(", ?", len(chunk)-1) + ")", Args: chunk})
	}
	return sts
}

func (s *scan) snapshot() Progress {
	p := Progress{Model: s.m.Model(), Done: s.done, Total: s.total, Written: s.written, Elapsed: time.Since(s.start)}
	if secs := p.Elapsed.Seconds(); secs > 0 {
		p.Rate = float64(p.Done) / secs
	}
	if p.Rate > 0 && p.Total > p.Done {
		p.ETA = time.Duration(float64(p.Total-p.Done) / p.Rate * float64(time.Second))
	}
	return p
}
