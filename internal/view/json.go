package view

import (
	"io"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/planner"
)

// document is the one JSON object a command writes. Fields a command does
// not produce are omitted; format_version and diagnostics are always there.
type document struct {
	FormatVersion string       `json:"format_version"`
	Valid         *bool        `json:"valid,omitempty"`
	Target        *Target      `json:"target,omitempty"`
	Plan          *jsonPlan    `json:"plan,omitempty"`
	Summary       *Summary     `json:"summary,omitempty"`
	SavedTo       string       `json:"saved_to,omitempty"`
	Apply         *ApplyResult `json:"apply,omitempty"`
	// Blocked lists an apply's blocked steps, when they kept it from
	// running.
	Blocked     *[]jsonStep     `json:"blocked,omitempty"`
	History     *[]HistoryEntry `json:"history,omitempty"`
	Spec        *SpecCounts     `json:"spec,omitempty"`
	Indexes     *[]ModelIndexes `json:"indexes,omitempty"`
	Diagnostics []Diagnostic    `json:"diagnostics"`
	Error       *jsonError      `json:"error,omitempty"`
}

type jsonError struct {
	Message string `json:"message"`
}

// jsonPlan is the JSON form of a plan. It mirrors planner.Plan but belongs
// to the view, so the output keeps its names when the planner's change.
type jsonPlan struct {
	ID          string     `json:"id"`
	CreatedAt   time.Time  `json:"created_at"`
	Fingerprint string     `json:"fingerprint"`
	Steps       []jsonStep `json:"steps"`
	Notes       []jsonNote `json:"notes"`
	// Targets are the models a plan made with -target covers; absent
	// for a plan of every model.
	Targets []string `json:"targets,omitempty"`
}

type jsonStep struct {
	Action string   `json:"action"`
	Model  string   `json:"model"`
	Target string   `json:"target"`
	SQL    []string `json:"sql"`
	Reason string   `json:"reason"`
	Safe   bool     `json:"safe"`
	Code   string   `json:"code,omitempty"`
	Hint   string   `json:"hint,omitempty"`
	// Worker is what a deploy_worker or update_worker step deploys: its
	// bindings (a secret only as the variable it comes from) and changes.
	Worker *planner.WorkerStep `json:"worker,omitempty"`
	// Rows is the D1 rows a backfill, seed or index on existing rows is
	// expected to read and write.
	Rows *planner.RowEstimate `json:"rows_estimate,omitempty"`
}

type jsonNote struct {
	Code    string `json:"code"`
	Target  string `json:"target"`
	Message string `json:"message"`
}

func newJSONPlan(p *planner.Plan) *jsonPlan {
	if p == nil {
		return nil
	}
	jp := &jsonPlan{
		ID: p.ID, CreatedAt: p.CreatedAt.UTC(), Fingerprint: p.Fingerprint,
		Steps:   make([]jsonStep, 0, len(p.Steps)),
		Notes:   make([]jsonNote, 0, len(p.Notes)),
		Targets: p.Targets,
	}
	for _, s := range p.Steps {
		sql := s.SQL
		if sql == nil {
			sql = []string{}
		}
		jp.Steps = append(jp.Steps, jsonStep{
			Action: s.Action.String(), Model: s.Model, Target: s.Target, SQL: sql,
			Reason: s.Reason, Safe: s.Safe, Code: s.Code, Hint: s.Hint, Worker: s.Worker, Rows: s.Rows,
		})
	}
	for _, n := range p.Notes {
		jp.Notes = append(jp.Notes, jsonNote(n))
	}
	return jp
}

// jsonView collects diagnostics and writes one document at the end.
type jsonView struct {
	out   io.Writer
	diags hcl.Diagnostics
	done  bool
}

func (v *jsonView) addDiagnostics(diags hcl.Diagnostics) { v.diags = append(v.diags, diags...) }

// write finishes the document once; later calls are ignored so a command
// cannot emit two JSON objects.
func (v *jsonView) write(doc document) {
	if v.done {
		return
	}
	v.done = true
	doc.FormatVersion = FormatVersion
	doc.Diagnostics = jsonDiagnostics(v.diags)
	writeJSON(v.out, doc) // nothing useful to do when stdout is gone
}

func (v *jsonView) writeError(err error) {
	v.write(document{Error: &jsonError{Message: err.Error()}})
}
