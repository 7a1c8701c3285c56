package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dmplan/dmplan/hclspec"
)

const targetUsage = "plan only the model `MODEL` (repeatable, or comma-separated), leaving the others as they are"

// targetsFlag is -target: repeatable, each value one model or a
// comma-separated list.
type targetsFlag []string

func (f *targetsFlag) String() string { return strings.Join(*f, ",") }

func (f *targetsFlag) Set(s string) error {
	for _, m := range strings.Split(s, ",") {
		m = strings.TrimSpace(m)
		if m == "" {
			return fmt.Errorf("empty model name in %q", s)
		}
		if !slices.Contains(*f, m) {
			*f = append(*f, m)
		}
	}
	return nil
}

// setTargets checks that every -target names a model of spec and makes
// the invocation's plans cover only those (sorted, so a saved plan
// records them the same way whatever the flag order).
func (c *cli) setTargets(spec *hclspec.Spec, targets []string) error {
	if len(targets) == 0 {
		return nil
	}
	names := make([]string, 0, len(spec.Models))
	for _, m := range spec.Models {
		names = append(names, m.Name)
	}
	for _, t := range targets {
		if !slices.Contains(names, t) {
			return fmt.Errorf("-target %s: there is no model named %q%s; the models are %s",
				t, t, didYouMean(t, names, ""), strings.Join(names, ", "))
		}
	}
	c.targets = slices.Sorted(slices.Values(targets))
	return nil
}

// targetList is the targets for a message, or "none: every model".
func targetList(targets []string) string {
	if len(targets) == 0 {
		return "none: every model"
	}
	return strings.Join(targets, ", ")
}
