package operator

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

// BackfillTable is the internal D1 table where backfills keep their
// progress: the last KV key whose page was written, per run and target.
const BackfillTable = "_dmplan_backfill"

// The progress row of a target ("page_meta.title,status") ends the last
// D1 batch of each page, after the page's rows (a page too large for one
// batch takes several, run in order), so it never claims a page whose
// rows were not written; finished is set once the last page is written.
var backfillDDL = "CREATE TABLE IF NOT EXISTS " + backend.QuoteIdent(BackfillTable) + ` (
  target TEXT PRIMARY KEY NOT NULL,
  model TEXT NOT NULL,
  run_id TEXT NOT NULL,
  last_key TEXT NOT NULL DEFAULT '',
  done INTEGER NOT NULL DEFAULT 0,
  finished INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL
)`

// dbNow is the database's clock in the layout of the apply lock's times,
// so progress can be compared with the lock's lease (see PendingBackfills).
const dbNow = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

var backfillSave = "INSERT INTO " + backend.QuoteIdent(BackfillTable) + ` (target, model, run_id, last_key, done, finished, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ` + dbNow + `) ON CONFLICT (target) DO UPDATE SET run_id = excluded.run_id,
  last_key = excluded.last_key, done = excluded.done, finished = excluded.finished, updated_at = excluded.updated_at`

var backfillLoad = "SELECT last_key, finished, done FROM " + backend.QuoteIdent(BackfillTable) + " WHERE target = ?"

// backfillStart marks the target unfinished: a finished row from an
// earlier backfill starts over, an unfinished one keeps its place.
var backfillStart = "INSERT INTO " + backend.QuoteIdent(BackfillTable) + ` (target, model, run_id, last_key, done, finished, updated_at)
  VALUES (?, ?, ?, '', 0, 0, ` + dbNow + `) ON CONFLICT (target) DO UPDATE SET run_id = excluded.run_id,
  last_key = CASE WHEN finished = 1 THEN '' ELSE last_key END, done = CASE WHEN finished = 1 THEN 0 ELSE done END,
  finished = 0, updated_at = excluded.updated_at`

var backfillPending = "SELECT target, model, run_id, done, updated_at FROM " + backend.QuoteIdent(BackfillTable) + " WHERE finished = 0 ORDER BY target"

// backfillLocks reads the live leases of the apply lock (there is one
// lease row): who holds it and since when, on the database's clock.
var backfillLocks = "SELECT who, since FROM " + backend.QuoteIdent(applier.LockTable) + " WHERE expires_at > " + dbNow

// BackfillOptions say which columns of which model to fill.
type BackfillOptions struct {
	Model string
	// Columns are the D1 columns to fill (synced fields of Model).
	Columns []string
	// RunID names the run (the plan id) in the progress row. Progress is
	// kept per target whatever the run: a backfill of a target that an
	// earlier run left unfinished starts after the last page it wrote.
	// Empty keeps no progress.
	RunID string
	// Progress, when set, is called after every page.
	Progress func(Progress)
	// PageSize as in ReconcileOptions.
	PageSize int
	// Stop, when closed, ends the backfill after the page in flight (its
	// rows and progress written) with an error wrapping
	// applier.ErrInterrupted; a run with the same target resumes there.
	Stop <-chan struct{}
}

// BackfillResult is what a backfill did.
type BackfillResult struct {
	Model   string   `json:"model"`
	Columns []string `json:"columns"`
	// Checked counts the KV objects read in this run, Written the D1
	// rows rewritten; Bad the KV objects that could not be projected
	// (reported by reconcile, left alone).
	Checked int64 `json:"checked"`
	Written int64 `json:"written"`
	Bad     int64 `json:"bad_objects"`
	// ResumedAfter is the last key of an earlier interrupted run, when
	// this one continued it.
	ResumedAfter string        `json:"resumed_after,omitempty"`
	Duration     time.Duration `json:"duration_ns"`
	// Cost is the D1 rows the backfill read and wrote, its progress
	// records included.
	Cost backend.Cost `json:"cost"`
}

// Backfill fills D1 columns of existing rows from the KV objects: a
// reconcile fix restricted to the columns. It writes D1 only, without
// reading the rows first: per page, multi-row upserts that set only the
// columns, and only where they differ from the projection (D1 writes one
// row per record changed, none for a row already filled); a missing row
// is inserted whole. With a RunID every page's last write batch also
// records the page's last key in BackfillTable, after its rows, so an
// interrupted backfill run again with the same RunID skips the pages it
// finished.
func Backfill(ctx context.Context, ds *runtime.Datastore, opts BackfillOptions) (*BackfillResult, error) {
	start := time.Now()
	m, err := ds.Storage(opts.Model)
	if err != nil {
		return nil, fmt.Errorf("backfill: %w", err)
	}
	res := &BackfillResult{Model: m.Model(), Columns: opts.Columns}
	var cost backend.Meter // an operation's meter: LogOp logs it
	ctx = backend.WithOpMeter(ctx, &cost)
	var fill []int
	for _, c := range opts.Columns {
		i, err := m.Column(c)
		if err != nil {
			return nil, fmt.Errorf("backfill %s: %w", m.Model(), err)
		}
		fill = append(fill, i)
	}
	if len(fill) == 0 {
		return nil, fmt.Errorf("backfill %s: %w: no columns given", m.Model(), runtime.ErrInvalid)
	}
	target := m.Spec().D1.Table + "." + strings.Join(opts.Columns, ",")
	sc := &scan{ds: ds, m: m, fix: true, progress: opts.Progress, pageSize: opts.PageSize, fill: fill, stop: opts.Stop,
		rep: &ModelReconcile{Model: m.Model(), Table: m.Spec().D1.Table, Namespace: m.NamespaceTitle()}}
	var before int64 // records an interrupted earlier run checked
	if opts.RunID != "" {
		res.ResumedAfter, before, err = backfillResume(ctx, ds, target, m.Model(), opts.RunID)
		if err != nil {
			return nil, fmt.Errorf("backfill %s: %w", target, err)
		}
		sc.after = res.ResumedAfter
		sc.onPage = func(lastKey string, done int64) (backend.Stmt, error) {
			return backend.Stmt{SQL: backfillSave, Args: []any{target, m.Model(), opts.RunID, lastKey, before + done, int64(0)}, Idempotent: true}, nil
		}
	}
	err = sc.run(ctx)
	if err == nil && opts.RunID != "" {
		_, err = ds.D1().Query(ctx, backend.Stmt{SQL: backfillSave, Args: []any{target, m.Model(), opts.RunID, "", before + sc.done, int64(1)}})
		if err != nil {
			err = fmt.Errorf("record backfill finished: %w", err)
		}
	}
	res.Checked, res.Written, res.Bad = sc.done, sc.written, sc.rep.Bad
	res.Duration = time.Since(start)
	res.Cost = cost.Cost()
	ds.LogOp(ctx, "backfill", m.Model(), "", start, fmt.Sprintf("wrote %d of %d records", res.Written, res.Checked), err)
	if err != nil {
		return res, fmt.Errorf("backfill %s: %w", target, err)
	}
	return res, nil
}

// backfillResume creates the progress table when needed and returns the
// last key an unfinished earlier backfill of target wrote and the records
// it checked, in one batch.
func backfillResume(ctx context.Context, ds *runtime.Datastore, target, model, runID string) (string, int64, error) {
	res, err := ds.D1().Batch(ctx, []backend.Stmt{{SQL: backfillDDL}, {SQL: backfillLoad, Args: []any{target}},
		{SQL: backfillStart, Args: []any{target, model, runID}}})
	if err != nil {
		return "", 0, fmt.Errorf("read backfill progress: %w", err)
	}
	if len(res) == 3 && len(res[1].Rows) == 1 && len(res[1].Rows[0]) == 3 {
		if fin, _ := res[1].Rows[0][1].(int64); fin == 0 {
			s, _ := res[1].Rows[0][0].(string)
			done, _ := res[1].Rows[0][2].(int64)
			return s, done, nil
		}
	}
	return "", 0, nil
}

// PendingBackfills reads the unfinished backfills of a D1 database: one
// request, two when the progress table exists. A backfill is running
// (PendingBackfill.RunningBy) when a live apply lock was taken before its
// last progress write: the apply holding it is the one writing it. Any
// other unfinished backfill was left by an apply that stopped.
func PendingBackfills(ctx context.Context, d1 backend.D1) ([]planner.PendingBackfill, error) {
	res, err := d1.Query(ctx, backend.Stmt{SQL: "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (?, ?)",
		Args: []any{BackfillTable, applier.LockTable}})
	if err != nil {
		return nil, fmt.Errorf("read pending backfills: %w", err)
	}
	tables := map[string]bool{}
	for _, row := range res.Rows {
		if len(row) == 1 {
			name, _ := row[0].(string)
			tables[name] = true
		}
	}
	if !tables[BackfillTable] {
		return nil, nil
	}
	sts := []backend.Stmt{{SQL: backfillPending}}
	if tables[applier.LockTable] {
		sts = append(sts, backend.Stmt{SQL: backfillLocks})
	}
	out, err := d1.Batch(ctx, sts)
	if err != nil {
		return nil, fmt.Errorf("read pending backfills: %w", err)
	}
	var locks *backend.Result
	if len(out) == 2 {
		locks = out[1]
	}
	return pendingBackfills(out[0], locks), nil
}

// pendingBackfills reads the rows of backfillPending and judges each
// running or not with the rows of backfillLocks (nil: no lock table).
func pendingBackfills(res, locks *backend.Result) []planner.PendingBackfill {
	if res == nil {
		return nil
	}
	var out []planner.PendingBackfill
	for _, row := range res.Rows {
		if len(row) != 5 {
			continue
		}
		p := planner.PendingBackfill{}
		p.Target, _ = row[0].(string)
		p.Model, _ = row[1].(string)
		p.RunID, _ = row[2].(string)
		p.Done, _ = row[3].(int64)
		updated, _ := row[4].(string)
		// Both times are the database's, in one layout, so they compare
		// as strings.
		for _, l := range lockRows(locks) {
			if l.since != "" && updated != "" && l.since <= updated {
				p.RunningBy = l.who
				if p.RunningBy == "" {
					p.RunningBy = "another apply"
				}
			}
		}
		out = append(out, p)
	}
	return out
}

type lease struct{ who, since string }

func lockRows(res *backend.Result) []lease {
	if res == nil {
		return nil
	}
	var out []lease
	for _, row := range res.Rows {
		if len(row) == 2 {
			who, _ := row[0].(string)
			since, _ := row[1].(string)
			out = append(out, lease{who, since})
		}
	}
	return out
}

// Backfiller returns the Datastore as the applier's Backfiller, for
// applier.Options.Backfiller.
func Backfiller(ds *runtime.Datastore) applier.Backfiller { return backfiller{ds} }

type backfiller struct{ ds *runtime.Datastore }

// applierProgress passes a page's Progress on to the applier's callback
// (nil when there is none).
func applierProgress(fn func(applier.BackfillProgress)) func(Progress) {
	if fn == nil {
		return nil
	}
	return func(p Progress) {
		fn(applier.BackfillProgress{Done: p.Done, Total: p.Total, Written: p.Written, Rate: p.Rate, ETA: p.ETA})
	}
}

func (b backfiller) Backfill(ctx context.Context, req applier.BackfillRequest) (applier.BackfillResult, error) {
	opts := BackfillOptions{Model: req.Model, Columns: req.Columns, RunID: req.RunID, Stop: req.Stop, Progress: applierProgress(req.Progress)}
	res, err := Backfill(ctx, b.ds, opts)
	if res == nil {
		return applier.BackfillResult{}, err
	}
	return applier.BackfillResult{Checked: res.Checked, Written: res.Written, Bad: res.Bad, ResumedAfter: res.ResumedAfter}, err
}
