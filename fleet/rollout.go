package fleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// Outcome is a database's outcome in a rollout.
type Outcome string

// The outcomes of a database.
const (
	// OutcomeDone: this rollout applied the change (now or in an earlier,
	// interrupted run of it: RolloutResult.Resumed).
	OutcomeDone Outcome = "done"
	// OutcomeCurrent: the database already matched the spec.
	OutcomeCurrent Outcome = "current"
	// OutcomeBlocked: the plan for it has blocked steps (or a unique index
	// met duplicates); nothing was changed.
	OutcomeBlocked Outcome = "blocked"
	// OutcomeFailed: inspection or apply failed (unreachable, locked by
	// another apply, a statement error); Reason says why.
	OutcomeFailed Outcome = "failed"
	// OutcomeSkipped: the rollout stopped before reaching it.
	OutcomeSkipped Outcome = "skipped"
	// OutcomeMissing: the database is listed (names or file) but does not
	// exist, and the databases block does not create it (create = true);
	// nothing was sent to it. Like blocked, it is not a failure.
	OutcomeMissing Outcome = "missing"
)

// missingReason is a missing database's reason.
const missingReason = "the database does not exist (create = true in the databases block creates it)"

// final reports whether a resume can trust the status without asking the
// database again.
func (s Outcome) final() bool {
	return s == OutcomeDone || s == OutcomeCurrent
}

// RolloutResult is one database's outcome.
type RolloutResult struct {
	Database string  `json:"database"`
	Status   Outcome `json:"status"`
	// Wave is the 0-based wave (0 is the canary when there is one).
	Wave   int    `json:"wave"`
	Steps  int    `json:"steps,omitempty"`
	Code   string `json:"code,omitempty"`
	Reason string `json:"reason,omitempty"`
	// FailedAt is where a failed database failed: inspect, plan or apply.
	FailedAt string `json:"failed_at,omitempty"`
	// PlanID is the history row's plan id ("<rollout>:<digest>").
	PlanID string `json:"plan_id,omitempty"`
	// RestorePoint is the database's clock just before the change, for
	// `wrangler d1 time-travel restore --timestamp`.
	RestorePoint string `json:"restore_point,omitempty"`
	// Resumed: the outcome comes from an earlier run of the rollout (its
	// journal, or the database's history).
	Resumed bool `json:"resumed,omitempty"`
	// Interrupted is the number of earlier applies the lean apply found
	// still "running" in the database's history and marked interrupted.
	Interrupted int `json:"interrupted_applies,omitempty"`
}

// RolloutReport is a rollout's outcome.
type RolloutReport struct {
	Rollout     string    `json:"rollout"`
	Environment string    `json:"environment,omitempty"`
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished"`
	// Stopped says why the rollout stopped before every database (the
	// canary failed, too many failures, interrupted); empty when complete.
	Stopped string          `json:"stopped,omitempty"`
	Waves   int             `json:"waves"`
	Results []RolloutResult `json:"databases"`
	// Requests is the API requests sent, when the caller counts them.
	Requests int64 `json:"requests,omitempty"`
}

// Counts returns the number of databases per status.
func (r *RolloutReport) Counts() map[Outcome]int {
	out := map[Outcome]int{}
	for _, x := range r.Results {
		out[x.Status]++
	}
	return out
}

// Complete reports whether every database ended done, current, blocked or
// missing: nothing a re-run of the rollout could change.
func (r *RolloutReport) Complete() bool {
	for _, x := range r.Results {
		if x.Status == OutcomeFailed || x.Status == OutcomeSkipped {
			return false
		}
	}
	return true
}

// Errors of Rollout.
var (
	// ErrNoMembers is returned for an empty fleet.
	ErrNoMembers = errors.New("fleet: no databases to roll out to")
	// ErrResumeMismatch is returned when a journal to resume belongs to
	// another environment or spec.
	ErrResumeMismatch = errors.New("fleet: journal is of another rollout")
	// ErrStopped wraps the error of a rollout that stopped early; its
	// RolloutReport says why and what was reached.
	ErrStopped = errors.New("fleet: rollout stopped")
)

// RolloutOptions adjust Rollout.
type RolloutOptions struct {
	// ID is the rollout id; NewRolloutID when empty. A resume passes the
	// journal's.
	ID          string
	Environment string
	// Spec and Environment are what is rolled out; each database plans
	// the tenant's view of the spec (hclspec.Spec.Tenant).
	Spec *hclspec.Spec
	// PlanOptions are passed to planner.Diff for every database.
	PlanOptions []planner.Option
	// Plan, when set, plans one database from its inspection instead of
	// TenantPlan(Spec, Environment, PlanOptions...).
	Plan RolloutPlanFunc
	// Planned, when set, gives the plan a fleet plan made for a database
	// just before (PlanFleet, whose inspection the user approved): a
	// current or blocked one is reported as is and a single-batch one is
	// applied at once, one request, without inspecting again. nil, a plan
	// of another kind, or a batch that fails for a reason other than
	// duplicates or the lock sends the database down the inspecting path.
	Planned func(db Database) *planner.Plan
	// Fingerprints, when set, gives the database's own fingerprints before
	// and after the Planned plan (DatabasePlan.Fingerprint and
	// FingerprintAfter): a group's plan carries its first database's, and
	// the history of every database records its own. Empty strings keep
	// the plan's.
	Fingerprints func(db Database) (before, after string)
	// Canary is the number of databases of the first wave; CanaryPercent,
	// when set, a share of the fleet instead (rounded up). With neither,
	// there is no canary wave. A database of the canary wave where the
	// change fails to apply stops the rollout after that wave (one that
	// cannot be reached counts only toward MaxFailures).
	Canary        int
	CanaryPercent float64
	// BatchSize is the number of databases of each later wave; 0 means one
	// wave for all the rest.
	BatchSize int
	// Concurrency bounds the databases in flight; default 8.
	Concurrency int
	// MaxFailures stops the rollout (no new database starts) once more
	// databases than this failed. Blocked databases are not failures.
	MaxFailures int
	// Journal records progress; nil records none (the databases' history
	// still guards against double apply).
	Journal *Journal
	// Stop, when closed, starts no new database: those in flight finish
	// and are recorded, the rest are skipped (a first Ctrl-C).
	Stop <-chan struct{}
	// Progress is called once per database as its outcome is known, from
	// the worker goroutines (serialize inside if needed).
	Progress func(RolloutResult)
	// Lean are the lean apply's options; RolloutID is set from ID.
	Lean applier.LeanOptions
	// Apply runs plans that are not a single batch (backfills, seeds):
	// applier.Apply with these options.
	Apply applier.Options
	// ApplyFor, when set, completes Apply for one database before such a
	// plan runs (its Backfiller and Seeder reach that database and the
	// tenant's KV objects); done, when not nil, is called after.
	ApplyFor func(ctx context.Context, be backend.Backend, db Database, p *planner.Plan, opts *applier.Options) (done func(), err error)
	// LockTimeout is how long to wait for another rollout of the fleet;
	// 0 refuses at once.
	LockTimeout time.Duration
	// Lease is the rollout lease; default applier.DefaultLease.
	Lease  time.Duration
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// NewRolloutID returns a rollout id: the UTC time and 4 random bytes
// ("r20261207T211500-1a2b3c4d"), sortable by start.
func NewRolloutID(now time.Time) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "r" + now.UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b)
}

// Rollout applies opts.Spec to the databases dbs of src, in waves (see
// RolloutOptions), and reports per database. Per database it costs, for
// an additive change, two requests to inspect (applier.RolloutProbe rides
// in the second) and one to apply (applier.ApplyLean); with
// RolloutOptions.Planned (a fleet plan made just before) only the one to
// apply. A database already current costs the inspection, one the journal
// says is finished nothing.
//
// Before the first wave it takes the fleet's rollout lease in the first
// existing database by name (applier.AcquireRolloutLock): a second rollout
// of the same fleet is refused (or waits LockTimeout) with the holder's
// name, while the same rollout resumed takes its own lease over. It then
// creates the spec's KV namespaces the fleet's shared KV lacks, once.
//
// It returns the report and, when the rollout stopped before reaching
// every database, an error wrapping ErrStopped.
func Rollout(ctx context.Context, src Source, dbs []Database, opts RolloutOptions) (*RolloutReport, error) {
	if len(dbs) == 0 {
		return nil, ErrNoMembers
	}
	if opts.Spec == nil {
		return nil, errors.New("fleet: Rollout needs RolloutOptions.Spec")
	}
	if opts.Plan == nil {
		opts.Plan = TenantPlan(opts.Spec, opts.Environment, opts.PlanOptions...)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.ID == "" {
		opts.ID = NewRolloutID(opts.Now())
	}
	if j := opts.Journal; j != nil && (j.Header.Rollout != opts.ID || (opts.Environment != "" && j.Header.Environment != opts.Environment)) {
		return nil, fmt.Errorf("%w: journal %s is rollout %s of %s, not %s of %s", ErrResumeMismatch,
			j.Path(), j.Header.Rollout, j.Header.Environment, opts.ID, opts.Environment)
	}
	opts.Lean.RolloutID = opts.ID
	ms := append([]Database(nil), dbs...)
	sortDatabases(ms)

	rep := &RolloutReport{Rollout: opts.ID, Environment: opts.Environment, Started: opts.Now()}
	// The lease lives in the first existing database by name: every
	// rollout of the fleet picks the same one. With none, in the first
	// one to create (the rollout creates it then); a fleet of databases
	// that neither exist nor are to be created has nothing to roll out.
	first, ok := firstOpenable(ms)
	if !ok {
		for _, db := range ms {
			rep.Results = append(rep.Results, RolloutResult{Database: db.Name, Status: OutcomeMissing, Reason: missingReason})
		}
		rep.Finished = opts.Now()
		if opts.Journal != nil {
			if err := opts.Journal.Finish(rep.Finished); err != nil {
				return rep, err
			}
		}
		return rep, nil
	}
	control, err := src.Open(ctx, first, false)
	if err != nil {
		return nil, fmt.Errorf("fleet rollout lock (in database %s): %w", first.Name, err)
	}
	defer control.Close()
	lock, err := applier.AcquireRolloutLock(ctx, control.D1(), applier.RolloutLockOptions{
		Rollout: opts.ID, Who: opts.Lean.Actor, Lease: opts.Lease, Timeout: opts.LockTimeout, Logger: opts.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("fleet rollout lock (in database %s, the fleet's first): %w", first.Name, err)
	}
	defer func() {
		if err := lock.Release(context.WithoutCancel(ctx)); err != nil {
			opts.Logger.Warn("fleet.rollout.unlock", "rollout", opts.ID, "error", err)
		}
	}()

	if err := ensureNamespaces(ctx, src.KV(), opts.Spec, opts.Environment); err != nil {
		return nil, err
	}

	waves := planWaves(len(ms), opts)
	rep.Waves = len(waves)
	results := make([]RolloutResult, len(ms))
	r := &run{src: src, opts: opts}
	for w, span := range waves {
		if why := r.stopReason(ctx); why != "" && rep.Stopped == "" {
			rep.Stopped = why
		}
		if rep.Stopped != "" {
			for i := span[0]; i < span[1]; i++ {
				results[i] = RolloutResult{Database: ms[i].Name, Status: OutcomeSkipped, Wave: w, Reason: rep.Stopped}
			}
			continue
		}
		waveFailed := r.wave(ctx, ms, results, span, w)
		if w == 0 && len(waves) > 1 && isCanary(opts) && waveFailed > 0 {
			rep.Stopped = fmt.Sprintf("the change failed to apply to %d database(s) of the canary wave", waveFailed)
		} else if why := r.stopReason(ctx); why != "" {
			rep.Stopped = why
		}
	}
	rep.Results = results
	rep.Finished = opts.Now()
	if opts.Journal != nil {
		if rep.Stopped == "" && rep.Complete() {
			if err := opts.Journal.Finish(rep.Finished); err != nil {
				return rep, err
			}
		} else if err := opts.Journal.Close(); err != nil {
			return rep, fmt.Errorf("%w: %w", ErrJournal, err)
		}
	}
	if rep.Stopped != "" {
		return rep, fmt.Errorf("%w: %s", ErrStopped, rep.Stopped)
	}
	return rep, nil
}

// firstOpenable returns the first database of ms (sorted by name) that
// exists, else the first to create.
func firstOpenable(ms []Database) (Database, bool) {
	for _, db := range ms {
		if !db.Missing {
			return db, true
		}
	}
	for _, db := range ms {
		if db.Create {
			return db, true
		}
	}
	return Database{}, false
}

func isCanary(opts RolloutOptions) bool { return opts.Canary > 0 || opts.CanaryPercent > 0 }

// planWaves splits n databases into [start, end) spans: the canary, then
// batches.
func planWaves(n int, opts RolloutOptions) [][2]int {
	var waves [][2]int
	canary := opts.Canary
	if opts.CanaryPercent > 0 {
		canary = int(math.Ceil(float64(n) * opts.CanaryPercent / 100))
	}
	canary = min(max(canary, 0), n)
	start := 0
	if canary > 0 {
		waves = append(waves, [2]int{0, canary})
		start = canary
	}
	size := opts.BatchSize
	if size <= 0 {
		size = n
	}
	for start < n {
		end := min(start+size, n)
		waves = append(waves, [2]int{start, end})
		start = end
	}
	return waves
}

type run struct {
	src      Source
	opts     RolloutOptions
	failures atomic.Int64

	// trimmed caches withoutNamespaces by plan: the databases of a group
	// share their plan.
	trimmed sync.Map // *planner.Plan -> *planner.Plan
}

// withoutNamespaces returns p without its create_namespace steps: the
// rollout made the fleet's namespaces before its first wave, so they are
// there for every database.
func (r *run) withoutNamespaces(p *planner.Plan) *planner.Plan {
	if p == nil {
		return nil
	}
	if q, ok := r.trimmed.Load(p); ok {
		return q.(*planner.Plan)
	}
	q := *p
	q.Steps = nil
	for _, s := range p.Steps {
		if s.Action != planner.CreateNamespace {
			q.Steps = append(q.Steps, s)
		}
	}
	r.trimmed.Store(p, &q)
	return &q
}

// stopReason says why no new database may start, or "".
func (r *run) stopReason(ctx context.Context) string {
	if n := r.failures.Load(); n > int64(r.opts.MaxFailures) {
		return fmt.Sprintf("%d database(s) failed, more than the %d allowed", n, r.opts.MaxFailures)
	}
	select {
	case <-r.opts.Stop:
		return "interrupted"
	default:
	}
	if ctx.Err() != nil {
		return "interrupted: " + ctx.Err().Error()
	}
	return ""
}

// wave rolls out ms[span] with bounded concurrency and returns the number
// of its databases whose apply failed (not those that could not be
// reached or planned: a canary tests the change).
func (r *run) wave(ctx context.Context, ms []Database, results []RolloutResult, span [2]int, w int) int {
	next := make(chan int)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range min(r.opts.Concurrency, span[1]-span[0]) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if why := r.stopReason(ctx); why != "" {
					results[i] = RolloutResult{Database: ms[i].Name, Status: OutcomeSkipped, Wave: w, Reason: why}
					continue
				}
				res := r.one(ctx, ms[i], w)
				results[i] = res
				if res.Status == OutcomeFailed {
					r.failures.Add(1)
					if res.FailedAt == "apply" {
						failed.Add(1)
					}
				}
				if r.opts.Journal != nil && res.Status != OutcomeSkipped && !res.Resumed {
					if err := r.opts.Journal.Record(res); err != nil {
						r.opts.Logger.Warn("fleet.rollout.journal", "database", res.Database, "error", err)
					}
				}
				if r.opts.Progress != nil {
					r.opts.Progress(res)
				}
			}
		}()
	}
	for i := span[0]; i < span[1]; i++ {
		if why := r.stopReason(ctx); why != "" {
			for ; i < span[1]; i++ {
				results[i] = RolloutResult{Database: ms[i].Name, Status: OutcomeSkipped, Wave: w, Reason: why}
			}
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return int(failed.Load())
}

// one rolls out one database.
func (r *run) one(ctx context.Context, db Database, w int) RolloutResult {
	res := RolloutResult{Database: db.Name, Wave: w}
	if r.opts.Journal != nil {
		if prev, ok := r.opts.Journal.Final(db.Name); ok {
			prev.Resumed = true
			return prev
		}
	}
	if db.Missing && !db.Create {
		res.Status, res.Reason = OutcomeMissing, missingReason
		return res
	}
	be, err := r.src.Open(ctx, db, false)
	if err != nil {
		return failed(res, "open", err)
	}
	defer be.Close()
	d1 := be.D1()
	if r.opts.Planned != nil {
		if p := r.withoutNamespaces(r.opts.Planned(db)); p != nil {
			switch blocked := p.Blocked(); {
			case len(blocked) > 0:
				res.Status, res.Code, res.Steps = OutcomeBlocked, blocked[0].Code, len(blocked)
				res.Reason = blocked[0].Target + ": " + blocked[0].Reason
				return res
			case !p.HasChanges():
				res.Status = OutcomeCurrent
				return res
			case applier.IsLean(p):
				lean := r.opts.Lean
				if r.opts.Fingerprints != nil {
					lean.FingerprintBefore, lean.FingerprintAfter = r.opts.Fingerprints(db)
				}
				lr, err := applier.ApplyLean(ctx, d1, p, lean)
				switch {
				case err == nil:
					res.Status, res.PlanID, res.RestorePoint, res.Steps = OutcomeDone, lr.PlanID, lr.StartedAt, lr.Steps
					res.Interrupted = len(lr.Interrupted)
					return res
				case errors.Is(err, applier.ErrUniqueDuplicates):
					res.Status, res.Code, res.Reason = OutcomeBlocked, planner.CodeUniqueDuplicates, err.Error()
					return res
				case errors.Is(err, applier.ErrLeanLocked):
					return failed(res, "apply", err)
				}
				// Stale (changed since the plan) or an unknown outcome:
				// inspect, and the history and live schema decide.
			}
		}
	}
	probe := applier.RolloutProbe(r.opts.ID)
	in, err := operator.Inspect(ctx, d1, be.KV(), probe)
	if err != nil {
		return failed(res, "inspect", err)
	}
	if done, ok := appliedBefore(probe); ok {
		res.Status, res.PlanID, res.RestorePoint, res.Resumed = OutcomeDone, done.PlanID, done.StartedAt, true
		return res
	}
	p, err := r.opts.Plan(ctx, be, db, in)
	if err != nil {
		return failed(res, "plan", err)
	}
	if blocked := p.Blocked(); len(blocked) > 0 {
		res.Status, res.Code, res.Steps = OutcomeBlocked, blocked[0].Code, len(blocked)
		res.Reason = blocked[0].Target + ": " + blocked[0].Reason
		return res
	}
	if !p.HasChanges() {
		res.Status = OutcomeCurrent
		return res
	}
	res.Steps = len(p.Steps)
	if !applier.IsLean(p) {
		return r.full(ctx, be, db, p, res)
	}
	lr, err := applier.ApplyLean(ctx, d1, p, r.opts.Lean)
	switch {
	case err == nil:
		res.Status, res.PlanID, res.RestorePoint = OutcomeDone, lr.PlanID, lr.StartedAt
		res.Interrupted = len(lr.Interrupted)
		return res
	case errors.Is(err, applier.ErrUniqueDuplicates):
		res.Status, res.Code, res.Reason = OutcomeBlocked, planner.CodeUniqueDuplicates, err.Error()
		return res
	case errors.Is(err, applier.ErrLeanLocked):
		return failed(res, "apply", err)
	}
	var se *applier.StepError
	if errors.As(err, &se) {
		return failed(res, "apply", err)
	}
	// The outcome is unknown (the answer was lost): the database's history
	// says whether the batch landed.
	probe = applier.RolloutProbe(r.opts.ID)
	if _, ierr := backend.InspectWith(ctx, d1, nil, probe); ierr == nil {
		if done, ok := appliedBefore(probe); ok {
			res.Status, res.PlanID, res.RestorePoint = OutcomeDone, done.PlanID, done.StartedAt
			return res
		}
	}
	return failed(res, "apply", err)
}

// full applies a plan that is not a single batch with the normal applier,
// its history row named after the rollout.
func (r *run) full(ctx context.Context, be backend.Backend, db Database, p *planner.Plan, res RolloutResult) RolloutResult {
	p.ID = applier.RolloutPlanID(r.opts.ID, applier.PlanDigest(p))
	opts := r.opts.Apply
	if r.opts.ApplyFor != nil {
		done, err := r.opts.ApplyFor(ctx, be, db, p, &opts)
		if err != nil {
			return failed(res, "apply", err)
		}
		if done != nil {
			defer done()
		}
	}
	if opts.Actor == "" {
		opts.Actor = r.opts.Lean.Actor
	}
	if opts.ToolVersion == "" {
		opts.ToolVersion = r.opts.Lean.ToolVersion
	}
	start := time.Now().UTC()
	if _, err := applier.Apply(ctx, be, p, opts); err != nil {
		return failed(res, "apply", err)
	}
	res.Status, res.PlanID, res.RestorePoint = OutcomeDone, p.ID, start.Format("2006-01-02T15:04:05.000Z")
	return res
}

// appliedBefore returns the history row of this rollout that applied.
func appliedBefore(p *backend.Probe) (applier.RolloutRecord, bool) {
	for _, rec := range applier.RolloutRecords(p) {
		if rec.Outcome == state.OutcomeApplied {
			return rec, true
		}
	}
	return applier.RolloutRecord{}, false
}

func failed(res RolloutResult, what string, err error) RolloutResult {
	res.Status, res.FailedAt = OutcomeFailed, what
	res.Reason = what + ": " + err.Error()
	return res
}

// RolloutPlanFunc plans one database of a rollout from its inspection (the
// rollout reads it, with its own history probe, in two requests): be is
// the database opened for writing with the fleet's KV.
type RolloutPlanFunc func(ctx context.Context, be backend.Backend, db Database, in *operator.Inspection) (*planner.Plan, error)

// TenantPlan is the default RolloutPlanFunc: planner.Diff of the tenant's
// view of spec with the pending backfills the inspection found and, when
// the plan creates a table whose namespace exists, whether it holds the
// model's objects (one KV request per such table), and, when it adds a
// column with a CHECK and a default to a table with rows, whether a row
// fails the CHECK (one D1 read, only then: DM124). Unique indexes are not
// probed for duplicates: the lean apply's batch fails on them atomically,
// and the database is reported blocked (DM112) at no extra request.
func TenantPlan(spec *hclspec.Spec, env string, opts ...planner.Option) RolloutPlanFunc {
	return func(ctx context.Context, be backend.Backend, db Database, in *operator.Inspection) (*planner.Plan, error) {
		tspec := spec.Tenant(db.Name)
		checkFails, err := applier.CheckViolations(ctx, be.D1(), planner.CheckProbes(tspec, env, in.Live))
		if err != nil {
			return nil, err
		}
		stored, err := operator.StoredObjects(ctx, be.KV(), in.Live, planner.RefillPeeks(tspec, env, in.Live))
		if err != nil {
			return nil, err
		}
		all := append([]planner.Option{planner.WithPendingBackfills(in.Pending), planner.WithCheckViolations(checkFails), planner.WithStoredObjects(stored)}, opts...)
		return planner.Diff(tspec, env, in.Live, all...), nil
	}
}

// ensureNamespaces creates, once per rollout, the KV namespaces of the
// spec the fleet's shared KV lacks, so no database's plan creates one.
func ensureNamespaces(ctx context.Context, kv backend.KV, spec *hclspec.Spec, env string) error {
	have, err := kv.Namespaces(ctx)
	if err != nil {
		return fmt.Errorf("list the fleet's kv namespaces: %w", err)
	}
	titles := map[string]bool{}
	for _, ns := range have {
		titles[ns.Title] = true
	}
	for _, ns := range planner.Desired(spec, env).Namespaces {
		if titles[ns.Title] {
			continue
		}
		if _, err := kv.CreateNamespace(ctx, ns.Title); err != nil {
			return fmt.Errorf("create the fleet's kv namespace %s: %w", ns.Title, err)
		}
	}
	return nil
}
