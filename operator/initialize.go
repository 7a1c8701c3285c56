package operator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/dmplan/dmplan/applier"
	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/runtime"
)

// InitReport is what Initialize did, in the JSON shape of the spec's
// DataModel.initialize:
//
//	{"tablesCreated":["users"],"columnsAdded":[{"table":"users","column":"last_login"}],
//	 "indexesCreated":["users_by_email"],"seedsRun":[{"model":"USER","records":1}],"duration":1250}
//
// seedsRun lists every model that has seeds, in declaration order, with
// the records its seeds wrote (0 when none had to run). duration is in
// milliseconds.
type InitReport struct {
	TablesCreated  []string     `json:"tablesCreated"`
	ColumnsAdded   []ColumnRef  `json:"columnsAdded"`
	IndexesCreated []string     `json:"indexesCreated"`
	SeedsRun       []SeedRecord `json:"seedsRun"`
	Duration       int64        `json:"duration"`
}

// ColumnRef names one added column.
type ColumnRef struct {
	Table  string `json:"table"`
	Column string `json:"column"`
}

// SeedRecord is the records one model's seeds wrote.
type SeedRecord struct {
	Model   string `json:"model"`
	Records int    `json:"records"`
}

// InitOptions adjust Initialize. The zero value is ready to use.
type InitOptions struct {
	// Getenv reads env.X for seeds; nil means os.LookupEnv.
	Getenv func(string) (string, bool)
	// LockTimeout is how long to wait for the target's lock while
	// another apply holds it; 0 fails at once with applier.ErrLocked.
	LockTimeout time.Duration
	// Actor is recorded in history and shown to whoever waits for the
	// lock (whose operation reads "initialize"); default $DMPLAN_ACTOR,
	// else user@host.
	Actor string
	// ToolVersion is recorded in history; default "dmplan runtime".
	ToolVersion string
}

// Initialize brings the target in line with the Spec, as `dmplan apply`
// does and through the same code: it takes the target's lock, inspects the
// live schema, computes the seeds' status, plans, refuses a plan with
// blocked steps (listing them, wrapping applier.ErrBlocked) and applies it
// (KV namespaces, tables, columns, indexes, then seeds through the System
// handle), recording the run in the target's history. Running it twice
// does nothing the second time. It is the spec's DataModel.initialize.
func Initialize(ctx context.Context, ds *runtime.Datastore) (*InitReport, error) {
	return InitializeWith(ctx, ds, InitOptions{})
}

// InitializeWith is Initialize with options.
func InitializeWith(ctx context.Context, ds *runtime.Datastore, opts InitOptions) (rep *InitReport, err error) {
	start := time.Now()
	defer func() {
		lvl, outcome := slog.LevelInfo, "initialized"
		if err != nil {
			lvl, outcome = slog.LevelError, "failed"
		}
		attrs := []slog.Attr{slog.Duration("duration", time.Since(start)), slog.String("outcome", outcome)}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		ds.Logger().LogAttrs(ctx, lvl, "runtime.initialize", attrs...)
	}()
	if opts.ToolVersion == "" {
		opts.ToolVersion = "dmplan runtime"
	}
	b := dsBackend{ds}
	lock, err := applier.AcquireLock(ctx, ds.D1(), applier.LockOptions{
		Who: opts.Actor, Operation: "initialize", Timeout: opts.LockTimeout, Logger: ds.Logger(),
	})
	if err != nil {
		return nil, fmt.Errorf("initialize: %w", err)
	}
	defer lock.Release(ctx)

	in, err := Inspect(ctx, ds.D1(), ds.KV())
	if err != nil {
		return nil, fmt.Errorf("initialize: inspect: %w", err)
	}
	live, pending := in.Live, in.Pending
	seeds := NewSeeds(ds, opts.Getenv)
	status, err := seeds.Status(ctx, live)
	if err != nil {
		return nil, fmt.Errorf("initialize: %w", err)
	}
	dups, err := applier.UniqueViolations(ctx, ds.D1(), planner.UniqueIndexProbes(ds.Spec(), ds.Environment(), live))
	if err != nil {
		return nil, fmt.Errorf("initialize: %w", err)
	}
	stored, err := StoredObjects(ctx, ds.KV(), live, planner.RefillPeeks(ds.Spec(), ds.Environment(), live))
	if err != nil {
		return nil, fmt.Errorf("initialize: %w", err)
	}
	p := planner.Diff(ds.Spec(), ds.Environment(), live, planner.WithSeedStatus(status), planner.WithPendingBackfills(pending),
		planner.WithUniqueViolations(dups), planner.WithStoredObjects(stored))
	if blocked := p.Blocked(); len(blocked) > 0 {
		lines := make([]string, len(blocked))
		for i, s := range blocked {
			lines[i] = s.Code + " " + s.Target + ": " + s.Reason
		}
		return nil, fmt.Errorf("initialize: %w: %s", applier.ErrBlocked, strings.Join(lines, "; "))
	}
	ar, err := applier.Apply(ctx, b, p, applier.Options{
		ToolVersion: opts.ToolVersion, Actor: opts.Actor, Logger: ds.Logger(),
		Seeder: seeds, Backfiller: Backfiller(ds), Lock: lock,
	})
	if err != nil {
		return nil, fmt.Errorf("initialize: %w", err)
	}
	if len(ds.Spec().Seeds) > 0 {
		// For plans made without the seeds' variables; not fatal.
		if err := seeds.Remember(ctx, in.Seeds); err != nil {
			ds.Logger().Warn("initialize: remember seeds", "error", err.Error())
		}
	}
	rep = initReport(ds.Spec(), p, ar)
	rep.Duration = time.Since(start).Milliseconds()
	return rep, nil
}

// initReport turns the applier's report into the spec's shape.
func initReport(spec *hclspec.Spec, p *planner.Plan, ar *applier.Report) *InitReport {
	rep := &InitReport{
		TablesCreated: append([]string{}, ar.TablesCreated...), ColumnsAdded: []ColumnRef{},
		IndexesCreated: append([]string{}, ar.IndexesCreated...), SeedsRun: []SeedRecord{},
	}
	for i, s := range p.Steps {
		if s.Action != planner.AddColumn || i >= len(ar.Steps) || ar.Steps[i].Outcome != applier.StepApplied {
			continue
		}
		table := s.Target
		if m := spec.Model(s.Model); m != nil && strings.HasPrefix(s.Target, m.D1.Table+".") {
			table = m.D1.Table
		} else if j := strings.LastIndexByte(s.Target, '.'); j > 0 {
			table = s.Target[:j]
		}
		rep.ColumnsAdded = append(rep.ColumnsAdded, ColumnRef{Table: table, Column: strings.TrimPrefix(s.Target, table+".")})
	}
	byModel := map[string]int{}
	for _, sr := range ar.SeedsRun {
		byModel[sr.Model] += sr.Records
	}
	seen := map[string]bool{}
	for _, sd := range spec.Seeds {
		if !seen[sd.Model] {
			seen[sd.Model] = true
			rep.SeedsRun = append(rep.SeedsRun, SeedRecord{Model: sd.Model, Records: byModel[sd.Model]})
		}
	}
	return rep
}

// dsBackend is the Datastore's D1 and KV as a backend.Backend for the
// applier.
type dsBackend struct{ ds *runtime.Datastore }

func (b dsBackend) D1() backend.D1 { return b.ds.D1() }
func (b dsBackend) KV() backend.KV { return b.ds.KV() }

// Describe names the target for humans.
func (b dsBackend) Describe() string {
	return "runtime datastore (environment " + b.ds.Environment() + ")"
}

// Close does nothing: the Datastore's caller owns the backend.
func (b dsBackend) Close() error { return nil }

var _ backend.Backend = dsBackend{}

// IsLocked reports whether err says another apply holds the target's
// lock (applier.ErrLocked).
func IsLocked(err error) bool { return errors.Is(err, applier.ErrLocked) }
