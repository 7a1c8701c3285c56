package archtest

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/dmplan/dmplan/"

// rules says which packages of the module each package must never depend
// on, directly or through others (non-test dependencies, as a program
// importing it links them).
var rules = []struct {
	pkg    string
	forbid []string
	why    string
}{
	{"runtime", []string{"planner", "applier", "operator", "backend/local", "backend/cloudflare", "backend/gateway", "backend/wranglerdev"},
		"a service importing the runtime must carry only CRUD, query, hooks and auth"},
	{"runtime/webhook", []string{"planner", "applier", "operator"},
		"services plug it into the runtime"},
	{"backend", []string{"hclspec", "planner", "applier", "runtime", "operator"},
		"the backend interfaces sit below everything that consumes them"},
	{"backend/backendtest", []string{"hclspec", "planner", "applier", "runtime", "operator", "internal/flowtest"},
		"the interfaces' conformance suite tests the interfaces alone (the full flow is internal/flowtest)"},
	{"backend/local", []string{"hclspec", "planner", "applier", "runtime", "operator"}, "a backend implements the interfaces only"},
	{"backend/cloudflare", []string{"hclspec", "planner", "applier", "runtime", "operator"}, "a backend implements the interfaces only"},
	{"backend/faulty", []string{"hclspec", "planner", "applier", "runtime", "operator"}, "a backend implements the interfaces only"},
	{"backend/gateway/worker", []string{"backend", "hclspec", "state", "planner", "applier", "runtime", "operator"},
		"the Worker's contract is a leaf, so the planner and the deploy step can use it"},
	{"backend/gateway", []string{"hclspec", "planner", "applier", "runtime", "operator", "backend/cloudflare"}, "a backend implements the interfaces only"},
	{"backend/wranglerdev", []string{"hclspec", "planner", "applier", "runtime", "operator", "backend/cloudflare", "backend/local"}, "a backend implements the interfaces only"},
	{"hclspec", []string{"state", "backend", "planner", "applier", "runtime", "operator"}, "hclspec parses the language only"},
	{"internal/sqlnorm", []string{"state", "hclspec", "backend", "planner", "applier", "runtime", "operator"},
		"the SQL normalizer is a leaf that hclspec and backend share, so declared and live text compare alike"},
	{"state", []string{"hclspec", "backend", "planner", "applier", "runtime", "operator"}, "state is data only"},
	{"planner", []string{"backend", "applier", "runtime", "operator"}, "the planner diffs data, it runs nothing"},
	{"applier", []string{"runtime", "operator"}, "the operator side builds on the applier, not the other way"},
}

// graph returns the module's packages that pkgs depend on, each with its
// direct imports inside the module (paths relative to the module).
func graph(t *testing.T, pkgs []string) map[string][]string {
	t.Helper()
	args := []string{"list", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}"}
	for _, p := range pkgs {
		args = append(args, module+p)
	}
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("go list: %v\n%s", err, msg)
	}
	g := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) == 0 || !strings.HasPrefix(fields[0], module) {
			continue
		}
		var imports []string
		for _, imp := range fields[1:] {
			if rel, ok := strings.CutPrefix(imp, module); ok {
				imports = append(imports, rel)
			}
		}
		g[strings.TrimPrefix(fields[0], module)] = imports
	}
	return g
}

// chain returns the shortest import chain from one package to another,
// or nil when from does not depend on to.
func chain(g map[string][]string, from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == to {
			var path []string
			for ; p != ""; p = prev[p] {
				path = append(path, p)
			}
			slices.Reverse(path)
			return path
		}
		for _, next := range g[p] {
			if _, seen := prev[next]; !seen {
				prev[next] = p
				queue = append(queue, next)
			}
		}
	}
	return nil
}

// TestLayout fails when a package depends on one the design puts above
// it, naming the import chain that brings it in.
func TestLayout(t *testing.T) {
	pkgs := make([]string, len(rules))
	for i, r := range rules {
		pkgs[i] = r.pkg
	}
	g := graph(t, pkgs)
	for _, r := range rules {
		t.Run(r.pkg, func(t *testing.T) {
			if _, ok := g[r.pkg]; !ok {
				t.Fatalf("go list did not report package %s", r.pkg)
			}
			for _, f := range r.forbid {
				if c := chain(g, r.pkg, f); c != nil {
					t.Errorf("%s depends on %s (%s): %s", r.pkg, f, strings.Join(c, " → "), r.why)
				}
			}
		})
	}
}

// TestChain checks the chain search the layout test reports with.
func TestChain(t *testing.T) {
	g := map[string][]string{"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": {"e"}, "x": {"a"}}
	for _, tc := range []struct {
		from, to string
		want     []string
	}{
		{"a", "e", []string{"a", "b", "d", "e"}},
		{"a", "a", []string{"a"}},
		{"a", "x", nil},
		{"e", "a", nil},
		{"zz", "a", nil},
	} {
		if got := chain(g, tc.from, tc.to); !slices.Equal(got, tc.want) {
			t.Errorf("chain(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
}
