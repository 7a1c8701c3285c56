package view

import (
	"strings"

	"github.com/dmplan/dmplan/planner"
)

// Summary counts a plan's steps the way people read them: things created,
// columns added, blocked changes, backfills and seeds.
type Summary struct {
	Create   int `json:"create"`            // tables, indexes and namespaces
	Add      int `json:"add"`               // columns
	Blocked  int `json:"blocked"`           // never executed
	Backfill int `json:"backfill"`          // columns filled from KV
	Refill   int `json:"refill,omitempty"`  // tables created and refilled from KV
	Seed     int `json:"seed"`              // seed blocks run
	Deploy   int `json:"deploy,omitempty"`  // gateway Workers deployed
	Update   int `json:"update,omitempty"`  // gateway Workers updated
	FillKV   int `json:"fill_kv,omitempty"` // tables copied into KV objects

	Tables     int `json:"tables"`
	Columns    int `json:"columns"`
	Indexes    int `json:"indexes"`
	Namespaces int `json:"namespaces"`

	// Changes reports whether applying the plan would change anything.
	Changes bool `json:"changes"`
}

// Summarize counts the plan's steps.
func Summarize(p *planner.Plan) Summary {
	var s Summary
	if p == nil {
		return s
	}
	for _, st := range p.Steps {
		switch st.Action {
		case planner.CreateTable:
			s.Create++
			s.Tables++
		case planner.CreateIndex:
			s.Create++
			s.Indexes++
		case planner.CreateNamespace:
			s.Create++
			s.Namespaces++
		case planner.AddColumn:
			s.Add++
			s.Columns++
		case planner.Blocked:
			s.Blocked++
		case planner.Backfill:
			if p.Refills(st) {
				s.Refill++
				continue
			}
			// Target is "table.col1,col2": count the columns.
			_, cols, _ := strings.Cut(st.Target, ".")
			s.Backfill += strings.Count(cols, ",") + 1
		case planner.Seed:
			s.Seed++
		case planner.DeployWorker:
			s.Deploy++
		case planner.UpdateWorker:
			s.Update++
		case planner.FillKV:
			s.FillKV++
		}
	}
	s.Changes = p.HasChanges()
	return s
}

// Empty reports whether the plan has no steps at all.
func (s Summary) Empty() bool {
	return s.Create+s.Add+s.Blocked+s.Backfill+s.Refill+s.Seed+s.Deploy+s.Update+s.FillKV == 0
}

// PlanLine is the closing line of a plan: "Plan: 3 to create, 2 to add,
// 1 blocked." or "No changes. The live schema matches the spec."
func (s Summary) PlanLine() string {
	if s.Empty() {
		return "No changes. The live schema matches the spec."
	}
	parts := []string{
		itoa(s.Create) + " to create",
		itoa(s.Add) + " to add",
	}
	if s.Backfill > 0 {
		parts = append(parts, itoa(s.Backfill)+" to backfill")
	}
	if s.Refill > 0 {
		parts = append(parts, itoa(s.Refill)+" to refill from KV")
	}
	if s.FillKV > 0 {
		parts = append(parts, itoa(s.FillKV)+" to copy into KV")
	}
	if s.Seed > 0 {
		parts = append(parts, itoa(s.Seed)+" to seed")
	}
	if s.Deploy > 0 {
		parts = append(parts, itoa(s.Deploy)+" worker to deploy")
	}
	if s.Update > 0 {
		parts = append(parts, itoa(s.Update)+" worker to update")
	}
	if s.Blocked > 0 {
		parts = append(parts, itoa(s.Blocked)+" blocked")
	}
	return "Plan: " + strings.Join(parts, ", ") + "."
}

// AppliedLine is the closing line of an apply: "Apply complete: 3 tables
// created, 2 columns added, 4 indexes created, 1 namespace created."
func (s Summary) AppliedLine() string { return s.appliedLine(nil) }

// appliedLine is AppliedLine with what seeds and backfills wrote, when
// known: "1 table refilled from KV (2 rows)", "0 seeded, 1 already
// present" instead of the planned counts.
func (s Summary) appliedLine(w *Written) string {
	var parts []string
	if s.Tables > 0 {
		parts = append(parts, plural(s.Tables, "table", "tables")+" created")
	}
	if s.Columns > 0 {
		parts = append(parts, plural(s.Columns, "column", "columns")+" added")
	}
	if s.Indexes > 0 {
		parts = append(parts, plural(s.Indexes, "index", "indexes")+" created")
	}
	if s.Namespaces > 0 {
		parts = append(parts, plural(s.Namespaces, "namespace", "namespaces")+" created")
	}
	if s.Backfill > 0 {
		parts = append(parts, plural(s.Backfill, "column", "columns")+" backfilled")
	}
	if s.Refill > 0 {
		parts = append(parts, plural(s.Refill, "table", "tables")+" refilled from KV")
	}
	if (s.Backfill > 0 || s.Refill > 0) && w != nil {
		parts[len(parts)-1] += " (" + plural(w.BackfillRows, "row", "rows") + " written)"
	}
	if s.FillKV > 0 {
		parts = append(parts, plural(s.FillKV, "table", "tables")+" copied into KV")
	}
	switch {
	case s.Seed > 0 && w != nil:
		seeds := []string{plural(w.SeedRecords, "record", "records") + " seeded"}
		if w.SeedRestored > 0 {
			seeds = append(seeds, itoa(w.SeedRestored)+" restored from KV")
		}
		if w.SeedsUnchanged > 0 {
			seeds = append(seeds, itoa(w.SeedsUnchanged)+" already present")
		}
		parts = append(parts, strings.Join(seeds, ", "))
	case s.Seed > 0:
		parts = append(parts, plural(s.Seed, "seed", "seeds")+" run")
	}
	if s.Deploy > 0 {
		parts = append(parts, plural(s.Deploy, "worker", "workers")+" deployed")
	}
	if s.Update > 0 {
		parts = append(parts, plural(s.Update, "worker", "workers")+" updated")
	}
	if len(parts) == 0 {
		return "Apply complete: nothing to do."
	}
	return "Apply complete: " + strings.Join(parts, ", ") + "."
}

// actionLabel is how the human and markdown views name an action.
func actionLabel(a planner.Action) string {
	switch a {
	case planner.CreateTable:
		return "create table"
	case planner.AddColumn:
		return "add column"
	case planner.CreateIndex:
		return "create index"
	case planner.CreateNamespace:
		return "create namespace"
	case planner.Backfill:
		return "backfill"
	case planner.Seed:
		return "seed"
	case planner.Blocked:
		return "blocked"
	case planner.DeployWorker:
		return "deploy worker"
	case planner.UpdateWorker:
		return "update worker"
	case planner.FillKV:
		return "fill KV from"
	}
	return a.String()
}
