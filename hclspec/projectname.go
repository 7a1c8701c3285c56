package hclspec

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// projectFromDirWarning warns when a configuration with models has no
// project block, so its project name (and with it every KV namespace
// title) comes from the name of the directory it was read from: a checkout
// in a differently named folder would plan new, empty namespaces. It says
// nothing when the configuration has errors, which come first.
func projectFromDirWarning(s *Spec, dir string, diags hcl.Diagnostics) hcl.Diagnostics {
	if s == nil || len(s.Models) == 0 || diags.HasErrors() || s.hasProject {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagWarning,
		Summary:  "No project block",
		Detail: fmt.Sprintf("The project name %q was taken from the directory name %q, and KV namespaces are titled from it "+
			"(%s-<environment>-<NAMESPACE>). Run from a directory with another name (a CI checkout, a clone) and dmplan plans new, empty "+
			"namespaces. Declare it: project %q {}", s.Project.Name, dir, s.Project.Name, s.Project.Name),
	}}
}
