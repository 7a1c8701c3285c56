package applier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// Options adjust Apply. The zero value is ready to use.
type Options struct {
	// ToolVersion is recorded in history ("dmplan 0.1.0").
	ToolVersion string
	// Actor is recorded in history; default $DMPLAN_ACTOR, else user@host.
	Actor string
	// Progress, when set, is called once per step as it is applied or
	// fails, from the goroutine that called Apply.
	Progress func(Event)
	// MaxBatchStatements and MaxBatchBytes bound each D1 batch; zero means
	// the backend's BatchLimits when its D1 implements BatchLimiter, else
	// DefaultMaxBatchStatements and DefaultMaxBatchBytes.
	MaxBatchStatements int
	MaxBatchBytes      int
	// RecordNoOp records a no-op row when the plan has nothing to run. By
	// default an empty plan writes nothing, so re-running apply in CD
	// leaves the target untouched.
	RecordNoOp bool
	// Logger receives one debug line per batch; default slog.Default().
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time

	// Seeder runs the plan's seed steps through the runtime's save path
	// (runtime's Seeds). A plan with seed steps and no Seeder is refused
	// with ErrUnsupportedStep before anything runs.
	Seeder Seeder
	// Backfiller runs the plan's backfill steps (operator.Backfiller).
	// A plan with backfill steps and no Backfiller
	// is refused with ErrUnsupportedStep before anything runs.
	Backfiller Backfiller
	// KVFiller runs the plan's FillKV steps (operator.KVFiller); a plan
	// with FillKV steps and no KVFiller is refused (ErrUnsupportedStep).
	KVFiller KVFiller
	// BackfillProgress, when set, is called after every page a backfill
	// step writes, with the step's index.
	BackfillProgress func(index int, step planner.Step, p BackfillProgress)
	// Lock is a lock the caller already holds (operator.Initialize takes
	// it before planning). Apply then neither takes nor releases it.
	// Without one, Apply takes the target's lock itself (see AcquireLock)
	// and releases it when done.
	Lock *Lock
	// Replan, when set, derives the plan again from the live schema Apply
	// reads under the lock, when the plan's fingerprint no longer matches
	// it: something changed while the plan waited for approval or for the
	// lock. A new plan with the same steps is applied (an unrelated change,
	// a new unmanaged table say, does not spoil it); one with no changes
	// (another apply did the same meanwhile) makes Apply a no-op; any other,
	// or one with blocked steps, is refused as stale. A saved plan,
	// approved as it is, leaves it nil.
	Replan func(ctx context.Context, live *state.Schema) (*planner.Plan, error)
	// LockTimeout is how long Apply waits for a lock someone else holds;
	// 0 fails at once with a *LockedError.
	LockTimeout time.Duration
	// Lease is the lock's lease; default DefaultLease.
	Lease time.Duration
	// Bookmark is recorded in the history row, applied or failed: the D1
	// Time Travel bookmark the caller took just before Apply, so history
	// tells which point restores the database to its state before this
	// apply. Empty on backends without Time Travel.
	Bookmark string
	// RestorePoint, when set, takes that bookmark instead, once Apply holds
	// the lock: a bookmark taken before waiting for the lock would also
	// undo what the holder wrote meanwhile. Report.Bookmark returns it.
	RestorePoint func(ctx context.Context) string
	// Gateway deploys the plan's gateway Worker steps. A plan with worker
	// steps and no Gateway is refused with ErrUnsupportedStep before
	// anything runs.
	Gateway GatewayDeployer
	// Redact rewrites an error before its text is stored in history (the
	// caller's secrets, an account id in a URL); nil stores it as it is.
	Redact func(error) string
	// Stop, when closed, asks Apply to stop (a first Ctrl-C): the batch,
	// seed or deploy in flight finishes (a backfill, the page in flight:
	// see BackfillRequest.Stop), nothing after it starts,
	// the history row is completed as interrupted and the lock released.
	// Apply then returns an error wrapping ErrInterrupted with the Report
	// of what ran. Closed before the first step, Apply changes nothing.
	Stop <-chan struct{}
	// Locked, when set, is called once Apply holds the lock it took, with
	// the lease: what a caller names when it must leave it behind.
	Locked func(LockInfo)
}

// Apply runs the plan against the backend.
//
// It refuses, before changing anything, a plan with blocked steps
// (ErrBlocked), a plan with steps it cannot run (ErrUnsupportedStep:
// backfills without Options.Backfiller, seeds without Options.Seeder), a
// target whose lock another apply holds (ErrLocked, after
// Options.LockTimeout) and a plan whose fingerprint no longer matches the
// live schema (ErrStalePlan). It then creates the plan's KV namespaces,
// sends every SQL statement as D1 batches (see DefaultMaxBatchStatements),
// stopping at each
// backfill step to run it through Options.Backfiller, and runs the seeds
// through Options.Seeder, in plan order. Before the first step it records
// the apply in history as running (see the package doc); the row is
// completed in the last batch when the plan has no backfills or seeds, so
// the schema change and its record land together; otherwise after them,
// with each step's record count. Statements never contain BEGIN or SAVEPOINT;
// atomicity comes from the batch, one transaction on the local backend.
//
// When a step fails, Apply completes the history row as failed in a
// separate call (what ran, the failed step and the error) and returns a *StepError
// naming the step and statement, with the Report of what did run. A plan
// without executable steps is a no-op: nothing runs and, unless
// Options.RecordNoOp, nothing is recorded and no lock is taken.
func Apply(ctx context.Context, b backend.Backend, p *planner.Plan, opts Options) (*Report, error) {
	if p == nil {
		return nil, ErrNoPlan
	}
	if blocked := p.Blocked(); len(blocked) > 0 {
		codes := make([]string, len(blocked))
		for i, s := range blocked {
			codes[i] = s.Code + " " + s.Target
		}
		return nil, fmt.Errorf("%w: %s; run plan and resolve them first", ErrBlocked, strings.Join(codes, ", "))
	}
	for i, s := range p.Steps {
		switch s.Action {
		case planner.CreateTable, planner.AddColumn, planner.CreateIndex, planner.CreateNamespace:
		case planner.Seed:
			if opts.Seeder == nil {
				return nil, fmt.Errorf("%w: step %d (%s) needs a seeder (Options.Seeder)", ErrUnsupportedStep, i+1, s.Summary())
			}
		case planner.Backfill:
			if opts.Backfiller == nil {
				return nil, fmt.Errorf("%w: step %d (%s) needs a backfiller (Options.Backfiller)", ErrUnsupportedStep, i+1, s.Summary())
			}
		case planner.FillKV:
			if opts.KVFiller == nil {
				return nil, fmt.Errorf("%w: step %d (%s) needs a KV filler (Options.KVFiller)", ErrUnsupportedStep, i+1, s.Summary())
			}
		case planner.DeployWorker, planner.UpdateWorker:
			if opts.Gateway == nil {
				return nil, fmt.Errorf("%w: step %d (%s) needs a gateway deployer (Options.Gateway)", ErrUnsupportedStep, i+1, s.Summary())
			}
		default:
			return nil, fmt.Errorf("%w: step %d (%s)", ErrUnsupportedStep, i+1, s.Summary())
		}
	}
	// Every D1 row the apply reads or writes is counted for the report,
	// the lock's and the history's included.
	var cost backend.Meter
	ctx = backend.WithMeter(ctx, &cost)
	b = meter(b)
	a := &run{b: b, p: p, opts: opts}
	defer func() {
		if a.report != nil {
			a.report.Cost = cost.Cost()
		}
	}()
	if a.opts.Now == nil {
		a.opts.Now = time.Now
	}
	if a.opts.Actor == "" {
		a.opts.Actor = defaultActor()
	}
	if a.opts.Logger == nil {
		a.opts.Logger = slog.Default()
	}
	start := a.opts.Now()

	if a.stopped() {
		return nil, fmt.Errorf("%w before it began: nothing was applied", ErrInterrupted)
	}
	if a.opts.Lock == nil && (p.HasChanges() || opts.RecordNoOp) {
		l, err := AcquireLock(ctx, b.D1(), LockOptions{
			Who: a.opts.Actor, Operation: "apply", Lease: opts.Lease, Timeout: opts.LockTimeout, Logger: a.opts.Logger,
			Stop: opts.Stop,
		})
		if err != nil {
			return nil, err
		}
		if opts.Locked != nil {
			opts.Locked(l.LockInfo)
		}
		defer func() {
			if err := l.Release(ctx); err != nil {
				a.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "applier.unlock",
					slog.String("lock", l.ID), slog.String("outcome", "not_released"), slog.String("error", a.redact(err)),
					slog.String("hint", "the lease expires by itself; to free it now: dmplan force-unlock "+l.ID))
			}
		}()
		a.lock = l
	} else {
		a.lock = a.opts.Lock
	}

	live, err := backend.Inspect(ctx, b.D1(), b.KV())
	if err != nil {
		return nil, fmt.Errorf("inspect live schema: %w", err)
	}
	before := p.LiveFingerprint(live)
	var replanned *planner.Plan
	if before != p.Fingerprint && opts.Replan != nil {
		np, err := opts.Replan(ctx, live)
		if err != nil {
			return nil, fmt.Errorf("plan again under the lock: %w", err)
		}
		// A plan that is now blocked is not taken: the stale error below
		// sends the user back to plan, which shows why.
		if len(np.Blocked()) == 0 && (sameSteps(p, np) || !np.HasChanges()) {
			a.opts.Logger.LogAttrs(ctx, slog.LevelInfo, "applier.replan",
				slog.String("plan", p.ID), slog.String("replan", np.ID), slog.Bool("changes", np.HasChanges()))
			p, a.p = np, np
			before = p.LiveFingerprint(live)
			replanned = np
		}
	}
	if before != p.Fingerprint {
		return nil, fmt.Errorf("%w: the live schema changed since the plan was made (fingerprint %s, plan made against %s); run plan again",
			ErrStalePlan, short(before), short(p.Fingerprint))
	}
	a.live = live
	a.report = newReport(p, before, start)
	a.report.Replanned = replanned
	bookmark := opts.Bookmark
	if opts.RestorePoint != nil && p.HasChanges() {
		bookmark = opts.RestorePoint(ctx)
	}
	a.report.Bookmark = bookmark
	a.rec = &state.HistoryRecord{
		PlanID: p.ID, FingerprintBefore: before, Steps: stepRefs(p.Steps), Counts: map[string]int{},
		ToolVersion: a.opts.ToolVersion, Actor: a.opts.Actor, StartedAt: start, FailedStep: -1,
		Bookmark: bookmark,
	}
	for act, n := range p.Counts() {
		a.rec.Counts[act.String()] = n
	}

	if !p.HasChanges() {
		a.report.Outcome = state.OutcomeNoOp
		a.report.FingerprintAfter = before
		a.report.Duration = a.opts.Now().Sub(start)
		if opts.RecordNoOp {
			// Recorded like any apply, so it too marks the rows earlier
			// applies left running (killed after their last step, say).
			if err := a.start(ctx); err != nil {
				return a.report, err
			}
			a.finish(state.OutcomeNoOp, before)
			if err := writeHistory(ctx, b.D1(), a.rec); err != nil {
				return a.report, err
			}
		}
		return a.report, nil
	}
	for _, s := range p.Steps {
		if s.Action != planner.Blocked {
			a.total++
		}
	}
	if a.stopped() {
		return a.report, fmt.Errorf("%w before the first step: nothing was applied", ErrInterrupted)
	}
	if err := a.start(ctx); err != nil {
		return a.report, err
	}
	if a.filling() {
		if err := a.markFills(ctx); err != nil {
			return a.report, a.fail(ctx, err)
		}
	}
	if err := a.namespaces(ctx); err != nil {
		return a.report, a.fail(ctx, err)
	}
	if err := a.schema(ctx); err != nil {
		return a.report, a.fail(ctx, err)
	}
	if a.writesAfter() {
		if err := a.gateway(ctx); err != nil {
			return a.report, a.fail(ctx, err)
		}
		if err := a.seeds(ctx); err != nil {
			return a.report, a.fail(ctx, err)
		}
		a.finish(state.OutcomeApplied, a.p.FingerprintAfter)
		if err := writeHistory(ctx, b.D1(), a.rec); err != nil {
			// Every step ran: the apply succeeded. Its row stays running,
			// which the next apply marks interrupted; say so, not fail.
			w := "the apply succeeded, but its history row could not be completed (" + a.redact(err) +
				"): history shows it as running until the next apply marks it interrupted"
			a.report.Warnings = append(a.report.Warnings, w)
			a.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "applier.history", slog.String("plan", p.ID),
				slog.Int64("row", a.rec.ID), slog.String("outcome", "not_recorded"), slog.String("error", a.redact(err)))
		}
	}
	a.report.Outcome = state.OutcomeApplied
	a.report.FingerprintAfter = p.FingerprintAfter
	a.report.Duration = a.opts.Now().Sub(start)
	return a.report, nil
}

// run is one Apply in progress.
type run struct {
	b      backend.Backend
	p      *planner.Plan
	opts   Options
	report *Report
	rec    *state.HistoryRecord
	lock   *Lock
	live   *state.Schema // as inspected under the lock
	total  int
	done   int
}

// lockErr reports a lost lease before the next batch or seed.
func (a *run) lockErr() error {
	if a.lock == nil {
		return nil
	}
	return a.lock.Err()
}

// stopped reports whether Options.Stop asked the apply to stop.
func (a *run) stopped() bool {
	select {
	case <-a.opts.Stop:
		return true
	default:
		return false
	}
}

// before is checked before step i runs (and before each batch): a lost
// lease fails the step; a stop request interrupts the apply there.
func (a *run) before(i int, s planner.Step) error {
	if err := a.lockErr(); err != nil {
		return &StepError{Index: i, Step: s, Err: err}
	}
	if a.stopped() {
		return a.interrupted(i)
	}
	return nil
}

// interrupted is the error of an apply stopped before step i (-1: before
// the final history write).
func (a *run) interrupted(i int) error {
	where := "before its last batch"
	if i >= 0 && i < len(a.p.Steps) {
		where = fmt.Sprintf("before step %d (%s)", i+1, a.p.Steps[i].Summary())
	}
	return fmt.Errorf("%w %s: %d of %d steps applied", ErrInterrupted, where, a.done, a.total)
}

// batchStep is the first plan step a batch carries, or -1.
func batchStep(batch []stmtRef) int {
	for _, r := range batch {
		if r.step >= 0 {
			return r.step
		}
	}
	return -1
}

// start records the apply as running before its first step, in one
// batch that also creates or upgrades the history table and marks the
// rows other applies left running as interrupted (Report.Interrupted).
// A SIGKILL from here on leaves a row that says the apply began.
func (a *run) start(ctx context.Context) error {
	up, err := historyUpgrade(ctx, a.b.D1(), a.rec)
	if err != nil {
		return err
	}
	a.rec.Outcome = state.OutcomeRunning
	rec, err := startStmts(a.rec)
	if err != nil {
		return err
	}
	head := append([]backend.Stmt{{SQL: historyDDL, Idempotent: true}}, up...)
	res, err := a.b.D1().Batch(ctx, append(head, rec...))
	if err != nil {
		return fmt.Errorf("record the start of the apply in history (nothing was applied): %w", err)
	}
	if len(res) != len(head)+len(rec) || len(res[len(res)-1].Rows) != 1 {
		return errors.New("record the start of the apply in history: its row is missing after writing it (nothing was applied)")
	}
	a.rec.ID = asInt(res[len(res)-1].Rows[0][0])
	for _, row := range res[len(head)].Rows {
		if len(row) >= 4 {
			a.report.Interrupted = append(a.report.Interrupted, InterruptedApply{
				ID: asInt(row[0]), PlanID: asString(row[1]), Actor: asString(row[2]), StartedAt: asTime(row[3]),
			})
		}
	}
	return nil
}

// namespaces creates the plan's KV namespaces, first, so that D1 never
// points at records whose namespace is missing.
func (a *run) namespaces(ctx context.Context) error {
	for i, s := range a.p.Steps {
		if s.Action != planner.CreateNamespace {
			continue
		}
		if err := a.before(i, s); err != nil {
			return err
		}
		ns, err := a.b.KV().CreateNamespace(ctx, s.Target)
		if err != nil {
			return &StepError{Index: i, Step: s, Err: fmt.Errorf("create kv namespace: %w", err)}
		}
		created := state.Namespace{Title: ns.Title, ID: ns.ID}
		a.report.NamespacesCreated = append(a.report.NamespacesCreated, created)
		a.rec.Namespaces = append(a.rec.Namespaces, created)
		a.report.applied(i, s, 0)
		a.progress(i, s, nil)
	}
	return nil
}

// statements sends the SQL of steps [from, to) in batches; the history
// table is created by the first batch and, when no backfill or seed runs
// after, the history row is the last statement of the final batch.
func (a *run) statements(ctx context.Context, from, to int) error {
	var refs []stmtRef
	for i := from; i < to; i++ {
		for _, q := range a.p.Steps[i].SQL {
			refs = append(refs, stmtRef{step: i, sql: q})
		}
	}
	seeding := a.writesAfter()
	if seeding && len(refs) == 0 {
		return nil // nothing to run here: the history row is written after
	}
	maxStmts, maxBytes := batchLimits(a.b.D1(), a.opts)
	batches := chunk(refs, maxStmts, maxBytes)
	if len(batches) == 0 { // no SQL at all: the final batch completes the history row alone
		batches = [][]stmtRef{nil}
	}
	// Leave room for the history row in the final batch.
	if last := batches[len(batches)-1]; len(last) >= maxStmts && !seeding {
		batches = append(batches, nil)
	}
	first := a.report.Batches
	a.report.Batches += len(batches)
	for bi, batch := range batches {
		final := bi == len(batches)-1 && !seeding
		if err := a.lockErr(); err != nil {
			return a.batchError(batch, err)
		}
		if a.stopped() {
			return a.interrupted(batchStep(batch))
		}
		sts := toStmts(batch)
		if final {
			a.finish(state.OutcomeApplied, a.p.FingerprintAfter)
			done, err := completeStmt(a.rec)
			if err != nil {
				return err
			}
			sts = append(sts, done)
		}
		t0 := time.Now()
		_, err := a.b.D1().Batch(ctx, sts)
		a.opts.Logger.Debug("applier batch", "batch", bi+1, "of", len(batches), "statements", len(sts), "duration", time.Since(t0), "err", err)
		if err != nil {
			return a.batchError(batch, err)
		}
		a.markApplied(batch, first+bi+1)
	}
	return nil
}

// batchError maps a failed batch to the step whose statement failed, using
// the *backend.BatchError the backend returns when it names the statement;
// without one, the error is attributed to the batch's first step.
func (a *run) batchError(batch []stmtRef, err error) error {
	var be *backend.BatchError
	if errors.As(err, &be) && be.Index >= 0 && be.Index <= len(batch) {
		if be.Index == len(batch) { // the history row closing the final batch
			return fmt.Errorf("record history: %w", err)
		}
		r := batch[be.Index]
		if r.step < 0 {
			return fmt.Errorf("prepare history table: %w", err)
		}
		return &StepError{Index: r.step, Step: a.p.Steps[r.step], SQL: r.sql, Err: err}
	}
	for _, r := range batch {
		if r.step >= 0 {
			return &StepError{Index: r.step, Step: a.p.Steps[r.step], Err: fmt.Errorf("batch from this step on failed: %w", err)}
		}
	}
	return fmt.Errorf("apply batch: %w", err)
}

func (a *run) markApplied(batch []stmtRef, n int) {
	last := -1
	for _, r := range batch {
		if r.step >= 0 && r.step != last {
			last = r.step
			a.report.applied(r.step, a.p.Steps[r.step], n)
			a.progress(r.step, a.p.Steps[r.step], nil)
		}
	}
}

func (a *run) progress(i int, s planner.Step, err error) {
	if err == nil {
		a.done++
	}
	if a.opts.Progress != nil {
		a.opts.Progress(Event{Index: i, Total: a.total, Done: a.done, Step: s, Err: err})
	}
}

func (a *run) progressRecords(i int, s planner.Step, n int) {
	a.done++
	if a.opts.Progress != nil {
		a.opts.Progress(Event{Index: i, Total: a.total, Done: a.done, Step: s, Records: n})
	}
}

// progressSeed reports a seed step with what it wrote.
func (a *run) progressSeed(i int, s planner.Step, o SeedOutcome) {
	a.done++
	if a.opts.Progress != nil {
		a.opts.Progress(Event{Index: i, Total: a.total, Done: a.done, Step: s, Records: o.Records(), Seed: &o})
	}
}

// finish fills the history record's outcome and times.
func (a *run) finish(outcome, after string) {
	end := a.opts.Now()
	a.rec.Outcome = outcome
	a.rec.FingerprintAfter = after
	a.rec.FinishedAt = end
	a.rec.DurationMS = end.Sub(a.rec.StartedAt).Milliseconds()
}

// redact is the text of err as history may store it (Options.Redact).
func (a *run) redact(err error) string {
	if a.opts.Redact != nil {
		return a.opts.Redact(err)
	}
	return err.Error()
}

// fail marks the failing step, records a failed history row in its own
// call (with the fingerprint the target now has), and returns the error.
func (a *run) fail(ctx context.Context, err error) error {
	ctx = context.WithoutCancel(ctx)
	var se *StepError
	if errors.As(err, &se) {
		a.report.Steps[se.Index].Outcome = StepFailed
		a.report.Steps[se.Index].Error = a.redact(se.Err)
		a.rec.FailedStep = se.Index
		a.progress(se.Index, se.Step, se.Err)
	}
	after := ""
	if live, ierr := backend.Inspect(ctx, a.b.D1(), a.b.KV()); ierr == nil {
		after = a.p.LiveFingerprint(live)
	}
	outcome := state.OutcomeFailed
	if errors.Is(err, ErrInterrupted) {
		outcome = state.OutcomeInterrupted
	}
	a.finish(outcome, after)
	a.rec.Error = a.redact(err)
	a.report.Outcome = outcome
	a.report.FingerprintAfter = after
	a.report.Duration = a.opts.Now().Sub(a.report.StartedAt)
	if herr := writeHistory(ctx, a.b.D1(), a.rec); herr != nil {
		return errors.Join(err, herr)
	}
	return err
}

// sameSteps reports whether two plans do the same: the same steps, in the
// same order, on the same targets with the same SQL.
func sameSteps(a, b *planner.Plan) bool {
	if len(a.Steps) != len(b.Steps) {
		return false
	}
	for i, s := range a.Steps {
		t := b.Steps[i]
		if s.Action != t.Action || s.Model != t.Model || s.Target != t.Target || !slices.Equal(s.SQL, t.SQL) {
			return false
		}
	}
	return true
}

func short(fp string) string {
	if len(fp) > 12 {
		return fp[:12]
	}
	return fp
}
