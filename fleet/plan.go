package fleet

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
)

// DefaultParallel is how many databases PlanFleet inspects at once by
// default. Requests also wait for the process's rate governor, so more
// parallelism than the API allows only queues.
const DefaultParallel = 8

// Options tune PlanFleet.
type Options struct {
	// Parallel bounds the databases inspected at once; 0 means
	// DefaultParallel.
	Parallel int
	// Plan plans one database; nil means DiffPlan(env).
	Plan PlanFunc
}

// DatabasePlan is where one database stands.
type DatabasePlan struct {
	Database Database `json:"database"`
	Status   Status   `json:"status"`
	// Group is the index of the database's group in Result.Groups.
	Group int `json:"group"`
	// Error says why an unreachable database could not be planned, or
	// that a missing one does not exist.
	Error string `json:"error,omitempty"`
	// Plan is the database's plan, kept only for the first database of
	// each group (the group's Plan): the others' are equal to it, so a
	// plan over many databases holds a plan per group, not per database.
	Plan *planner.Plan `json:"-"`
	// Fingerprint and FingerprintAfter are the database's own plan's
	// fingerprints of its live schema before and after the plan (kept
	// when Plan is dropped): the databases of a group run the same steps
	// from schemas that may differ where the plan does not look (an
	// unmanaged table's columns), and each one's history records its own.
	Fingerprint      string `json:"fingerprint,omitempty"`
	FingerprintAfter string `json:"fingerprint_after,omitempty"`
	key              string
}

// Result is a plan over a fleet.
type Result struct {
	Environment string          `json:"environment"`
	Databases   []*DatabasePlan `json:"databases"`
	Groups      []*Group        `json:"groups"`
}

// Count returns how many databases have each status.
func (r *Result) Count() map[Status]int {
	out := map[Status]int{}
	for _, d := range r.Databases {
		out[d.Status]++
	}
	return out
}

// PlanFleet plans every database of the fleet f of environment env in src,
// opts.Parallel at a time, and groups the databases whose plans are the
// same. A database that cannot be opened or inspected is unreachable with
// the error, and the others are still planned; PlanFleet itself fails
// only when ctx ends. A live database outside the fleet's jurisdiction is
// blocked (DM140). The spec is loaded once; each database plans the
// tenant's view of it (Spec.Tenant), which shares everything but the
// models' KV key patterns.
func PlanFleet(ctx context.Context, spec *hclspec.Spec, env string, f *hclspec.Fleet, src Source, dbs []Database, opts Options) (*Result, error) {
	par := opts.Parallel
	if par <= 0 {
		par = DefaultParallel
	}
	planOne := opts.Plan
	if planOne == nil {
		planOne = DiffPlan(env)
	}
	res := &Result{Environment: env, Databases: make([]*DatabasePlan, len(dbs))}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(par, len(dbs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				res.Databases[i] = planDatabase(ctx, spec, f, src, dbs[i], planOne)
			}
		}()
	}
feed:
	for i := range dbs {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("plan the fleet of environment %s: %w", env, err)
	}
	res.Groups = group(res.Databases)
	first := make(map[int]bool, len(res.Groups))
	for _, d := range res.Databases {
		if first[d.Group] {
			d.Plan = nil
		}
		first[d.Group] = true
	}
	return res, nil
}

// planDatabase opens, inspects and plans one database.
func planDatabase(ctx context.Context, spec *hclspec.Spec, f *hclspec.Fleet, src Source, db Database, planOne PlanFunc) *DatabasePlan {
	d := &DatabasePlan{Database: db}
	if db.Missing && (f == nil || !f.Create) {
		d.Status = StatusMissing
		d.Error = "the database does not exist (create = true in the databases block creates it)"
		d.key = groupKey(d.Status, nil, db.Name)
		return d
	}
	be, err := src.Open(ctx, db, true)
	if err == nil {
		d.Plan, err = planOne(ctx, be, spec.Tenant(db.Name), db)
		be.Close()
	}
	if err != nil {
		d.Status, d.Error = StatusUnreachable, err.Error()
		d.Plan = nil
		d.key = groupKey(d.Status, nil, db.Name)
		return d
	}
	d.Fingerprint, d.FingerprintAfter = d.Plan.Fingerprint, d.Plan.FingerprintAfter
	if f != nil && f.Jurisdiction != "" && !db.Missing && db.Jurisdiction != f.Jurisdiction {
		d.Plan.Steps = append(d.Plan.Steps, jurisdictionStep(db, f.Jurisdiction))
	}
	switch {
	case db.Missing:
		d.Status = StatusCreate
	case len(d.Plan.Blocked()) > 0:
		d.Status = StatusBlocked
	case d.Plan.HasChanges():
		d.Status = StatusChanges
	default:
		d.Status = StatusCurrent
	}
	d.key = groupKey(d.Status, d.Plan, db.Name)
	return d
}

// jurisdictionStep blocks a database whose live jurisdiction is not the
// fleet's: jurisdiction is create-only, a database is never moved.
func jurisdictionStep(db Database, want string) planner.Step {
	have := db.Jurisdiction
	if have == "" {
		have = "none"
	}
	return planner.Step{
		Action: planner.Blocked,
		Target: "database",
		Reason: fmt.Sprintf("the databases block sets jurisdiction = %q, and this database's jurisdiction is %s; a jurisdiction is chosen when a database is created and cannot change", want, have),
		Code:   planner.CodeJurisdiction,
		Hint:   "export the database, create it again in the jurisdiction and import the export (wrangler d1 export / execute), or take it out of the fleet",
	}
}

func sortDatabases(dbs []Database) {
	sort.Slice(dbs, func(i, j int) bool { return dbs[i].Name < dbs[j].Name })
}

// ResultOf is the Result of a single database's plan (or the error that
// kept it from being planned), so one database and a fleet are reported
// alike (dmplan drift).
func ResultOf(env string, db Database, p *planner.Plan, err error) *Result {
	d := &DatabasePlan{Database: db, Plan: p}
	switch {
	case err != nil:
		d.Status, d.Error, d.Plan = StatusUnreachable, err.Error(), nil
	case len(p.Blocked()) > 0:
		d.Status = StatusBlocked
	case p.HasChanges():
		d.Status = StatusChanges
	default:
		d.Status = StatusCurrent
	}
	d.key = groupKey(d.Status, d.Plan, db.Name)
	res := &Result{Environment: env, Databases: []*DatabasePlan{d}}
	res.Groups = group(res.Databases)
	return res
}
