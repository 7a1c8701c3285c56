package main

import (
	"fmt"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/planner"
)

// configError says the configuration has errors; the diagnostics have
// already been shown.
type configError struct {
	where  string
	errors int
}

func (e *configError) Error() string {
	if e.errors == 1 {
		return fmt.Sprintf("the configuration in %s has 1 error", e.where)
	}
	return fmt.Sprintf("the configuration in %s has %d errors", e.where, e.errors)
}

// checkDiags returns a configError when diags hold errors.
func checkDiags(where string, diags hcl.Diagnostics) error {
	n := 0
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return &configError{where: where, errors: n}
}

// checkEnvDiags returns an error when resolving an environment failed.
func checkEnvDiags(env string, diags hcl.Diagnostics) error {
	if err := checkDiags(env, diags); err != nil {
		n := err.(*configError).errors
		return fmt.Errorf("environment %s cannot be used (%d %s above)", env, n, map[bool]string{true: "error", false: "errors"}[n == 1])
	}
	return nil
}

// absDir is dir made absolute, or dir itself if that fails.
func absDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// loadDir loads the configuration in dir; spec is set even when the
// diagnostics hold errors, so they can quote their source lines.
func loadDir(dir string, spec **hclspec.Spec) (hcl.Diagnostics, error) {
	prepareHeap(dir)
	s, diags := hclspec.LoadDir(dir)
	*spec = s
	diags = withLimits(s, diags)
	return diags, checkDiags(dir, diags)
}

// withLimits adds what planner.CheckLimits finds (a default or a seed
// over a D1 or KV limit) to the diagnostics of a configuration that loads
// without errors, so every command stops before its first write.
func withLimits(s *hclspec.Spec, diags hcl.Diagnostics) hcl.Diagnostics {
	if diags.HasErrors() {
		return diags
	}
	return append(diags, planner.CheckLimits(s)...)
}

// diagView is the part of a command's view that reports configuration
// problems.
type diagView interface {
	Diagnostics(hcl.Diagnostics)
	Error(error)
}

// loadTarget loads the configuration in dir and resolves the environment,
// reporting every diagnostic through v. It returns false when the command
// must stop (v has shown why).
func (c *cli) loadTarget(dir, env string, spec **hclspec.Spec, v diagView) (*hclspec.Target, bool) {
	diags, err := loadDir(dir, spec)
	if err != nil {
		v.Diagnostics(diags)
		v.Error(err)
		return nil, false
	}
	t, tdiags := c.resolveTarget(*spec, env, absDir(dir))
	v.Diagnostics(append(diags, tdiags...))
	if err := checkEnvDiags(c.envName(env), tdiags); err != nil {
		v.Error(err)
		return nil, false
	}
	return t, true
}
