package operator

import (
	"context"
	"fmt"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/runtime"
)

// Drift kinds a reconcile reports.
const (
	// DriftMissingRow: the KV object has no D1 row.
	DriftMissingRow = "missing_row"
	// DriftStaleRow: the D1 row's synced values differ from the projection
	// of the KV object (Columns names them).
	DriftStaleRow = "stale_row"
	// DriftOrphanRow: a D1 row whose KV object does not exist (a hard
	// delete whose D1 step failed, or a row written outside dmplan).
	// Reconcile reports it; only PruneOrphans deletes it.
	DriftOrphanRow = "orphan_row"
	// DriftBadObject: the KV value is one the runtime cannot read: not a
	// JSON object, or holding another id than its key's (Get refuses
	// both, naming the key). A value of the wrong type or outside its
	// enum is not bad: the runtime reads it and its updates keep it, so
	// it projects as stored. A bad object is never rewritten, and its D1
	// row is left as it is.
	DriftBadObject = "bad_object"
)

// MaxDriftListed bounds the drift entries a ModelReconcile lists; the
// counts always cover every record.
const MaxDriftListed = 1000

// ReconcileOptions select what Reconcile checks and whether it repairs.
type ReconcileOptions struct {
	// Models to check; empty checks every model of the Spec.
	Models []string
	// Fix rewrites the D1 rows of missing and stale records from their KV
	// objects with the same projection and upsert SQL as Save. KV is
	// never written; orphan rows and bad objects are left as they are. A
	// row D1 refuses (Drift.Refused) and a row holding another create of
	// the id (Drift.OtherCreate) are left for a person to decide.
	Fix bool
	// PruneOrphans deletes the orphan rows: D1 rows whose KV object does
	// not exist, checked again with a bulk KV read just before one DELETE
	// per 100 ids. It is the deliberate way to finish a hard delete whose
	// D1 step failed. A create that writes its KV object between that
	// read and the DELETE loses its row; the next reconcile reports it
	// as a missing row and Fix rebuilds it, so prune when writes are
	// quiet.
	PruneOrphans bool
	// Progress, when set, is called after every page of records.
	Progress func(Progress)
	// PageSize is the number of KV keys listed (and rows compared) per
	// page; 0 or more than backend.MaxListLimit means MaxListLimit.
	PageSize int
}

// Progress reports how far a reconcile or backfill has come.
type Progress struct {
	Model string `json:"model"`
	// Done is the records checked so far; Total the D1 row count taken at
	// the start (-1 when unknown). Written counts the D1 rows rewritten.
	Done    int64         `json:"done"`
	Total   int64         `json:"total"`
	Written int64         `json:"written"`
	Elapsed time.Duration `json:"elapsed_ns"`
	// Rate is records per second; ETA is 0 when unknown.
	Rate float64       `json:"rate"`
	ETA  time.Duration `json:"eta_ns"`
}

// Drift is one record whose KV object and D1 row disagree.
type Drift struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Key  string `json:"key,omitempty"`
	// Columns are the D1 columns whose values differ (stale rows).
	Columns []string `json:"columns,omitempty"`
	// Problem says what is wrong with a bad object, or why Fix could not
	// rewrite a row (D1 refused it); it never holds a field value.
	Problem string `json:"problem,omitempty"`
	// Fixed is true when Fix rewrote the D1 row, or PruneOrphans deleted
	// an orphan row.
	Fixed bool `json:"fixed,omitempty"`
	// Refused is true when Fix could not rewrite the row because D1
	// refuses it for a constraint (Problem names it): KV and D1 hold
	// different writes, and a person decides which stays. To keep KV's,
	// change the value the constraint names in the other record and run
	// Fix again; to keep D1's (the last write D1 accepted), run TakeD1
	// for the id (dmplan reconcile -model MODEL -take-d1 ID). A save
	// killed while it took back a refused write leaves exactly this.
	Refused bool `json:"refused,omitempty"`
	// OtherCreate is true for a stale row whose created_at differs from
	// the KV object's (as instants, both set): updates never change
	// created_at, so KV and D1 hold two different creates of the id,
	// typically a create that lost the id to the row's (D1's INSERT ... ON
	// CONFLICT DO NOTHING would have refused it) and was killed between
	// its KV write and its D1 step. Fix does not rewrite it; a person
	// decides: keep D1's row, the create D1 accepted, with TakeD1 (dmplan
	// reconcile -model MODEL -take-d1 ID), or keep KV's object with TakeKV
	// (-take-kv ID). A model without timestamps has no created_at, so
	// such a record is an ordinary stale row there and Fix takes KV's.
	OtherCreate bool `json:"other_create,omitempty"`
}

// ModelReconcile is the outcome for one model.
type ModelReconcile struct {
	Model     string `json:"model"`
	Table     string `json:"table"`
	Namespace string `json:"kv_namespace"`
	Objects   int64  `json:"kv_objects"` // KV objects checked
	Rows      int64  `json:"d1_rows"`    // D1 rows checked for orphans
	Missing   int64  `json:"missing_rows"`
	Stale     int64  `json:"stale_rows"`
	Orphans   int64  `json:"orphan_rows"`
	Bad       int64  `json:"bad_objects"`
	// Fixed counts the drift repaired: Rewritten missing and stale rows
	// plus Pruned orphan rows, over every record (Drift lists at most
	// MaxDriftListed).
	Fixed     int64 `json:"fixed"`
	Rewritten int64 `json:"rewritten"`
	Pruned    int64 `json:"pruned"`
	// Drift lists the records found, at most MaxDriftListed.
	Drift     []Drift `json:"drift"`
	Truncated bool    `json:"drift_truncated,omitempty"`
	// Cost is the D1 rows reconciling the model read and wrote.
	Cost backend.Cost `json:"cost"`
}

// ReconcileReport is what Reconcile found and did.
type ReconcileReport struct {
	Fix      bool              `json:"fix"`
	Models   []*ModelReconcile `json:"models"`
	Duration time.Duration     `json:"duration_ns"`
	// Cost is the D1 rows the whole reconcile read and wrote.
	Cost backend.Cost `json:"cost"`
}

// Drifted reports whether any record disagrees (before any fix).
func (r *ReconcileReport) Drifted() bool {
	for _, m := range r.Models {
		if m.Missing+m.Stale+m.Orphans+m.Bad > 0 {
			return true
		}
	}
	return false
}

// Unrepaired counts the drift left after the report's repairs: every
// drifted record that was not fixed (missing and stale rows not rewritten,
// rows D1 refused, bad objects, orphan rows not pruned). Zero means
// nothing is left to do.
func (r *ReconcileReport) Unrepaired() int64 {
	var n int64
	for _, m := range r.Models {
		n += m.Missing + m.Stale + m.Orphans + m.Bad - m.Fixed
	}
	return n
}

// Refused lists the records a person decides, by model: rows D1 refused
// (see Drift.Refused) and rows holding another create of the id (see
// Drift.OtherCreate). It sees only the drift listed (at most
// MaxDriftListed per model; ModelReconcile.Truncated says when more was
// found).
func (r *ReconcileReport) Refused() map[string][]string {
	out := map[string][]string{}
	for _, m := range r.Models {
		for _, d := range m.Drift {
			if d.Refused || d.OtherCreate {
				out[m.Model] = append(out[m.Model], d.ID)
			}
		}
	}
	return out
}

// ReconcileTotals are a report's counts over every model: what both the
// human and the JSON view print, so they cannot disagree.
type ReconcileTotals struct {
	Objects int64 `json:"kv_objects"`
	Rows    int64 `json:"d1_rows"`
	Missing int64 `json:"missing_rows"`
	Stale   int64 `json:"stale_rows"`
	Orphans int64 `json:"orphan_rows"`
	Bad     int64 `json:"bad_objects"`
	// Drifted is every record found disagreeing, before any repair.
	Drifted int64 `json:"drifted"`
	// Rewritten D1 rows (missing and stale) and Pruned orphan rows.
	Rewritten int64 `json:"rewritten"`
	Pruned    int64 `json:"pruned"`
	// Unrepaired is what is left to do (see Unrepaired).
	Unrepaired int64 `json:"unrepaired"`
}

// Totals adds up the models' counts.
func (r *ReconcileReport) Totals() ReconcileTotals {
	var t ReconcileTotals
	for _, m := range r.Models {
		t.Objects += m.Objects
		t.Rows += m.Rows
		t.Missing += m.Missing
		t.Stale += m.Stale
		t.Orphans += m.Orphans
		t.Bad += m.Bad
		t.Rewritten += m.Rewritten
		t.Pruned += m.Pruned
	}
	t.Drifted = t.Missing + t.Stale + t.Orphans + t.Bad
	t.Unrepaired = r.Unrepaired()
	return t
}

// Objects is the number of KV objects checked over every model.
func (r *ReconcileReport) Objects() int64 {
	var n int64
	for _, m := range r.Models {
		n += m.Objects
	}
	return n
}

func (mr *ModelReconcile) add(d Drift) {
	switch d.Kind {
	case DriftMissingRow:
		mr.Missing++
	case DriftStaleRow:
		mr.Stale++
	case DriftOrphanRow:
		mr.Orphans++
	case DriftBadObject:
		mr.Bad++
	}
	if d.Fixed {
		mr.Fixed++
		if d.Kind == DriftOrphanRow {
			mr.Pruned++
		} else {
			mr.Rewritten++
		}
	}
	if len(mr.Drift) < MaxDriftListed {
		mr.Drift = append(mr.Drift, d)
	} else {
		mr.Truncated = true
	}
}

// Reconcile compares every KV object of the models with its D1 row and,
// with Fix, rewrites D1 from KV. It is a System operation: it sees every
// record whatever the handle's scope would be.
//
// Per page of keys it costs one KV list, one bulk KV read per 100 keys,
// one D1 query reading the rows of the page's range of ids (the page's
// rows and any orphan rows between them: the KV listing and the rows in
// primary key order are merged), and with Fix one D1 batch of multi-row
// upserts for the drifted records; orphan candidates cost one more bulk
// KV read per 100. Memory holds one page at a time, whatever the number
// of records.
//
// Records written while it runs may be reported as drift they no longer
// have; a fix then writes the projection of the KV object it read, so run
// it again (or when writers are quiet) to be sure. A record's KV object is
// never written.
func Reconcile(ctx context.Context, ds *runtime.Datastore, opts ReconcileOptions) (*ReconcileReport, error) {
	start := time.Now()
	names := opts.Models
	if len(names) == 0 {
		// Every model with a KV side: a D1-only model has nothing to
		// reconcile (naming one in opts.Models is ErrD1Only).
		for _, name := range ds.Models() {
			if m, err := ds.Storage(name); err == nil && !m.D1Only() {
				names = append(names, name)
			}
		}
	}
	rep := &ReconcileReport{Fix: opts.Fix, Models: []*ModelReconcile{}}
	var total backend.Meter
	ctx = backend.WithMeter(ctx, &total)
	defer func() { rep.Cost = total.Cost() }()
	for _, name := range names {
		m, err := ds.Storage(name)
		if err != nil {
			return rep, fmt.Errorf("reconcile: %w", err)
		}
		sc := &scan{ds: ds, m: m, fix: opts.Fix, prune: opts.PruneOrphans, refuseRows: true, progress: opts.Progress, pageSize: opts.PageSize,
			rep: &ModelReconcile{Model: m.Model(), Table: m.Spec().D1.Table, Namespace: m.NamespaceTitle(), Drift: []Drift{}}}
		rep.Models = append(rep.Models, sc.rep)
		var cost backend.Meter
		err = sc.run(backend.WithMeter(ctx, &cost))
		sc.rep.Cost = cost.Cost()
		if err != nil {
			rep.Duration = time.Since(start)
			return rep, fmt.Errorf("reconcile %s: %w", m.Model(), err)
		}
	}
	rep.Duration = time.Since(start)
	return rep, nil
}
