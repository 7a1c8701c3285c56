package planner

import (
	"fmt"
	"time"

	"github.com/dmplan/dmplan/state"
)

// FormatVersion is the version of the Plan JSON shape. It changes only when
// a field is removed or changes meaning.
const FormatVersion = "1"

// Action is what a step does. The set is small and additive only.
type Action int

// Actions.
const (
	CreateTable Action = iota + 1
	AddColumn
	CreateIndex
	CreateNamespace
	Backfill
	Seed
	Blocked
	// DeployWorker uploads the environment's gateway Worker, which the
	// account does not have yet; UpdateWorker uploads it again because
	// the live one differs (Step.Worker.Changes).
	DeployWorker
	UpdateWorker
	// FillKV copies the rows of a table into KV objects: a model that
	// was D1-only now keeps its records in KV too (see fillkv.go).
	FillKV
)

var actionNames = map[Action]string{
	CreateTable: "create_table", AddColumn: "add_column", CreateIndex: "create_index",
	CreateNamespace: "create_namespace", Backfill: "backfill", Seed: "seed", Blocked: "blocked",
	DeployWorker: "deploy_worker", UpdateWorker: "update_worker",
	FillKV: "fill_kv",
}

func (a Action) String() string {
	if s, ok := actionNames[a]; ok {
		return s
	}
	return fmt.Sprintf("action(%d)", int(a))
}

// MarshalText makes actions readable in JSON.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText parses an action name.
func (a *Action) UnmarshalText(b []byte) error {
	for k, v := range actionNames {
		if v == string(b) {
			*a = k
			return nil
		}
	}
	return fmt.Errorf("planner: unknown action %q", b)
}

// Plan is the ordered steps that bring the live schema to the desired one.
type Plan struct {
	FormatVersion string    `json:"format_version"`
	ID            string    `json:"id"` // UUID, recorded in history
	CreatedAt     time.Time `json:"created_at"`
	// Fingerprint is the fingerprint of the live schema the plan was made
	// against (LiveFingerprint): apply refuses a saved plan when it no
	// longer matches.
	Fingerprint string `json:"fingerprint"`
	// FingerprintAfter is the same fingerprint of the schema expected once
	// every executable step has run; history records it.
	FingerprintAfter string `json:"fingerprint_after,omitempty"`
	// NamespaceScope is the KV namespace titles the spec declares. Only
	// these namespaces count in the fingerprints, so namespaces of other
	// projects in the same account do not make a saved plan stale.
	NamespaceScope []string `json:"kv_namespace_scope"`
	Steps          []Step   `json:"steps"`
	// Notes are things reported but never acted on: unmanaged tables and
	// columns that dmplan leaves alone.
	Notes []Note `json:"notes,omitempty"`
	// Targets are the models a targeted plan covers (WithTargets); empty
	// for a plan of every model.
	Targets []string `json:"targets,omitempty"`
}

// Step is one change. Executable steps carry the statements they run;
// blocked steps carry a code, the reason and what a person can do by hand.
type Step struct {
	Action Action `json:"action"`
	Model  string `json:"model,omitempty"` // the model that caused the step
	// Target names what changes: "page_meta", "page_meta.title",
	// "page_meta_by_project_status", "nimbus-local-PAGES", "USER.admin".
	Target string `json:"target"`
	// SQL is the statements the step runs, in order (none for
	// CreateNamespace, Seed and Blocked).
	SQL    []string `json:"sql,omitempty"`
	Reason string   `json:"reason"`         // why: "model PAGE declares field title in sync_fields"
	Safe   bool     `json:"safe"`           // false only for Blocked
	Code   string   `json:"code,omitempty"` // DMxxx for blocked steps
	Hint   string   `json:"hint,omitempty"` // blocked: what a person can do by hand
	// Worker is what a DeployWorker or UpdateWorker step deploys.
	Worker *WorkerStep `json:"worker,omitempty"`
	// Rows is what a backfill, a seed or an index on existing rows is
	// expected to cost in D1 rows (see RowEstimate).
	Rows *RowEstimate `json:"rows_estimate,omitempty"`
}

// Note is something the plan reports without acting on it.
type Note struct {
	Code    string `json:"code"`
	Target  string `json:"target"`
	Message string `json:"message"`
}

// LiveFingerprint is state.Fingerprint of the live schema as this plan
// sees it: every table, and the namespaces in NamespaceScope.
func (p *Plan) LiveFingerprint(live *state.Schema) string {
	return state.Fingerprint(live.WithNamespaces(p.NamespaceScope))
}

// HasChanges reports whether the plan has executable steps.
func (p *Plan) HasChanges() bool {
	for _, s := range p.Steps {
		if s.Action != Blocked {
			return true
		}
	}
	return false
}

// Blocked returns the blocked steps.
func (p *Plan) Blocked() []Step {
	var out []Step
	for _, s := range p.Steps {
		if s.Action == Blocked {
			out = append(out, s)
		}
	}
	return out
}

// Counts returns how many steps of each action the plan holds.
func (p *Plan) Counts() map[Action]int {
	c := make(map[Action]int)
	for _, s := range p.Steps {
		c[s.Action]++
	}
	return c
}
