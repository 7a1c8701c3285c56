package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/dmplan/dmplan/internal/view"
	"github.com/dmplan/dmplan/planner"
	"github.com/dmplan/dmplan/state"
)

// planFileFormat identifies a saved plan file and its version.
const planFileFormat = "dmplan-plan/1"

// planFile is a saved plan: everything apply needs to run it from any
// directory, and nothing secret. The HCL sources travel with it; the
// environment is resolved again at apply time (re-reading env.X), and the
// live schema must still have the fingerprint the plan was made against.
type planFile struct {
	Format      string    `json:"format"`
	ToolVersion string    `json:"tool_version"`
	CreatedAt   time.Time `json:"created_at"`
	// Dir is the absolute directory the sources were read from; relative
	// paths in environment blocks resolve against it.
	Dir      string `json:"dir"`
	Project  string `json:"project"`
	SpecHash string `json:"spec_hash"`
	// Sources are the *.dm.hcl files by the names diagnostics use.
	Sources     map[string]string `json:"sources"`
	Environment string            `json:"environment"`
	// Target describes where the plan goes, as shown to people; apply
	// refuses when the environment now resolves somewhere else.
	Target view.Target `json:"target"`
	// TargetKey identifies the target independently of the working
	// directory, as a hash so it holds no secret (see targetKey).
	TargetKey string        `json:"target_key"`
	Plan      *planner.Plan `json:"plan"`
	// StepCount and StepsDigest cover the whole step list as it was saved
	// (see stepsDigest): show and apply refuse a file whose steps were
	// cut, reordered or edited, even where deriving the plan again cannot
	// tell (a seed step is planned from the target's records, which the
	// sources do not hold).
	StepCount   int    `json:"step_count"`
	StepsDigest string `json:"steps_digest"`
	// Live and Pending are what the plan was derived from besides the
	// sources: the live schema (its fingerprint is the plan's) and the
	// unfinished backfills. show derives the plan from them again and
	// refuses steps the sources do not give; apply derives it against the
	// target itself.
	Live    *state.Schema             `json:"live_schema,omitempty"`
	Pending []planner.PendingBackfill `json:"pending_backfills,omitempty"`
	// Gateway is what the account held for the environment's gateway
	// Worker: bindings by name and id, the plain-text configuration,
	// never a secret.
	Gateway *planner.GatewayLive `json:"gateway,omitempty"`
	// Stored says which models' KV namespaces held objects when a table
	// of theirs was missing (planner.WithStoredObjects).
	Stored map[string]bool `json:"kv_objects,omitempty"`
}

// stepsDigest is the SHA-256 of the steps' JSON, one after the other, each
// preceded by its length, and of the targets of a targeted plan: they
// decide which steps the sources give, so editing them is editing the
// plan. (An untargeted plan's digest is that of its steps alone.)
func stepsDigest(steps []planner.Step, targets []string) (string, error) {
	h := sha256.New()
	if len(targets) > 0 {
		b, err := json.Marshal(targets)
		if err != nil {
			return "", fmt.Errorf("encode plan targets: %w", err)
		}
		fmt.Fprintf(h, "targets %d:", len(b))
		h.Write(b)
	}
	for _, s := range steps {
		b, err := json.Marshal(s)
		if err != nil {
			return "", fmt.Errorf("encode plan step: %w", err)
		}
		fmt.Fprintf(h, "%d:", len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkSteps refuses a saved plan whose step list is not the one it was
// saved with.
func (pf *planFile) checkSteps() error {
	if pf.StepsDigest == "" {
		return fmt.Errorf("%w: it has no digest of its steps (an older dmplan wrote it); re-run dmplan plan", errPlanMismatch)
	}
	if n := len(pf.Plan.Steps); n != pf.StepCount {
		return fmt.Errorf("%w: it holds %d %s but was saved with %d; re-run dmplan plan",
			errPlanMismatch, n, pluralWord(n, "step", "steps"), pf.StepCount)
	}
	d, err := stepsDigest(pf.Plan.Steps, pf.Plan.Targets)
	if err != nil {
		return err
	}
	if d != pf.StepsDigest {
		return fmt.Errorf("%w: its steps are not the ones it was saved with, or its targets were changed (their digest differs); re-run dmplan plan", errPlanMismatch)
	}
	return nil
}

// writePlanFile saves the plan, readable only by its owner (it holds the
// configuration, never a secret).
func writePlanFile(path string, pf *planFile) error {
	pf.Format = planFileFormat
	digest, err := stepsDigest(pf.Plan.Steps, pf.Plan.Targets)
	if err != nil {
		return err
	}
	pf.StepCount, pf.StepsDigest = len(pf.Plan.Steps), digest
	b, err := json.MarshalIndent(pf, "", "  ")
	if err != nil {
		return fmt.Errorf("encode plan file: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write plan file: %w", err)
	}
	return nil
}

// errNotPlanFile says a file is not a saved plan.
var errNotPlanFile = errors.New("not a dmplan plan file")

// readPlanFile reads a saved plan and checks it is complete.
func readPlanFile(path string) (*planFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan file: %w", err)
	}
	var pf planFile
	if err := json.Unmarshal(b, &pf); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, errNotPlanFile, err)
	}
	if pf.Format != planFileFormat {
		if pf.Format == "" {
			return nil, fmt.Errorf("%s: %w", path, errNotPlanFile)
		}
		return nil, fmt.Errorf("%s: plan file format %q is not supported by this dmplan (want %q)", path, pf.Format, planFileFormat)
	}
	if pf.Plan == nil || len(pf.Sources) == 0 || pf.Environment == "" {
		return nil, fmt.Errorf("%s: %w: it lacks the plan, the sources or the environment", path, errNotPlanFile)
	}
	return &pf, nil
}

// isPlanFile reports whether path names a regular file (apply takes a
// directory or a plan file).
func isPlanFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
