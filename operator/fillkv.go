package operator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

// DefaultFillKVPage is how many rows FillKV copies per page.
const DefaultFillKVPage = planner.FillKVPage

// FillKVOptions say which model's rows to copy into KV.
type FillKVOptions struct {
	Model string
	// RunID names the run (the plan id) in the progress row, kept in
	// BackfillTable under planner.FillKVProgressTarget(table). A fill of a
	// table that an earlier run left unfinished starts after the last
	// page it finished. Empty keeps no progress.
	RunID string
	// PageSize is the rows per page (DefaultFillKVPage when 0).
	PageSize int
	// Progress, when set, is called after every page.
	Progress func(Progress)
	// Stop, when closed, ends the fill after the page in flight (its
	// objects and progress written) with an error wrapping
	// applier.ErrInterrupted; a later run resumes after that page.
	Stop <-chan struct{}
}

// FillKVResult is what a fill did.
type FillKVResult struct {
	Model string `json:"model"`
	Table string `json:"table"`
	// Checked counts the rows read in this run; Written the KV objects
	// put; Kept the rows whose key already held an object (left alone:
	// the runtime wrote it, so it is as new as the row or newer);
	// Refreshed the objects put again because their row changed while
	// the page was copied; Bad the rows that cannot be an object (over
	// the KV key or value limit), reported and skipped.
	Checked   int64 `json:"checked"`
	Written   int64 `json:"written"`
	Kept      int64 `json:"kept"`
	Refreshed int64 `json:"refreshed"`
	Bad       int64 `json:"bad_rows"`
	// ResumedAfter is the last key of an earlier interrupted run, when
	// this one continued it.
	ResumedAfter string        `json:"resumed_after,omitempty"`
	Duration     time.Duration `json:"duration_ns"`
	// Cost is the D1 rows the fill read and wrote, its progress records
	// included.
	Cost backend.Cost `json:"cost"`
}

// FillKV copies every row of a model's table into a KV object under the
// model's key pattern: the step that gives a model that was D1-only
// (storage = "d1") its KV side. It pages through the table in primary
// key order, one page in memory at a time:
//
//  1. one D1 read of the page's rows (WHERE pk > last ORDER BY pk LIMIT n);
//  2. one bulk KV read of the page's keys; a key that holds an object is
//     left alone (the runtime's dual write put it there, KV first, so it
//     is at least as new as the row);
//  3. one bulk KV put of the objects of the missing keys;
//  4. one D1 read of those rows again: a row that changed (or went) while
//     the page was copied has its object put again (or deleted), so a
//     save that slipped between steps 2 and 3 is not undone;
//  5. with a RunID, the page's last key and count recorded in
//     BackfillTable (after the puts: a crash re-copies the page, which
//     step 2 makes harmless).
//
// So it is idempotent and resumable after a kill. What it cannot see is a
// save by a D1-only runtime (the old spec) after its row's page: deploy
// the runtime with the KV side before the apply, or run dmplan reconcile
// after.
func FillKV(ctx context.Context, ds *runtime.Datastore, opts FillKVOptions) (*FillKVResult, error) {
	start := time.Now()
	m, err := ds.Storage(opts.Model)
	if err != nil {
		return nil, fmt.Errorf("fill kv: %w", err)
	}
	spec := m.Spec()
	res := &FillKVResult{Model: m.Model(), Table: spec.D1.Table}
	if spec.D1Only() || len(spec.PrimaryKeys) > 1 {
		return nil, fmt.Errorf("fill kv %s: %w: the model has no KV side (storage = \"d1\" or a composite key)", m.Model(), runtime.ErrInvalid)
	}
	var cost backend.Meter
	ctx = backend.WithOpMeter(ctx, &cost)
	f := &filler{ds: ds, m: m, res: res, opts: opts, target: planner.FillKVProgressTarget(spec.D1.Table),
		intKey: m.Field(m.PrimaryKey()).Type == hclspec.Integer}
	if f.opts.PageSize <= 0 {
		f.opts.PageSize = DefaultFillKVPage
	}
	err = f.run(ctx)
	res.Duration = time.Since(start)
	res.Cost = cost.Cost()
	ds.LogOp(ctx, "fill_kv", m.Model(), "", start, fmt.Sprintf("put %d of %d rows", res.Written, res.Checked), err)
	if err != nil {
		return res, fmt.Errorf("fill kv %s: %w", spec.D1.Table, err)
	}
	return res, nil
}

type filler struct {
	ds     *runtime.Datastore
	m      *runtime.Storage
	res    *FillKVResult
	opts   FillKVOptions
	target string
	intKey bool
	ns     string
	before int64 // rows an interrupted earlier run checked
	start  time.Time
	total  int64
	// firstBad and badErr are the first row that could not be an object
	// and why.
	firstBad string
	badErr   error
}

func (f *filler) run(ctx context.Context) error {
	var err error
	if f.ns, err = f.m.Namespace(ctx); err != nil {
		return err
	}
	after := ""
	if f.opts.RunID != "" {
		if after, f.before, err = backfillResume(ctx, f.ds, f.target, f.m.Model(), f.opts.RunID); err != nil {
			return err
		}
		f.res.ResumedAfter = after
	}
	f.start, f.total = time.Now(), -1
	if f.opts.Progress != nil {
		if r, err := f.ds.D1().Query(ctx, backend.Stmt{SQL: "SELECT COUNT(*)" + f.m.From()}); err == nil && len(r.Rows) == 1 {
			if n, ok := r.Rows[0][0].(int64); ok {
				f.total = n
			}
		}
	}
	pk := "t." + f.m.QuotedPrimaryKey()
	for {
		st := backend.Stmt{SQL: "SELECT " + f.m.SelectColumns() + f.m.From() + " ORDER BY " + pk + " LIMIT ?", Args: []any{f.opts.PageSize}}
		if after != "" {
			arg, err := f.keyArg(after)
			if err != nil {
				return err
			}
			st = backend.Stmt{SQL: "SELECT " + f.m.SelectColumns() + f.m.From() + " WHERE " + pk + " > ? ORDER BY " + pk + " LIMIT ?",
				Args: []any{arg, f.opts.PageSize}}
		}
		page, err := f.ds.D1().Query(ctx, st)
		if err != nil {
			return fmt.Errorf("read rows: %w", runtime.NotMigrated(err))
		}
		if len(page.Rows) == 0 {
			break
		}
		if err := f.page(ctx, page.Rows); err != nil {
			return err
		}
		after = f.m.RowID(page.Rows[len(page.Rows)-1])
		if f.opts.RunID != "" {
			if _, err := f.ds.D1().Query(ctx, backend.Stmt{SQL: backfillSave,
				Args: []any{f.target, f.m.Model(), f.opts.RunID, after, f.before + f.res.Checked, int64(0)}, Idempotent: true}); err != nil {
				return fmt.Errorf("record fill progress: %w", err)
			}
		}
		if f.opts.Progress != nil {
			f.opts.Progress(f.snapshot())
		}
		if len(page.Rows) < f.opts.PageSize {
			break
		}
		if f.stopped() {
			return fmt.Errorf("%w after %d rows, progress kept (the next apply resumes it)", applier.ErrInterrupted, f.res.Checked)
		}
	}
	if f.res.Bad > 0 {
		// The copy is not done: the progress goes back to the start, so
		// the next run (once the rows are fixed) checks every row again,
		// keeping the objects this one put.
		if f.opts.RunID != "" {
			if _, err := f.ds.D1().Query(ctx, backend.Stmt{SQL: backfillSave,
				Args: []any{f.target, f.m.Model(), f.opts.RunID, "", f.before + f.res.Checked, int64(0)}}); err != nil {
				return fmt.Errorf("record fill progress: %w", err)
			}
		}
		rows, those := "1 row", "that row"
		if f.res.Bad > 1 {
			rows, those = fmt.Sprintf("%d rows", f.res.Bad), "those rows"
		}
		return fmt.Errorf("%w: %s of %s cannot be a KV object (id %s: %v); the other rows are copied. Change or delete %s (or keep the model D1-only) and apply again: the next run checks every row again and keeps the objects already copied",
			ErrBadRows, rows, f.m.Spec().D1.Table, shortID(f.firstBad), f.badErr, those)
	}
	if f.opts.RunID != "" {
		if _, err := f.ds.D1().Query(ctx, backend.Stmt{SQL: backfillSave,
			Args: []any{f.target, f.m.Model(), f.opts.RunID, "", f.before + f.res.Checked, int64(1)}}); err != nil {
			return fmt.Errorf("record fill finished: %w", err)
		}
	}
	return nil
}

// ErrBadRows: FillKV met rows that cannot be KV objects (a key or value
// over KV's limits); it copied the others and left the fill unfinished.
var ErrBadRows = errors.New("operator: rows that cannot be KV objects")

// shortID is id cut to 32 bytes for a message (a key over KV's limit is
// hundreds of bytes).
func shortID(id string) string {
	if len(id) <= 32 {
		return id
	}
	cut := 32
	for cut > 0 && !utf8.RuneStart(id[cut]) {
		cut--
	}
	return id[:cut] + "…"
}

// keyArg is the bound value of a page's last key: an integer for an
// integer key, so the comparison follows the column's order.
func (f *filler) keyArg(key string) (any, error) {
	if !f.intKey {
		return key, nil
	}
	n, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("fill progress of %s holds key %q, not an integer: %w", f.target, key, runtime.ErrInvalid)
	}
	return n, nil
}

func (f *filler) stopped() bool {
	select {
	case <-f.opts.Stop:
		return true
	default:
		return false
	}
}

func (f *filler) snapshot() Progress {
	p := Progress{Model: f.m.Model(), Done: f.res.Checked, Total: f.total, Written: f.res.Written, Elapsed: time.Since(f.start)}
	if s := p.Elapsed.Seconds(); s > 0 {
		p.Rate = float64(p.Done) / s
		if p.Total > p.Done && p.Rate > 0 {
			p.ETA = time.Duration(float64(p.Total-p.Done) / p.Rate * float64(time.Second))
		}
	}
	return p
}

// page copies one page of rows (steps 2 to 4 of FillKV).
func (f *filler) page(ctx context.Context, rows [][]any) error {
	f.res.Checked += int64(len(rows))
	type obj struct {
		id, key string
		val     []byte
	}
	objs := make([]obj, 0, len(rows))
	keys := make([]string, 0, len(rows))
	for _, row := range rows {
		id := f.m.RowID(row)
		key, err := f.m.Key(id)
		if err != nil {
			f.bad(ctx, id, err)
			continue
		}
		val, err := f.m.ObjectFromRow(nil, row)
		if err == nil && len(val) > backend.MaxValueBytes {
			err = fmt.Errorf("%w: object is %d bytes, over the %d-byte KV value limit", runtime.ErrTooLarge, len(val), backend.MaxValueBytes)
		}
		if err != nil {
			f.bad(ctx, id, err)
			continue
		}
		objs = append(objs, obj{id, key, val})
		keys = append(keys, key)
	}
	if len(objs) == 0 {
		return nil
	}
	have, err := f.ds.KV().GetMany(ctx, f.ns, keys)
	if err != nil {
		return fmt.Errorf("kv get many: %w", err)
	}
	var puts []backend.Entry
	var put []obj
	for _, o := range objs {
		if _, ok := have[o.key]; ok {
			f.res.Kept++
			continue
		}
		puts = append(puts, backend.Entry{Key: o.key, Value: o.val})
		put = append(put, o)
	}
	if len(puts) == 0 {
		return nil
	}
	if err := f.ds.KV().PutMany(ctx, f.ns, puts); err != nil {
		return fmt.Errorf("kv put many: %w", err)
	}
	f.res.Written += int64(len(puts))
	// Step 4: the rows again; any that changed since the page was read
	// gets its object from the row as it is now.
	ids := make([]string, len(put))
	for i, o := range put {
		ids[i] = o.id
	}
	now, err := f.m.Rows(ctx, ids)
	if err != nil {
		return fmt.Errorf("read rows again: %w", err)
	}
	var again []backend.Entry
	for _, o := range put {
		row, ok := now[o.id]
		if !ok {
			// Deleted meanwhile: its object must not outlive it.
			if err := f.ds.KV().Delete(ctx, f.ns, o.key); err != nil {
				return fmt.Errorf("kv delete: %w", err)
			}
			f.res.Refreshed++
			continue
		}
		val, err := f.m.ObjectFromRow(nil, row)
		if err != nil {
			return fmt.Errorf("object of %s: %w", o.id, err)
		}
		if !bytes.Equal(val, o.val) {
			again = append(again, backend.Entry{Key: o.key, Value: val})
		}
	}
	if len(again) > 0 {
		if err := f.ds.KV().PutMany(ctx, f.ns, again); err != nil {
			return fmt.Errorf("kv put many: %w", err)
		}
		f.res.Refreshed += int64(len(again))
	}
	return nil
}

// bad reports a row that cannot be a KV object, without its values.
func (f *filler) bad(ctx context.Context, id string, err error) {
	if f.res.Bad == 0 {
		f.firstBad, f.badErr = id, err
	}
	f.res.Bad++
	f.ds.LogOp(ctx, "fill_kv.row", f.m.Model(), id, time.Now(), "skipped", err)
}

// KVFiller returns the Datastore as the applier's KVFiller, for
// applier.Options.KVFiller.
func KVFiller(ds *runtime.Datastore) applier.KVFiller { return kvFiller{ds} }

type kvFiller struct{ ds *runtime.Datastore }

// MarkFill records the fill of req's table as started and unfinished, so
// an apply killed before the fill wrote its first page plans it again.
func (k kvFiller) MarkFill(ctx context.Context, req applier.FillKVRequest) error {
	_, _, err := backfillResume(ctx, k.ds, planner.FillKVProgressTarget(req.Table), req.Model, req.RunID)
	return err
}

func (k kvFiller) FillKV(ctx context.Context, req applier.FillKVRequest) (applier.FillKVResult, error) {
	opts := FillKVOptions{Model: req.Model, RunID: req.RunID, Stop: req.Stop, Progress: applierProgress(req.Progress)}
	res, err := FillKV(ctx, k.ds, opts)
	if res == nil {
		return applier.FillKVResult{}, err
	}
	return applier.FillKVResult{Checked: res.Checked, Written: res.Written, Kept: res.Kept, ResumedAfter: res.ResumedAfter}, err
}
