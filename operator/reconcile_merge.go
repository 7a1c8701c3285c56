package operator

import (
	"context"
	"fmt"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/runtime"
)

// Reconcile finds orphan rows (D1 rows without a KV object) by merging two
// sorted streams: the KV listing, in key order, and the D1 rows, in
// primary key order. KV lists keys in byte order of their UTF-8 encoding,
// and SQLite's BINARY collation (named in every comparison below, whatever
// the column declares) compares text the same way, so for a key pattern
// prefix{id} the two orders are one. Each page of keys owns the interval
// of ids (lo, hi] from the previous page's highest id to its own; one
// range query reads the rows of that interval, which are the page's rows
// and the orphans among them, so memory holds one page whatever the
// record count.
//
// Nothing depends on the orders agreeing except cost: a page id below its
// interval (a key pattern with a suffix, say) is read by primary key, and
// a row whose id is not in its page's listing is only a candidate,
// checked against KV before it is called an orphan.

// mergeRows bounds the rows one range query returns beyond the page's
// own ids; an interval holding more rows takes more queries.
const mergeRows = 100

// merge is the state of the merge of D1 rows into a reconcile scan.
type merge struct {
	lo  string // the rows with ids up to lo have been read, when has
	has bool
	// listed buffers the first MaxDriftListed orphan rows, so the report
	// lists them after the other drift as before; counted says how many
	// were found in all.
	listed  []Drift
	counted int64
}

// mergePage reads the D1 rows of one page of keys: the rows of its
// interval by range, and by primary key the few candidates below it. Rows
// in the interval whose id the page does not hold are checked as orphan
// candidates.
func (s *scan) mergePage(ctx context.Context, ns string, keys []listed, vals map[string][]byte, cands []candidate) (map[string][]any, error) {
	lo, has := s.mg.lo, s.mg.has
	hi := lo
	present := make(map[string]bool, len(keys))
	for i, k := range keys {
		if (i == 0 && !has) || k.id > hi {
			hi = k.id
		}
		if _, ok := vals[k.key]; ok {
			present[k.id] = true
		}
	}
	live := make(map[string][]any, len(cands))
	if err := s.rangeRows(ctx, ns, lo, has, &hi, len(keys)+mergeRows, present, live); err != nil {
		return nil, err
	}
	s.mg.lo, s.mg.has = hi, true
	var below []candidate
	for _, c := range cands {
		if _, ok := live[c.id]; !ok && has && c.id <= lo {
			below = append(below, c)
		}
	}
	if len(below) > 0 {
		more, err := s.rows(ctx, below)
		if err != nil {
			return nil, err
		}
		for id, r := range more {
			live[id] = r
		}
	}
	return live, nil
}

// mergeTail reads the rows after the last page's interval (all rows when
// KV holds no object): every one is an orphan candidate.
func (s *scan) mergeTail(ctx context.Context, ns string) error {
	return s.rangeRows(ctx, ns, s.mg.lo, s.mg.has, nil, backend.MaxListLimit, nil, nil)
}

// rangeRows reads the rows with lo < id (when has) and id <= *hi (when
// hi is set), limit rows per query, keyset-paged by primary key. Rows of
// present ids go in live; the others are orphan candidates, checked after
// each query.
func (s *scan) rangeRows(ctx context.Context, ns, lo string, has bool, hi *string, limit int, present map[string]bool, live map[string][]any) error {
	m := s.m
	pk := "t." + m.QuotedPrimaryKey() + " COLLATE BINARY"
	intKey := m.Field(m.PrimaryKey()).Type == hclspec.Integer
	if intKey {
		// An integer key sorts as a number in D1 and as its decimal text
		// in the KV listing: compare the text, so the two orders are one.
		// No index serves it: each range query reads the whole table
		// (see TestReconcileIntegerKeys).
		pk = "CAST(t." + m.QuotedPrimaryKey() + " AS TEXT) COLLATE BINARY"
	}
	var after any // the last id read, as stored; nil reads from the first
	if has {
		after = lo
	}
	for {
		// NULL never compares, so no id is read twice and none is skipped
		// (a NULL id is no record's).
		where, args := " WHERE "+pk+" >= ''", []any{}
		if after != nil {
			where, args = " WHERE "+pk+" > ?", append(args, after)
		}
		if hi != nil {
			where, args = where+" AND "+pk+" <= ?", append(args, *hi)
		}
		args = append(args, int64(limit))
		res, err := s.ds.D1().Query(ctx, backend.Stmt{SQL: "SELECT " + m.SelectColumns() + m.From() + where + " ORDER BY " + pk + " LIMIT ?", Args: args})
		if err != nil {
			return fmt.Errorf("list d1 rows: %w", runtime.NotMigrated(err))
		}
		var cands []string
		for _, row := range res.Rows {
			if len(row) != len(m.Columns()) {
				return fmt.Errorf("list d1 rows: row of %d columns, want %d", len(row), len(m.Columns()))
			}
			s.rep.Rows++
			after = row[0]
			if intKey {
				after = m.RowID(row)
			}
			id := m.RowID(row)
			if present[id] {
				live[id] = row
			} else {
				cands = append(cands, id)
			}
		}
		if err := s.orphanCandidates(ctx, ns, cands); err != nil {
			return err
		}
		if len(res.Rows) < limit {
			return nil
		}
	}
}

// orphanCandidates checks rows whose ids the listing did not hold with a
// bulk KV read (an object written since the listing passed it is not an
// orphan), then reports, and with prune deletes, the orphans.
func (s *scan) orphanCandidates(ctx context.Context, ns string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	m := s.m
	keys := make([]string, 0, len(ids))
	keyOf := make(map[string]string, len(ids))
	for _, id := range ids {
		if k, err := m.Key(id); err == nil {
			keys = append(keys, k)
			keyOf[id] = k
		}
	}
	vals, err := s.ds.KV().GetMany(ctx, ns, keys)
	if err != nil {
		return fmt.Errorf("kv get many: %w", runtime.NotMigrated(err))
	}
	var orphans []Drift
	for _, id := range ids {
		k, ok := keyOf[id]
		if ok {
			if _, exists := vals[k]; exists {
				continue // written since the KV listing passed it
			}
		}
		orphans = append(orphans, Drift{Kind: DriftOrphanRow, ID: id, Key: k})
	}
	var perr error
	if s.prune && len(orphans) > 0 {
		perr = s.pruneRows(ctx, orphans)
	}
	for _, d := range orphans {
		s.rep.Orphans++
		if d.Fixed {
			s.rep.Fixed++
			s.rep.Pruned++
		}
		s.mg.counted++
		if len(s.mg.listed) < MaxDriftListed {
			s.mg.listed = append(s.mg.listed, d)
		}
	}
	return perr
}

// flushOrphans lists the orphans found after the other drift, within
// MaxDriftListed.
func (s *scan) flushOrphans() {
	for _, d := range s.mg.listed {
		if len(s.rep.Drift) < MaxDriftListed {
			s.rep.Drift = append(s.rep.Drift, d)
		} else {
			s.rep.Truncated = true
		}
	}
	if s.mg.counted > int64(len(s.mg.listed)) {
		s.rep.Truncated = true
	}
	s.mg.listed = nil
}
