package applier

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dmplan/dmplan/planner"
)

// Backfiller fills new D1 columns of existing rows from their KV objects.
// operator.Backfiller implements it; the applier does not
// import the operator or the runtime.
type Backfiller interface {
	// Backfill streams the model's KV objects and writes the columns'
	// projection to D1 in batches. Called again with the same RunID after
	// an interruption, it skips the pages it already wrote.
	Backfill(ctx context.Context, req BackfillRequest) (BackfillResult, error)
}

// BackfillRequest is one backfill step.
type BackfillRequest struct {
	Model   string
	Columns []string
	// RunID is the plan id: re-applying the same plan resumes the step.
	RunID    string
	Progress func(BackfillProgress)
	// Stop, when closed (Options.Stop: a first Ctrl-C), ends the backfill
	// after the page in flight, whose rows and progress are written: it
	// returns an error wrapping ErrInterrupted, and a later run resumes
	// after that page.
	Stop <-chan struct{}
}

// BackfillProgress is reported after every page of records.
type BackfillProgress struct {
	Done, Total, Written int64 // Total is -1 when unknown
	Rate                 float64
	ETA                  time.Duration
}

// BackfillResult is what a backfill step did.
type BackfillResult struct {
	Checked, Written, Bad int64
	ResumedAfter          string
}

// BackfillColumns returns the table and columns of a backfill step's
// target, "page_meta.title,status".
func BackfillColumns(s planner.Step) (table string, columns []string) {
	table, cols, _ := strings.Cut(s.Target, ".")
	for _, c := range strings.Split(cols, ",") {
		if c = strings.TrimSpace(c); c != "" {
			columns = append(columns, c)
		}
	}
	return table, columns
}

// backfilling reports whether the plan has backfill steps.
func (a *run) backfilling() bool {
	for _, s := range a.p.Steps {
		if s.Action == planner.Backfill {
			return true
		}
	}
	return false
}

// writesAfter reports whether work runs after the SQL batches (backfills,
// seeds), so the history row is written once that work is done.
func (a *run) writesAfter() bool {
	return a.seeding() || a.backfilling() || a.filling() || a.p.DeploysWorker()
}

// schema runs the plan's SQL in plan order, stopping at each backfill
// step to run it: the columns exist before their backfill, and the
// indexes after it are built on filled rows.
func (a *run) schema(ctx context.Context) error {
	from := 0
	for i, s := range a.p.Steps {
		if s.Action != planner.Backfill && s.Action != planner.FillKV {
			continue
		}
		if err := a.statements(ctx, from, i); err != nil {
			return err
		}
		run := a.backfill
		if s.Action == planner.FillKV {
			run = a.fillKV
		}
		if err := run(ctx, i, s); err != nil {
			return err
		}
		from = i + 1
	}
	return a.statements(ctx, from, len(a.p.Steps))
}

// backfill runs one backfill step through Options.Backfiller.
func (a *run) backfill(ctx context.Context, i int, s planner.Step) error {
	_, cols := BackfillColumns(s)
	req := BackfillRequest{Model: s.Model, Columns: cols, RunID: a.p.ID, Stop: a.opts.Stop}
	return a.pagedStep(ctx, i, s, "records", "backfill", func(ctx context.Context, progress func(BackfillProgress)) (int64, int64, error) {
		req.Progress = progress
		res, err := a.opts.Backfiller.Backfill(ctx, req)
		return res.Checked, res.Written, err
	})
}

// pagedStep runs a step that copies records page by page (a backfill or
// a fill_kv) through fill, which reports what it read (checked) and
// wrote: its cost, an interruption that keeps its progress, its failure
// as a StepError labelled label, or its records in the history and the
// report. unit names what checked counts in the interruption message.
func (a *run) pagedStep(ctx context.Context, i int, s planner.Step, unit, label string,
	fill func(ctx context.Context, progress func(BackfillProgress)) (checked, written int64, err error)) error {
	if err := a.before(i, s); err != nil {
		return err
	}
	var progress func(BackfillProgress)
	if a.opts.BackfillProgress != nil {
		progress = func(p BackfillProgress) { a.opts.BackfillProgress(i, s, p) }
	}
	var checked, written int64
	cost, err := stepCost(ctx, func(ctx context.Context) error {
		var err error
		checked, written, err = fill(ctx, progress)
		return err
	})
	a.report.Steps[i].Cost = &cost
	if errors.Is(err, ErrInterrupted) {
		return fmt.Errorf("%w during step %d (%s) after %s %s, its progress kept (the next apply resumes it): %d of %d steps applied",
			ErrInterrupted, i+1, s.Summary(), groupDigits(checked), unit, a.done, a.total)
	}
	if err != nil {
		return &StepError{Index: i, Step: s, Err: fmt.Errorf("%s: %w", label, err)}
	}
	n := int(written)
	if i < len(a.rec.Steps) {
		a.rec.Steps[i].Records = &n
	}
	a.report.applied(i, s, 0)
	a.report.Steps[i].Records = n
	a.progressRecords(i, s, n)
	return nil
}

// groupDigits writes n with thousands separators: 1,000.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
